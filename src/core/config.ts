import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { DEFAULT_HUB_OPTIONS } from './live-events/options.js';

/**
 * Every setting the service reads, in one place (the README's configuration
 * table mirrors this). Read once at start-up; tests build their own.
 */
export interface Config {
  port: number;
  nodeEnv: string;
  logLevel: string;
  /** PostgreSQL server; when absent the embedded PGlite in `pgliteDataDir` is used. */
  databaseUrl: string | undefined;
  pgliteDataDir: string;
  dbPoolMax: number;
  /** How long a request waits for a pooled connection before failing (PostgreSQL only). */
  dbAcquireTimeoutMs: number;
  auth: AuthConfig;
  /**
   * Base of absolute links (certificate PDFs and verify pages), without a trailing slash. Default
   * `http://localhost:<PORT>`; with PORT=0 the app fills in the port it got (see `publicUrlFor`).
   */
  publicUrl: string;
  /** Public certificate lookups (PDF, verify page, `verifyCertificate`) allowed per client address per minute. */
  certificateLookupsPerMinute: number;
  /** Take the client address from X-Forwarded-For (behind a trusted proxy) rather than the socket. */
  trustProxy: boolean;
  /** Days from assignment to due date for risk-based assignments. */
  autoAssignDueDays: number;
  /** Whether recorded predictive scores auto-assign for the entities they touch (per call: `autoAssign`). */
  autoAssignOnScores: boolean;
  /** Cron expression (UTC) for auto-assignment of every tenant; undefined: not scheduled. */
  autoAssignCron: string | undefined;
  /** Cron expression (UTC) for the overdue sweep of every tenant; undefined: not scheduled. */
  overdueSweepCron: string | undefined;
  /** Cron expression (UTC) for risk escalation of every tenant; undefined: not scheduled. */
  riskEscalationCron: string | undefined;
  /** Cron expression (UTC) announcing the qualifications that expired at the change of day; undefined: off. */
  qualificationExpiryCron: string | undefined;
  /** Cron expression (UTC) for DUE_SOON and OVERDUE notifications of every tenant; undefined: not scheduled. */
  remindersCron: string | undefined;
  /** Cron expression (UTC) for recertification (and CERTIFICATE_EXPIRING); undefined: not scheduled. */
  recertificationCron: string | undefined;
  /** DUE_SOON goes out this many days before an assignment's due date. */
  dueSoonDays: number;
  /** SMTP server for notification e-mail (smtp://user:pass@host:port); undefined: .eml files in `mailDir`. */
  smtpUrl: string | undefined;
  /** The From header of notification e-mail. */
  mailFrom: string;
  /** Where e-mail goes without SMTP_URL (one .eml file per message). */
  mailDir: string;
  /** How often the deliverer looks for notifications to e-mail; undefined: the deliverer is off. */
  emailPollMs: number | undefined;
  /** Attempts per e-mail before it is marked failed. */
  emailMaxAttempts: number;
  /** The first retry waits this long; each further one twice as long as the one before. */
  emailRetryBaseMs: number;
  /** Whether GraphiQL and introspection are on (default: off in production). */
  graphqlIde: boolean;
  introspection: boolean;
  /** Whether error messages may suggest schema names ("Did you mean …?"); default: off in production. */
  graphqlSuggestions: boolean;
  /**
   * Whether the hot list reads (courses, assignments) whose selection compiles to one SQL statement take that
   * path (core/json-page-sql.ts) instead of Prisma's queries; the same answer either way, by test.
   */
  compiledReads: boolean;
  /** Depth, aliases, cost, `_entities` representations and query text limits, for HTTP and WebSocket alike. */
  queryLimits: QueryLimits;
  /** Browser origins (scheme://host[:port]) allowed to call the API across origins; empty: none. */
  corsOrigins: string[];
  /** Subscriptions one WebSocket may hold at once; one more is refused with TOO_MANY_SUBSCRIPTIONS. */
  wsMaxSubscriptionsPerSocket: number;
  /** WebSockets one token may hold open at once (per instance); one more is closed with 4429. */
  wsMaxSocketsPerToken: number;
  /**
   * A tenant's live-delivery budget per second (bytes serialized and sent, milliseconds of shaping): over
   * it, its deliveries wait and other tenants' go first (src/core/live-events/budget.ts).
   */
  liveTenantBytesPerSecond: number;
  liveTenantShapingMsPerSecond: number;
}

