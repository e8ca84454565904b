import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { ConfigurationError, readers, type Env, type SettingsDeclaration, type SettingsValues } from './settings.js';

export { ConfigurationError } from './settings.js';
import { DEFAULT_HUB_OPTIONS } from './live-events/options.js';

/**
 * The service's own settings (server, database, tokens, GraphQL), and each module's under `settings`
 * (read with the module's `SettingsDeclaration.of`). The README's configuration table lists them all.
 * Read once at start-up.
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
  /** Take the client address from X-Forwarded-For (behind a trusted proxy) rather than the socket. */
  trustProxy: boolean;
  /** Prometheus' /metrics on a listener of its own (METRICS_PORT, METRICS_HOST); undefined: off. */
  metrics?: { port: number; host: string };
  /** OpenTelemetry traces to an OTLP/HTTP collector (OTEL_EXPORTER_OTLP_ENDPOINT); undefined: off. */
  tracing?: { endpoint: string; sampleRatio: number };
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
  /**
   * Whether a query operation that is one compiled page of plain fields is answered from PostgreSQL's JSON without
   * graphql-js's execution (core/plain-pages), and a shared live selection of plain fields written by PostgreSQL
   * too; needs `compiledReads`; the same answer either way, by test.
   */
  plainPages: boolean;
  /** Depth, aliases, cost, `_entities` representations and query text limits, for HTTP and WebSocket alike. */
  queryLimits: QueryLimits;
  /** Browser origins (scheme://host[:port]) allowed to call the API across origins; empty: none. */
  corsOrigins: string[];
  /** Subscriptions one WebSocket may hold at once; one more is refused with TOO_MANY_SUBSCRIPTIONS. */
  wsMaxSubscriptionsPerSocket: number;
  /** WebSockets one token may hold open at once (per instance); one more is closed with 4429. */
  wsMaxSocketsPerToken: number;
  /** Each module's own settings, by module. */
  settings: SettingsValues;
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

/**
 * A PostgreSQL connection URL, checked now: anything else would reach the driver, which reads `not-a-url` as
 * a host name and any scheme (mysql://) as PostgreSQL. The value is quoted without its credentials.
 */
function databaseUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value.trim());
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^postgres(ql)?:$/.test(parsed.protocol)) {
    const shown = value.replace(/\/\/[^/@]*@/, '//…@');
    throw new ConfigurationError(
      `${name} must be a PostgreSQL URL like postgresql://user:password@host:5432/database ` +
        `(postgres:// or postgresql://), got "${shown}"; unset it to use the embedded database`,
    );
  }
  return value.trim();
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

/** The public URL once the server listens: a default naming port 0 (tests) gets the port actually bound. */
export function publicUrlFor(config: Config, boundPort: number): string {
  return config.publicUrl === 'http://localhost:0' ? `http://localhost:${boundPort}` : config.publicUrl;
}

/**
 * The service's own settings and those of every module given (each module declares its own; `src/config.ts`
 * passes the app's modules).
 */
export function loadConfig(env: Env, modules: readonly SettingsDeclaration<unknown>[]): Config {
  const setting = readers(env);
  const { nodeEnv, production } = setting;
  const jwksUrl = env.JWKS_URL || undefined;
  let jwtSecret = env.JWT_SECRET || undefined;
  let developmentSecret = false;
  if (!jwtSecret && !jwksUrl) {
    if (production) throw new ConfigurationError('JWT_SECRET or JWKS_URL is required when NODE_ENV=production');
    jwtSecret = devSecret(env);
    developmentSecret = true;
  }
  const settings = new Map<string, unknown>();
  for (const declaration of modules) {
    if (settings.has(declaration.name)) throw new Error(`two modules declare settings named "${declaration.name}"`);
    settings.set(declaration.name, declaration.read(env));
  }
  return {
    port: setting.integer('PORT', 4000, 0),
    nodeEnv,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    databaseUrl: databaseUrl('DATABASE_URL', env.DATABASE_URL),
    // `memory://` (a throwaway database) is not a path: resolving it would make a folder named "memory:".
    pgliteDataDir: env.PGLITE_DATA_DIR?.includes('://')
      ? env.PGLITE_DATA_DIR
      : path.resolve(env.PGLITE_DATA_DIR ?? '.data/pglite'),
    dbPoolMax: setting.integer('DB_POOL_MAX', 10),
    dbAcquireTimeoutMs: setting.integer('DB_ACQUIRE_TIMEOUT_MS', 5_000),
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      developmentSecret,
      clockSkewSeconds: setting.integer('JWT_CLOCK_SKEW_SECONDS', 60, 0),
      maxTokenLifetimeSeconds: setting.integer('JWT_MAX_LIFETIME_SECONDS', 30 * 24 * 3600),
    },
    publicUrl: publicUrl('PUBLIC_URL', env.PUBLIC_URL, env.PORT),
    trustProxy: setting.flag('TRUST_PROXY', false),
    metrics: env.METRICS_PORT
      ? { port: setting.integer('METRICS_PORT', 9464, 0, 65535), host: env.METRICS_HOST || '0.0.0.0' }
      : undefined,
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
          sampleRatio: sampleRatio(env.OTEL_TRACES_SAMPLER_ARG),
        }
      : undefined,
    graphqlIde: setting.flag('GRAPHQL_IDE', !production),
    introspection: setting.flag('GRAPHQL_INTROSPECTION', !production),
    graphqlSuggestions: setting.flag('GRAPHQL_SUGGESTIONS', !production),
    compiledReads: setting.flag('COMPILED_READS', true),
    plainPages: setting.flag('PLAIN_PAGES', true),
    queryLimits: {
      ...DEFAULT_QUERY_LIMITS,
      maxRepresentations: setting.integer('MAX_ENTITY_REPRESENTATIONS', DEFAULT_QUERY_LIMITS.maxRepresentations),
    },
    corsOrigins: origins('CORS_ORIGINS', env.CORS_ORIGINS),
    wsMaxSubscriptionsPerSocket: setting.integer('WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 20),
    wsMaxSocketsPerToken: setting.integer('WS_MAX_SOCKETS_PER_TOKEN', 10),
    settings,
    liveTenantBytesPerSecond: setting.integer('LIVE_TENANT_BYTES_PER_SECOND', DEFAULT_HUB_OPTIONS.tenantBytesPerSecond),
    liveTenantShapingMsPerSecond: setting.integer(
      'LIVE_TENANT_SHAPING_MS_PER_SECOND',
      DEFAULT_HUB_OPTIONS.tenantShapingMsPerSecond,
    ),
  };
}

/** OTEL_TRACES_SAMPLER_ARG: the share of traces kept (0–1; default all), as OpenTelemetry's SDKs read it. */
function sampleRatio(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const ratio = Number(value);
  if (!(ratio >= 0 && ratio <= 1))
    throw new ConfigurationError(`OTEL_TRACES_SAMPLER_ARG must be between 0 and 1, got "${value}"`);
  return ratio;
}

/**
 * Without JWT_SECRET the server and `npm run token` must agree on a secret, so
 * a random development secret is kept in a git-ignored file beside the data.
 */
function devSecret(env: Env): string {
  const file = path.resolve(env.DEV_JWT_SECRET_FILE ?? '.data/dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
