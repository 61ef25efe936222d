// In-process tests: the server listens on an ephemeral port on 127.0.0.1; the "dependencies"
// are closed ports or dummy TCP listeners on 127.0.0.1. No traffic leaves localhost.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { once } from 'node:events';

import { createApp } from '../src/app.js';
import { loadConfig, parseEndpoint, parseOrigins } from '../src/config.js';
import { createLogger, normalizeLevel } from '../src/logger.js';

const PASSWORD = 'sup3r-s3cret-pw';
const HOST = '127.0.0.1';

function memoryLogger(level = 'debug') {
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      cb();
    },
  });
  return { logger: createLogger({ level, stream }), lines };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort() {
  const srv = net.createServer();
  srv.listen(0, HOST);
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A dummy TCP listener that accepts and drops connections. */
async function dummyListener() {
  const sockets = new Set();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end();
  });
  srv.listen(0, HOST);
  await once(srv, 'listening');
  return {
    port: srv.address().port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      srv.close();
      await once(srv, 'close');
    },
  };
}

async function startApp(env = {}) {
  const config = loadConfig({ CORS_ORIGINS: 'http://localhost,https://studio.example.test', ...env });
  const { logger, lines } = memoryLogger(env.LOG_LEVEL ?? 'debug');
  const app = createApp({ config, logger });
  const { port } = await app.listen(0, HOST);
  return { app, port, lines, config };
}

/** One HTTP request on its own connection; resolves { status, headers, body, json }. */
function request(port, { method = 'GET', path = '/', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const postJson = (port, value, extra = {}) =>
  request(port, {
    method: 'POST',
    path: '/api/stages',
    headers: { 'Content-Type': 'application/json', ...extra.headers },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  });

describe('config', () => {
  it('parses host and port from dependency URLs, with scheme defaults', () => {
    assert.deepEqual(parseEndpoint(`redis://:${PASSWORD}@redis:6379/0`), { host: 'redis', port: 6379 });
    assert.deepEqual(parseEndpoint(`postgresql://u:${PASSWORD}@postgres/db`), { host: 'postgres', port: 5432 });
    assert.deepEqual(parseEndpoint('redis://cache'), { host: 'cache', port: 6379 });
    assert.deepEqual(parseEndpoint('redis://[::1]:7000'), { host: '::1', port: 7000 });
    assert.deepEqual(parseEndpoint(undefined), { error: 'not_configured' });
    assert.deepEqual(parseEndpoint(`not a url ${PASSWORD}`), { error: 'invalid_url' });
  });

  it('keeps no URL (or password) in the loaded config', () => {
    const config = loadConfig({
      REDIS_URL: `redis://:${PASSWORD}@redis:6379/0`,
      DATABASE_URL: `postgresql://atlantiplex:${PASSWORD}@postgres:5432/atlantiplex`,
    });
    assert.ok(!JSON.stringify(config).includes(PASSWORD));
    assert.equal(config.port, 3001);
  });

  it('parses the CORS allowlist', () => {
    assert.deepEqual(parseOrigins(' http://a.test, https://b.test/ ,,'), ['http://a.test', 'https://b.test']);
    assert.deepEqual(parseOrigins(undefined), []);
  });

  it('rejects a bad PORT', () => {
    assert.throws(() => loadConfig({ PORT: 'abc' }), /PORT/);
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  });
});

describe('logger', () => {
  it('writes JSON lines and honours LOG_LEVEL', () => {
    const { logger, lines } = memoryLogger('warning');
    logger.debug('hidden');
    logger.info('hidden');
    logger.warn('shown', { a: 1 });
    logger.error('shown too');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]);
    assert.equal(first.level, 'warn');
    assert.equal(first.msg, 'shown');
    assert.equal(first.a, 1);
    assert.ok(!Number.isNaN(Date.parse(first.time)));
    assert.equal(normalizeLevel('ERROR'), 'error');
    assert.equal(normalizeLevel('loud'), null);
  });
});

