import { ConfigurationError, loadConfig, type Config } from './config.js';
import { DataFolderInUse } from './core/db.js';
import { createLogger } from './core/logger.js';
import { startApp, type App } from './app.js';
import { schema } from './schema.js';

/** `npm start`: the Safety Training API on PORT (default 4000). */
let config: Config;
let app: App;
try {
  config = loadConfig();
  app = await startApp({ config, logger: createLogger(config.logLevel), schema });
} catch (error) {
  // A start-up failure is the operator's to fix: one line saying what and why, exit code 1, no stack trace.
  process.stderr.write(`safety-training-api: cannot start: ${startupFailure(error)}\n`);
  process.exit(1);
}
const logger = app.services.logger;
logger.info(
  { url: app.url, database: config.databaseUrl ? 'postgresql' : `pglite (${config.pgliteDataDir})` },
  `Safety Training API ready at ${app.url} (GraphQL over HTTP and WebSocket${config.graphqlIde ? ', GraphiQL in the browser' : ''})`,
);
if (config.auth.developmentSecret) {
  logger.warn(
    'JWT_SECRET is not set: using a development secret kept in .data/dev-jwt-secret. Do not use this in production. ' +
      'Mint a token with: npm run token -- --role admin --tenant <uuid> --user <uuid>',
  );
}

/** What went wrong, in the terms of the setting that fixes it. */
function startupFailure(error: unknown): string {
  if (error instanceof ConfigurationError || error instanceof DataFolderInUse) return error.message;
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'EADDRINUSE') return `port ${process.env.PORT ?? 4000} is already in use (set PORT to another port)`;
  if (code === 'EACCES') return `not allowed to listen on port ${process.env.PORT ?? 4000} (set PORT)`;
  if (code === '3D000' || code === '28P01' || code === '28000' || code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
    return `the database at DATABASE_URL cannot be used: ${message}`;
  }
  return message ?? String(error);
}

/**
 * Shutdown waits for in-flight requests and a clean database close; a database that stops answering
 * must not keep the process alive past the orchestrator's grace period (Kubernetes: 30 s).
 */
const SHUTDOWN_DEADLINE_MS = 25_000;

let shuttingDown = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: draining requests and closing subscriptions');
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