export interface AuthConfig {
  /** HS256 shared secret. */
  jwtSecret: string | undefined;
  /** JWKS endpoint for RS256/ES256 tokens. */
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** True when no secret was configured and one was made up for this process. */
  developmentSecret: boolean;
  /** How far in the future a token's `iat`/`nbf` may be (the issuer's clock running ahead); default 60. */
  clockSkewSeconds?: number;
  /** Longest lifetime a token may have (`exp` − `iat`); default 30 days. */
  maxTokenLifetimeSeconds?: number;
}

/** A setting the service cannot start with; `npm start` prints its message as one line and exits 1. */
export class ConfigurationError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new ConfigurationError(`${name} must be an integer ≥ ${min}, got "${value}"`);
  }
  return parsed;
}

/** A cron expression checked now, so a typo stops start-up instead of silently never running. */
function cron(name: string, value: string | undefined, fallback: string): string | undefined {
  const pattern = (value ?? fallback).trim();
  if (pattern === '') return undefined;
  try {
    new Cron(pattern, { timezone: 'UTC' });
  } catch (error) {
    throw new ConfigurationError(`${name} is not a cron expression ("${pattern}"): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return pattern;
}

/** A comma-separated list of origins, each checked now so a typo stops start-up instead of refusing browsers. */
function origins(name: string, value: string | undefined): string[] {
  const listed = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of listed) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigurationError(`${name}: "${origin}" is not an origin like https://dashboard.example.com`);
    }
  }
  return listed;
}