describe('probes', () => {
  it('GET /health answers 200 {"status":"ok"} without touching dependencies', async () => {
    const { app, port } = await startApp({});
    try {
      const res = await request(port, { path: '/health' });
      assert.equal(res.status, 200);
      assert.equal(res.body, '{"status":"ok"}');
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.headers['x-request-id']);
      const head = await request(port, { method: 'HEAD', path: '/health' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      const post = await request(port, { method: 'POST', path: '/health' });
      assert.equal(post.status, 405);
    } finally {
      await app.shutdown(1000);
    }
  });

  it('with HOST unset, answers on 127.0.0.1 and on ::1 (the health check uses `localhost`)', async (t) => {
    const config = loadConfig({});
    assert.equal(config.host, undefined);
    const { logger } = memoryLogger('error');
    const app = createApp({ config, logger });
    const { port } = await app.listen(0);
    try {
      assert.equal((await request(port, { path: '/health' })).status, 200);
      const v6 = await new Promise((resolve) => {
        http
          .get({ host: '::1', port, path: '/health', agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode);
          })
          .on('error', (err) => resolve(err.code));
      });
      if (v6 === 'EADDRNOTAVAIL' || v6 === 'EAFNOSUPPORT') t.skip('no IPv6 loopback on this machine');
      else assert.equal(v6, 200);
    } finally {
      await app.shutdown(1000);
    }
  });

  it('GET /ready answers 503 naming both dependencies when neither is reachable', async () => {
    const redisPort = await closedPort();
    const pgPort = await closedPort();
    const { app, port, lines } = await startApp({
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redisPort}/0`,
      DATABASE_URL: `postgresql://atlantiplex:${PASSWORD}@127.0.0.1:${pgPort}/atlantiplex`,
      READY_TIMEOUT_MS: '500',
    });
    try {
      const res = await request(port, { path: '/ready' });
      assert.equal(res.status, 503);
      assert.equal(res.json.status, 'unavailable');
      assert.deepEqual(res.json.down.sort(), ['postgres', 'redis']);
      assert.equal(res.json.checks.redis.status, 'down');
      assert.equal(res.json.checks.redis.reason, 'ECONNREFUSED');
      assert.ok(!res.body.includes(PASSWORD));
      assert.ok(!res.body.includes(String(redisPort)), 'the response does not echo the address');
    } finally {
      await app.shutdown(1000);
    }
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'not ready'));
    for (const line of lines) assert.ok(!line.includes(PASSWORD), `log leaks the password: ${line}`);
  });

  it('GET /ready answers 503 naming only the dependency that is down', async () => {
    const redis = await dummyListener();
    const pgPort = await closedPort();
    const { app, port } = await startApp({
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`,
      DATABASE_URL: `postgresql://atlantiplex:${PASSWORD}@127.0.0.1:${pgPort}/atlantiplex`,
    });
    try {
      const res = await request(port, { path: '/ready' });
      assert.equal(res.status, 503);
      assert.deepEqual(res.json.down, ['postgres']);
      assert.equal(res.json.checks.redis.status, 'up');
    } finally {
      await app.shutdown(1000);
      await redis.close();
    }
  });

  it('GET /ready answers 200 when both dependencies accept TCP connections', async () => {
    const redis = await dummyListener();
    const pg = await dummyListener();
    const { app, port, lines } = await startApp({
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`,
      DATABASE_URL: `postgresql://atlantiplex:${PASSWORD}@127.0.0.1:${pg.port}/atlantiplex`,
    });
    try {
      const res = await request(port, { path: '/ready' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        status: 'ready',
        checks: { redis: { status: 'up' }, postgres: { status: 'up' } },
      });
    } finally {
      await app.shutdown(1000);
      await redis.close();
      await pg.close();
    }
    for (const line of lines) assert.ok(!line.includes(PASSWORD));
  });

  it('GET /ready answers 503 when the URLs are missing or malformed, without echoing them', async () => {
    const { app, port, lines } = await startApp({ DATABASE_URL: `::${PASSWORD}::` });
    try {
      const res = await request(port, { path: '/ready' });
      assert.equal(res.status, 503);
      assert.equal(res.json.checks.redis.reason, 'not_configured');
      assert.equal(res.json.checks.postgres.reason, 'invalid_url');
      assert.ok(!res.body.includes(PASSWORD));
    } finally {
      await app.shutdown(1000);
    }
    for (const line of lines) assert.ok(!line.includes(PASSWORD));
  });
});

