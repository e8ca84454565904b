import { Cron } from 'croner';

/** A setting the service cannot start with; `npm start` prints its message as one line and exits 1. */
export class ConfigurationError extends Error {}

/** The process environment, or the variables a test passes instead. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Readers of one environment variable each, checked at start-up so a typo stops the service instead of
 * silently doing something else. A module's settings are built from these (see `defineSettings`).
 */
export function readers(env: Env) {
  const nodeEnv = env.NODE_ENV ?? 'development';
  return {
    nodeEnv,
    production: nodeEnv === 'production',
    text: (name: string, fallback: string): string => env[name] || fallback,
    optionalText: (name: string): string | undefined => env[name] || undefined,
    integer(name: string, fallback: number, min = 1, max = Infinity): number {
      const value = env[name];
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
        throw new ConfigurationError(`${name} must be an integer ${range}, got "${value}"`);
      }
      return parsed;
    },
    flag(name: string, fallback: boolean): boolean {
      const value = env[name];
      if (value === undefined || value === '') return fallback;
      return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
    },
    /**
     * A cron expression (UTC); empty turns the job off. Under NODE_ENV=test the default is off, so timers never fire
     * in the middle of unrelated tests unless a test sets the variable.
     */
    cron(name: string, fallback: string): string | undefined {
      const pattern = (env[name] ?? (nodeEnv === 'test' ? '' : fallback)).trim();
      if (pattern === '') return undefined;
      try {
        new Cron(pattern, { timezone: 'UTC' });
      } catch (error) {
        throw new ConfigurationError(`${name} is not a cron expression ("${pattern}"): ${(error as Error).message}`, {
          cause: error,
        });
      }
      return pattern;
    },
  };
}

/** Where a module's settings live once read: `Config.settings`, keyed by the declaration's name. */
export type SettingsValues = ReadonlyMap<string, unknown>;

/** A module's settings: their environment variables, defaults and validation, and how code reads them. */
export interface SettingsDeclaration<T> {
  readonly name: string;
  /** Reads and validates every variable; throws ConfigurationError on a bad one. */
  read(env: Env): T;
  /** This module's settings from the loaded configuration. */
  of(config: { settings: SettingsValues }): T;
}

export function defineSettings<T>(
  name: string,
  read: (setting: ReturnType<typeof readers>, env: Env) => T,
): SettingsDeclaration<T> {
  return {
    name,
    read: (env) => read(readers(env), env),
    of(config) {
      if (!config.settings.has(name)) throw new Error(`the settings of "${name}" were not loaded`);
      return config.settings.get(name) as T;
    },
  };
}
