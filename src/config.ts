import { loadConfig as loadConfigOf, type Config } from './core/config.js';
import type { Env } from './core/settings.js';
import { modules } from './modules.js';

export { ConfigurationError, publicUrlFor, type Config } from './core/config.js';

/** The service's settings and every module's, from the environment; a bad one throws ConfigurationError. */
export function loadConfig(env: Env = process.env): Config {
  return loadConfigOf(
    env,
    modules.flatMap((module) => (module.settings ? [module.settings] : [])),
  );
}
