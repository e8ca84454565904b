import { loadConfig } from './core/config.js';
import { createLogger } from './core/logger.js';
import { startApp } from './app.js';
import { schema } from './schema.js';

/** `npm start`: the Safety Training API on PORT (default 4000). */
const config = loadConfig();
const logger = createLogger(config.logLevel);

const app = await startApp({ config, logger, schema });
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
