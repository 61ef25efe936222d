// The real entry point (src/server.js) in a child process: JSON logs on stdout, SIGTERM and
// SIGINT drain in-flight requests and exit 0. Listens on an ephemeral port on 127.0.0.1.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url));
const HOST = '127.0.0.1';

/** Starts src/server.js; resolves once it logs `listening`, with its port and log lines. */
async function startServer(env = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, PORT: '0', HOST, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = once(child, 'exit');
  const port = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const entry = JSON.parse(line);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      }
    });
    child.once('exit', () => reject(new Error(`server exited early: ${stderr}`)));
  });
  const waitFor = async (msg) => {
    while (!lines.some((l) => JSON.parse(l).msg === msg)) await new Promise((r) => setTimeout(r, 20));
  };
  return { child, port, lines, exited, waitFor, stderr: () => stderr };
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: HOST, port, path, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  describe(`src/server.js on ${signal}`, () => {
    it('serves, drains the in-flight request and exits 0', async () => {
      const server = await startServer({ REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1/0' });
      try {
        const health = await get(server.port, '/health');
        assert.equal(health.status, 200);
        assert.equal(health.body, '{"status":"ok"}');

        // Start a POST whose body is not complete yet.
        const body = JSON.stringify({ name: 'late' });
        const req = http.request({
          host: HOST,
          port: server.port,
          method: 'POST',
          path: '/api/stages',
          agent: false,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        });
        const response = new Promise((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          });
          req.on('error', reject);
        });
        req.flushHeaders();
        req.write(body.slice(0, 4));
        await new Promise((r) => setTimeout(r, 100));

        server.child.kill(signal);
        await server.waitFor('shutting down');
        req.end(body.slice(4));
        assert.equal(await response, 201);

        const [code, sig] = await server.exited;
        assert.equal(sig, null, server.stderr());
        assert.equal(code, 0, server.stderr());
      } finally {
        server.child.kill('SIGKILL');
      }

      const entries = server.lines.map((l) => JSON.parse(l));
      const msgs = entries.map((e) => e.msg);
      assert.ok(msgs.includes('signal received'));
      assert.ok(msgs.includes('shutdown complete'));
      for (const entry of entries) {
        assert.equal(entry.service, 'stage-server');
        assert.ok(['debug', 'info', 'warn', 'error'].includes(entry.level));
      }
      assert.ok(!server.lines.some((l) => l.includes('hunter2-secret')));
      assert.equal(server.stderr(), '');
    });
  });
}

describe('src/server.js configuration', () => {
  it('exits 1 with a JSON error on a bad PORT', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH, PORT: 'nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    const entry = JSON.parse(out.trim().split('\n').pop());
    assert.equal(entry.level, 'error');
    assert.equal(entry.msg, 'invalid configuration');
  });
});
