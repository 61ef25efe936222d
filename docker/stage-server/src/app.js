// The stage server: a small JSON API over node:http, with liveness, readiness, CORS and
// graceful shutdown. No runtime dependencies.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { checkDependencies } from './readiness.js';
import { createStageStore, validateStage } from './stages.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROBE_PATHS = new Set(['/health', '/ready']);
const CORS_METHODS = 'GET, HEAD, POST, OPTIONS';
const CORS_HEADERS = 'Content-Type, X-Request-Id';

class HttpError extends Error {
  constructor(status, error, details) {
    super(error);
    this.status = status;
    this.error = error;
    this.details = details;
  }
}

/** Reads a JSON request body of at most `limit` bytes. */
function readJsonBody(req, limit) {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      reject(new HttpError(415, 'content-type must be application/json'));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, `body larger than ${limit} bytes`));
      return;
    }

    const chunks = [];
    let size = 0;
    let failed = false;
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // discard the rest; the response closes the connection
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(new HttpError(400, 'request body is empty'));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
    req.once('error', (err) => {
      if (!failed) reject(err);
    });
    // A client that goes away mid-body: settle rather than wait forever.
    req.once('close', () => {
      if (!req.complete && !failed) reject(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
    });
  });
}

/**
 * Builds the server. Nothing listens until `listen()` is called.
 * `logger` is a logger from ./logger.js; `config` comes from ./config.js (loadConfig).
 */
export function createApp({ config, logger }) {
  const stages = createStageStore({ maxStages: config.maxStages });
  const allowAnyOrigin = config.corsOrigins.includes('*');
  const allowedOrigins = new Set(config.corsOrigins);
  let closing = false;
  let shutdownPromise = null;

  const originAllowed = (origin) => Boolean(origin) && (allowAnyOrigin || allowedOrigins.has(origin));

  function applyCors(req, res) {
    const origin = req.headers.origin;
    if (config.corsOrigins.length === 0) return;
    res.setHeader('Vary', 'Origin');
    if (originAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', allowAnyOrigin ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
    }
  }

  function send(res, status, body, headers = {}) {
    if (res.headersSent) return;
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (body !== undefined) {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(payload));
    }
    // While shutting down, every response closes its connection so the server can drain.
    if (closing) res.setHeader('Connection', 'close');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.end(payload);
  }

  function methodNotAllowed(res, allow) {
    send(res, 405, { error: 'method not allowed' }, { Allow: allow });
  }

  async function route(req, res, path) {
    const method = req.method;

    if (method === 'OPTIONS') {
      const origin = req.headers.origin;
      if (origin && req.headers['access-control-request-method']) {
        if (!originAllowed(origin)) {
          send(res, 403, { error: 'origin not allowed' });
          return;
        }
        send(res, 204, undefined, {
          'Access-Control-Allow-Methods': CORS_METHODS,
          'Access-Control-Allow-Headers': CORS_HEADERS,
          'Access-Control-Max-Age': '600',
        });
        return;
      }
      send(res, 204, undefined, { Allow: CORS_METHODS });
      return;
    }

    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      send(res, 200, { status: 'ok' });
      return;
    }

    if (path === '/ready') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      if (closing) {
        send(res, 503, { status: 'unavailable', reason: 'shutting_down' });
        return;
      }
      const { ok, checks } = await checkDependencies(config.dependencies, config.readyTimeoutMs);
      if (!ok) {
        const down = Object.keys(checks).filter((name) => checks[name].status !== 'up');
        logger.warn('not ready', { down, checks });
        send(res, 503, { status: 'unavailable', down, checks });
        return;
      }
      send(res, 200, { status: 'ready', checks });
      return;
    }

    if (path === '/api/stages') {
      if (method === 'GET' || method === 'HEAD') {
        send(res, 200, { stages: stages.list() });
        return;
      }
      if (method === 'POST') {
        const input = await readJsonBody(req, config.bodyLimitBytes);
        const { value, errors } = validateStage(input);
        if (errors) throw new HttpError(400, 'invalid stage', errors);
        if (stages.isFull()) throw new HttpError(507, 'stage store is full');
        const stage = stages.add(value);
        logger.info('stage created', { stageId: stage.id });
        send(res, 201, stage, { Location: `/api/stages/${stage.id}` });
        return;
      }
      return methodNotAllowed(res, 'GET, HEAD, POST');
    }

    if (path.startsWith('/api/stages/')) {
      const id = path.slice('/api/stages/'.length);
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      const stage = UUID_RE.test(id) ? stages.get(id) : undefined;
      if (!stage) throw new HttpError(404, 'stage not found');
      send(res, 200, stage);
      return;
    }

    throw new HttpError(404, 'not found');
  }

  async function handle(req, res) {
    const started = process.hrtime.bigint();
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && REQUEST_ID_RE.test(incomingId) ? incomingId : randomUUID();
    // Only the path is logged: a query string may carry tokens.
    const path = (req.url ?? '/').split('?')[0];
    res.setHeader('X-Request-Id', requestId);

    res.once('finish', () => {
      const fields = {
        requestId,
        method: req.method,
        path: path.slice(0, 256),
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (PROBE_PATHS.has(path)) logger.debug('request', fields);
      else logger.info('request', fields);
    });

    applyCors(req, res);
    try {
      await route(req, res, path);
    } catch (err) {
      if (err instanceof HttpError) {
        const body = { error: err.error };
        if (err.details) body.details = err.details;
        // A body that was cut short is not read any further: close that connection.
        send(res, err.status, body, err.status === 413 ? { Connection: 'close' } : {});
        return;
      }
      if (err?.code === 'ECONNRESET' || req.destroyed) {
        logger.debug('client went away', { requestId });
        return;
      }
      logger.error('unhandled error', { requestId, error: err?.name, message: err?.message });
      send(res, 500, { error: 'internal server error' });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  function listen(port = config.port, host = config.host) {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const options = host === undefined ? { port } : { port, host };
      server.listen(options, () => {
        server.off('error', reject);
        const address = server.address();
        logger.info('listening', { port: address.port, logLevel: logger.level });
        resolve(address);
      });
    });
  }

  /**
   * Stops accepting connections, lets in-flight requests finish, then resolves.
   * After `timeoutMs` the remaining connections are cut and it resolves with forced: true.
   */
  function shutdown(timeoutMs = config.shutdownTimeoutMs) {
    if (shutdownPromise) return shutdownPromise;
    closing = true;
    logger.info('shutting down', { timeoutMs });
    shutdownPromise = new Promise((resolve) => {
      let timer;
      server.close(() => {
        clearTimeout(timer);
        logger.info('shutdown complete');
        resolve({ forced: false });
      });
      // Keep-alive connections with no request in flight go now; busy ones close after
      // their response (send() marks it Connection: close).
      server.closeIdleConnections();
      timer = setTimeout(() => {
        logger.warn('shutdown timeout reached, closing remaining connections', { timeoutMs });
        server.closeAllConnections();
        resolve({ forced: true });
      }, timeoutMs);
      timer.unref();
    });
    return shutdownPromise;
  }

  return { server, listen, shutdown, stages, isClosing: () => closing };
}