/** An absolute http(s) base URL, checked now; without one, the local server's own address. */
function publicUrl(name: string, value: string | undefined, port: string | undefined): string {
  if (value === undefined || value.trim() === '') return `http://localhost:${port || 4000}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value.trim());
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash) {
    throw new ConfigurationError(
      `${name} must be an absolute http(s) URL like https://training.example.com, got "${value}"`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}

/** The public URL once the server listens: a default naming port 0 (tests) gets the port actually bound. */
export function publicUrlFor(config: Config, boundPort: number): string {
  return config.publicUrl === 'http://localhost:0' ? `http://localhost:${boundPort}` : config.publicUrl;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const jwksUrl = env.JWKS_URL || undefined;
  let jwtSecret = env.JWT_SECRET || undefined;
  let developmentSecret = false;
  if (!jwtSecret && !jwksUrl) {
    if (production) throw new ConfigurationError('JWT_SECRET or JWKS_URL is required when NODE_ENV=production');
    jwtSecret = devSecret(env);
    developmentSecret = true;
  }
  return {
    port: integer('PORT', env.PORT, 4000, 0),
    nodeEnv,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    databaseUrl: env.DATABASE_URL || undefined,
    // `memory://` (a throwaway database) is not a path: resolving it would make a folder named "memory:".
    pgliteDataDir: env.PGLITE_DATA_DIR?.includes('://')
      ? env.PGLITE_DATA_DIR
      : path.resolve(env.PGLITE_DATA_DIR ?? '.data/pglite'),
    dbPoolMax: integer('DB_POOL_MAX', env.DB_POOL_MAX, 10),
    dbAcquireTimeoutMs: integer('DB_ACQUIRE_TIMEOUT_MS', env.DB_ACQUIRE_TIMEOUT_MS, 5_000),
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      developmentSecret,
      clockSkewSeconds: integer('JWT_CLOCK_SKEW_SECONDS', env.JWT_CLOCK_SKEW_SECONDS, 60, 0),
      maxTokenLifetimeSeconds: integer('JWT_MAX_LIFETIME_SECONDS', env.JWT_MAX_LIFETIME_SECONDS, 30 * 24 * 3600),
    },
    publicUrl: publicUrl('PUBLIC_URL', env.PUBLIC_URL, env.PORT),
    certificateLookupsPerMinute: integer('CERTIFICATE_LOOKUPS_PER_MINUTE', env.CERTIFICATE_LOOKUPS_PER_MINUTE, 60),
    trustProxy: flag(env.TRUST_PROXY, false),
    autoAssignDueDays: integer('AUTO_ASSIGN_DUE_DAYS', env.AUTO_ASSIGN_DUE_DAYS, 14),
    autoAssignOnScores: flag(env.AUTO_ASSIGN_ON_SCORES, true),
    // Timers would fire in the middle of unrelated tests: off under NODE_ENV=test unless a test sets them.
    autoAssignCron: cron('AUTO_ASSIGN_CRON', env.AUTO_ASSIGN_CRON, nodeEnv === 'test' ? '' : '0 * * * *'),
    overdueSweepCron: cron('OVERDUE_SWEEP_CRON', env.OVERDUE_SWEEP_CRON, nodeEnv === 'test' ? '' : '5 * * * *'),
    riskEscalationCron: cron('RISK_ESCALATION_CRON', env.RISK_ESCALATION_CRON, nodeEnv === 'test' ? '' : '15 * * * *'),
    qualificationExpiryCron: cron(
      'QUALIFICATION_EXPIRY_CRON',
      env.QUALIFICATION_EXPIRY_CRON,
      nodeEnv === 'test' ? '' : '0 0 * * *',
    ),
    remindersCron: cron('REMINDERS_CRON', env.REMINDERS_CRON, nodeEnv === 'test' ? '' : '10 * * * *'),
    recertificationCron: cron('RECERTIFICATION_CRON', env.RECERTIFICATION_CRON, nodeEnv === 'test' ? '' : '20 2 * * *'),
    dueSoonDays: integer('DUE_SOON_DAYS', env.DUE_SOON_DAYS, 3),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'Safety Training <no-reply@localhost>',
    mailDir: path.resolve(env.MAIL_DIR ?? '.data/mail'),
    // Off under NODE_ENV=test unless a test sets it: every test server would otherwise write mail.
    // `off` turns it off anywhere (an instance that only serves reads; the HTTP benchmark).
    emailPollMs:
      (env.EMAIL_POLL_MS === undefined && nodeEnv === 'test') || env.EMAIL_POLL_MS?.toLowerCase() === 'off'
        ? undefined
        : integer('EMAIL_POLL_MS', env.EMAIL_POLL_MS, 5_000),
    emailMaxAttempts: integer('EMAIL_MAX_ATTEMPTS', env.EMAIL_MAX_ATTEMPTS, 5),
    emailRetryBaseMs: integer('EMAIL_RETRY_BASE_MS', env.EMAIL_RETRY_BASE_MS, 60_000),
    graphqlIde: flag(env.GRAPHQL_IDE, !production),
    introspection: flag(env.GRAPHQL_INTROSPECTION, !production),
    graphqlSuggestions: flag(env.GRAPHQL_SUGGESTIONS, !production),
    compiledReads: flag(env.COMPILED_READS, true),
    queryLimits: {
      ...DEFAULT_QUERY_LIMITS,
      maxRepresentations: integer(
        'MAX_ENTITY_REPRESENTATIONS',
        env.MAX_ENTITY_REPRESENTATIONS,
        DEFAULT_QUERY_LIMITS.maxRepresentations,
      ),
    },
    corsOrigins: origins('CORS_ORIGINS', env.CORS_ORIGINS),
    wsMaxSubscriptionsPerSocket: integer('WS_MAX_SUBSCRIPTIONS_PER_SOCKET', env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET, 20),
    wsMaxSocketsPerToken: integer('WS_MAX_SOCKETS_PER_TOKEN', env.WS_MAX_SOCKETS_PER_TOKEN, 10),
    liveTenantBytesPerSecond: integer(
      'LIVE_TENANT_BYTES_PER_SECOND',
      env.LIVE_TENANT_BYTES_PER_SECOND,
      DEFAULT_HUB_OPTIONS.tenantBytesPerSecond,
    ),
    liveTenantShapingMsPerSecond: integer(
      'LIVE_TENANT_SHAPING_MS_PER_SECOND',
      env.LIVE_TENANT_SHAPING_MS_PER_SECOND,
      DEFAULT_HUB_OPTIONS.tenantShapingMsPerSecond,
    ),
  };
}

/**
 * Without JWT_SECRET the server and `npm run token` must agree on a secret, so
 * a random development secret is kept in a git-ignored file beside the data.
 */
function devSecret(env: NodeJS.ProcessEnv): string {
  const file = path.resolve(env.DEV_JWT_SECRET_FILE ?? '.data/dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
