// Readiness: a TCP connect, with a short timeout, to each dependency's host and port.

import net from 'node:net';

/** Resolves to null when a TCP connection opens, else to a short error code. */
export function probeTcp({ host, port }, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => finish(null));
    // Only the code (ECONNREFUSED, ENOTFOUND, ...) is kept: messages name the address.
    socket.once('error', (err) => finish(err.code || 'connect_error'));
  });
}

/**
 * Checks every dependency in parallel.
 * Returns { ok, checks: { name: { status: 'up' | 'down', reason? } } }.
 */
export async function checkDependencies(dependencies, timeoutMs) {
  const names = Object.keys(dependencies);
  const results = await Promise.all(
    names.map(async (name) => {
      const endpoint = dependencies[name];
      if (endpoint.error) return [name, { status: 'down', reason: endpoint.error }];
      const error = await probeTcp(endpoint, timeoutMs);
      return [name, error ? { status: 'down', reason: error } : { status: 'up' }];
    }),
  );
  const checks = Object.fromEntries(results);
  return { ok: results.every(([, check]) => check.status === 'up'), checks };
}
