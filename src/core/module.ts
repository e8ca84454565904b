import type { AppServices } from './caller/index.js';
import type { Database } from './db.js';
import type { Route } from './http.js';
import type { ScheduledJob } from './jobs.js';
import type { LiveChannel } from './live-events/index.js';
import type { PermissionTable } from './permissions.js';
import type { SettingsDeclaration } from './settings.js';
import type { Metrics } from './telemetry/metrics.js';

/** What a module's routes and workers are given when the app starts. */
export interface ModuleHost {
  services: AppServices;
  db: Database;
}

/** Work a module keeps running beside requests (the e-mail deliverer); stopped before the database closes. */
export interface ModuleWorker {
  stop(): Promise<void>;
}

/**
 * Everything a domain folder hands the app, exported by its `index.ts` (its front door). Its GraphQL types,
 * queries and mutations are added to the schema builder when `index.ts` imports its schema files; the rest is
 * listed here, and `src/app.ts` composes the modules of `src/modules.ts`.
 */
export interface DomainModule {
  /** Short and unique: logs and the key of its settings. */
  name: string;
  /** The permissions its fields name (`definePermissions`); the app's one table is their union. */
  permissions?: PermissionTable;
  /** Its environment variables, with defaults and validation, read at start-up. */
  settings?: SettingsDeclaration<unknown>;
  /** Its scheduled jobs: cron expression (from its settings) and handler, run once per tenant and slot. */
  jobs?: readonly ScheduledJob[];
  /** The NOTIFY channels it delivers live (announced keys with a catch-up read, or followed payloads). */
  liveChannels?: readonly LiveChannel[];
  /** Its HTTP endpoints beside GraphQL. */
  routes?(host: ModuleHost): Route[];
  /** Its own Prometheus series (gauges read when scraped), added when metrics are on (METRICS_PORT). */
  metrics?(host: ModuleHost, metrics: Metrics): void;
  /** Background work started with the app; undefined when its settings turn it off. */
  start?(host: ModuleHost): ModuleWorker | undefined;
}

export const defineModule = <const M extends DomainModule>(module: M): M => module;
