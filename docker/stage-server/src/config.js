// Runtime configuration, read once from the environment.
//
// DATABASE_URL and REDIS_URL carry passwords: only the host and port parsed from them are
// kept here, and nothing in this module (or anywhere else) logs or returns the URLs.

const DEFAULT_PORTS = {
  'redis:': 6379,
  'rediss:': 6379,
  'postgres:': 5432,
  'postgresql:': 5432,
};

function intFromEnv(env, name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

/**
 * Host and port of a dependency URL, or an error code when it cannot be used.
 * The URL itself never leaves this function, not even inside an error.
 */
export function parseEndpoint(url, defaultPort) {
  if (!url) return { error: 'not_configured' };
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    // The TypeError from URL carries the input (with its password); drop it.
    return { error: 'invalid_url' };
  }
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return { error: 'invalid_url' };
  const port = parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[parsed.protocol] ?? defaultPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: 'invalid_url' };
  return { host, port };
}

export function parseOrigins(raw) {
  return (raw ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

export function loadConfig(env = process.env) {
  return {
    port: intFromEnv(env, 'PORT', 3001, { min: 0, max: 65535 }),
    // Unset: Node listens on :: (dual-stack, so both 127.0.0.1 and ::1 answer, whichever
    // `localhost` resolves to first for the wget health check) or 0.0.0.0 without IPv6.
    host: env.HOST || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    bodyLimitBytes: intFromEnv(env, 'BODY_LIMIT_BYTES', 16 * 1024, { min: 1, max: 10 * 1024 * 1024 }),
    readyTimeoutMs: intFromEnv(env, 'READY_TIMEOUT_MS', 1000, { min: 1, max: 60_000 }),
    shutdownTimeoutMs: intFromEnv(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, { min: 1, max: 300_000 }),
    maxStages: intFromEnv(env, 'MAX_STAGES', 1000, { min: 1, max: 1_000_000 }),
    dependencies: {
      redis: parseEndpoint(env.REDIS_URL, 6379),
      postgres: parseEndpoint(env.DATABASE_URL, 5432),
    },
  };
}