describe('stages API', () => {
  let ctx;
  before(async () => {
    ctx = await startApp({ BODY_LIMIT_BYTES: '1024', MAX_STAGES: '3' });
  });
  after(async () => {
    await ctx.app.shutdown(1000);
  });

  it('lists, creates and fetches stages', async () => {
    const empty = await request(ctx.port, { path: '/api/stages' });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, { stages: [] });

    const created = await postJson(ctx.port, { name: '  Main Stage ', description: 'live', capacity: 50 });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'Main Stage');
    assert.equal(created.json.capacity, 50);
    assert.match(created.json.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.headers.location, `/api/stages/${created.json.id}`);

    const list = await request(ctx.port, { path: '/api/stages' });
    assert.deepEqual(list.json.stages.map((s) => s.id), [created.json.id]);

    const one = await request(ctx.port, { path: `/api/stages/${created.json.id}` });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, created.json);

    const missing = await request(ctx.port, { path: '/api/stages/00000000-0000-0000-0000-000000000000' });
    assert.equal(missing.status, 404);
    const junk = await request(ctx.port, { path: '/api/stages/not-an-id' });
    assert.equal(junk.status, 404);
  });

  it('answers 400 on bad JSON and invalid stages', async () => {
    for (const body of ['{"name": "x"', 'not json', '', '[]', '"text"', 'null']) {
      const res = await postJson(ctx.port, body);
      assert.equal(res.status, 400, `body ${JSON.stringify(body)}`);
      assert.equal(typeof res.json.error, 'string');
    }
    const cases = [
      {},
      { name: '' },
      { name: '   ' },
      { name: 42 },
      { name: 'x'.repeat(101) },
      { name: 'ok', capacity: 0 },
      { name: 'ok', capacity: 1.5 },
      { name: 'ok', description: 7 },
      { name: 'ok', admin: true },
    ];
    for (const value of cases) {
      const res = await postJson(ctx.port, value);
      assert.equal(res.status, 400, JSON.stringify(value));
      assert.equal(res.json.error, 'invalid stage');
      assert.ok(Array.isArray(res.json.details) && res.json.details.length > 0);
    }
  });

  it('answers 415 on a non-JSON content type', async () => {
    const res = await request(ctx.port, {
      method: 'POST',
      path: '/api/stages',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"name":"x"}',
    });
    assert.equal(res.status, 415);
  });

  it('answers 413 on a body over the limit (declared or streamed)', async () => {
    const big = JSON.stringify({ name: 'x', description: 'y'.repeat(2000) });
    const declared = await postJson(ctx.port, big);
    assert.equal(declared.status, 413);

    // Chunked upload with no Content-Length: the limit is enforced while reading.
    const streamed = await new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: HOST,
          port: ctx.port,
          method: 'POST',
          path: '/api/stages',
          agent: false,
          headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.on('error', reject);
      req.write('{"name":"x","description":"');
      req.write('z'.repeat(1500));
      req.end('"}');
    });
    assert.equal(streamed, 413);
  });

  it('answers 405, 404 and 507 where due', async () => {
    const del = await request(ctx.port, { method: 'DELETE', path: '/api/stages' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.allow, 'GET, HEAD, POST');
    const nope = await request(ctx.port, { path: '/nope' });
    assert.equal(nope.status, 404);
    assert.deepEqual(nope.json, { error: 'not found' });

    // MAX_STAGES is 3 here and one stage exists already.
    assert.equal((await postJson(ctx.port, { name: 'b' })).status, 201);
    assert.equal((await postJson(ctx.port, { name: 'c' })).status, 201);
    assert.equal((await postJson(ctx.port, { name: 'd' })).status, 507);
  });

  it('applies the CORS allowlist', async () => {
    const allowed = await request(ctx.port, { path: '/api/stages', headers: { Origin: 'https://studio.example.test' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://studio.example.test');
    assert.equal(allowed.headers.vary, 'Origin');

    const denied = await request(ctx.port, { path: '/api/stages', headers: { Origin: 'https://evil.test' } });
    assert.equal(denied.headers['access-control-allow-origin'], undefined);

    const preflight = await request(ctx.port, {
      method: 'OPTIONS',
      path: '/api/stages',
      headers: { Origin: 'http://localhost', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://localhost');
    assert.match(preflight.headers['access-control-allow-methods'], /POST/);

    const badPreflight = await request(ctx.port, {
      method: 'OPTIONS',
      path: '/api/stages',
      headers: { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(badPreflight.status, 403);
    assert.equal(badPreflight.headers['access-control-allow-origin'], undefined);
  });

  it('survives a client that disconnects mid-body, logging no error', async () => {
    const slow = startSlowPost(ctx.port);
    slow.response.catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    slow.abort();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await request(ctx.port, { path: '/health' })).status, 200);
    assert.ok(!ctx.lines.some((l) => JSON.parse(l).level === 'error'));
    assert.ok(ctx.lines.some((l) => JSON.parse(l).msg === 'client went away'));
  });

  it('logs one JSON line per request with no query string', async () => {
    await request(ctx.port, { path: '/api/stages?token=abc123' });
    const entries = ctx.lines.map((l) => JSON.parse(l));
    const entry = entries.findLast((e) => e.msg === 'request');
    assert.equal(entry.path, '/api/stages');
    assert.equal(entry.status, 200);
    assert.equal(entry.method, 'GET');
    assert.ok(!ctx.lines.some((l) => l.includes('abc123')));
  });
});

/** Sends the headers and part of a POST body; `finish()` sends the rest. */
function startSlowPost(port) {
  const body = JSON.stringify({ name: 'in flight' });
  const req = http.request({
    host: HOST,
    port,
    method: 'POST',
    path: '/api/stages',
    agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
  });
  const response = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  req.write(body.slice(0, 5));
  return { response, finish: () => req.end(body.slice(5)), abort: () => req.destroy() };
}

describe('graceful shutdown', () => {
  it('stops accepting, finishes in-flight requests, then resolves', async () => {
    const { app, port, lines } = await startApp({});
    const slow = startSlowPost(port);
    // Wait until the server has the request in hand.
    await new Promise((r) => setTimeout(r, 100));

    let done = false;
    const shutdown = app.shutdown(5000).then((result) => {
      done = true;
      return result;
    });
    assert.equal(app.isClosing(), true);

    // New connections are refused once the listener is closed.
    await assert.rejects(request(port, { path: '/health' }), { code: 'ECONNREFUSED' });
    assert.equal(done, false, 'shutdown waits for the in-flight request');

    slow.finish();
    const res = await slow.response;
    assert.equal(res.status, 201);
    assert.equal(res.headers.connection, 'close');
    assert.deepEqual(await shutdown, { forced: false });

    const msgs = lines.map((l) => JSON.parse(l).msg);
    assert.ok(msgs.includes('shutting down'));
    assert.ok(msgs.includes('shutdown complete'));
  });

  it('does not wait for idle keep-alive connections', async () => {
    const { app, port } = await startApp({});
    const agent = new http.Agent({ keepAlive: true });
    await new Promise((resolve, reject) => {
      http.get({ host: HOST, port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    const started = Date.now();
    assert.deepEqual(await app.shutdown(5000), { forced: false });
    assert.ok(Date.now() - started < 2000);
    agent.destroy();
  });

  it('cuts remaining connections when the timeout passes', async () => {
    const { app, port, lines } = await startApp({});
    const slow = startSlowPost(port);
    const failed = slow.response.then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    assert.deepEqual(await app.shutdown(200), { forced: true });
    assert.ok(Date.now() - started < 2000);
    assert.equal(await failed, 'cut');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!lines.some((l) => JSON.parse(l).level === 'error'), lines.join('\n'));
  });

  it('is idempotent', async () => {
    const { app } = await startApp({});
    const first = app.shutdown(1000);
    assert.equal(app.shutdown(1000), first);
    await first;
  });
});
