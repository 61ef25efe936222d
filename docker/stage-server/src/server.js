// Entry point: `node src/server.js`. Runs under dumb-init in the container, which forwards
// SIGTERM/SIGINT here.

import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

const logger = createLogger({ level: process.env.LOG_LEVEL, base: { service: 'stage-server' } });

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  logger.error('invalid configuration', { message: err.message });
  process.exit(1);
}

const app = createApp({ config, logger });

async function stop(signal) {
  logger.info('signal received', { signal });
  const { forced } = await app.shutdown(config.shutdownTimeoutMs);
  // 0 when every in-flight request finished; 1 when the timeout cut some off.
  process.exit(forced ? 1 : 0);
}

process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));

process.on('unhandledRejection', (reason) => {
  logger.error('unhandled rejection', { message: reason instanceof Error ? reason.message : String(reason) });
});

try {
  await app.listen();
} catch (err) {
  logger.error('failed to listen', { code: err.code, port: config.port });
  process.exit(1);
}
