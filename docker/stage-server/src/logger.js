// JSON-lines logger: one object per line on stdout (or any writable stream).

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
const ALIASES = { warning: 'warn', err: 'error', trace: 'debug' };

export function normalizeLevel(level) {
  const name = String(level ?? '').trim().toLowerCase();
  const resolved = ALIASES[name] ?? name;
  return Object.hasOwn(LEVELS, resolved) ? resolved : null;
}

export function createLogger({ level = 'info', stream = process.stdout, base = {} } = {}) {
  const configured = normalizeLevel(level);
  const threshold = LEVELS[configured ?? 'info'];

  const write = (lvl, msg, fields) => {
    if (LEVELS[lvl] < threshold) return;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    stream.write(`${JSON.stringify(line)}\n`);
  };

  const logger = {
    level: configured ?? 'info',
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };

  if (configured === null) {
    logger.warn('unknown LOG_LEVEL, using info', { logLevel: String(level).slice(0, 32) });
  }
  return logger;
}
