// Starts this API inside a script's own process (the demo seed, the gateway demo), so a script needs no server
// running beside it. The one place scripts depend on how the app starts.
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { startApp, type App } from '../src/app.js';
import { schema } from '../src/schema.js';

export type { App, Config };

/**
 * `env` overrides the process environment (PORT defaults to a free port). The scheduled jobs are off: a
 * script's run must not do the work of the server it stands in for.
 */
export async function startLocalApi(env: NodeJS.ProcessEnv = {}): Promise<{ app: App; config: Config }> {
  const config = loadConfig({ ...process.env, PORT: '0', AUTO_ASSIGN_CRON: '', OVERDUE_SWEEP_CRON: '', ...env });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const app = await startApp({ config, logger, schema, host: '127.0.0.1' });
  return { app, config };
}
