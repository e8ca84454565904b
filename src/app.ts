import { createServer, type Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { startApollo } from './core/apollo.js';
import { createTokenVerifier } from './core/auth.js';
import { publicUrlFor, type Config } from './core/config.js';
import { ErrorCode } from './core/errors.js';
import { createErrorFormatter } from './core/error-masking.js';
import { startScheduler } from './core/jobs.js';
import { openReadLanes, type AppServices } from './core/caller/index.js';
import { openDatabase, type Database } from './core/db.js';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets } from './core/graphiql/assets.js';
import { GRAPHQL_PATH, MAX_BODY_BYTES, MAX_HEADER_BYTES, serveHttp, type Route } from './core/http.js';
import type { Logger } from './core/logger.js';
import { migrate } from './core/migrate.js';
import { startLiveEventHub, type HubOptions } from './core/live-events/index.js';
import { serveWebSockets } from './core/websocket.js';
import type { ModuleHost } from './core/module.js';
import { createMetrics, operationNamesOf, type Metrics } from './core/telemetry/metrics.js';
import { serveMetrics, type MetricsServer } from './core/telemetry/metrics-server.js';
import { startTracing } from './core/telemetry/tracing.js';
import * as operations from './generated/operations/graphql.js';
import { modules } from './modules.js';
import { createProfileRefresher } from './users/profile-refresh.js';

export interface App {
  server: Server;
  /** http://host:port/graphql once listening. */
  url: string;
  /** http://host:port/metrics when METRICS_PORT is set. */
  metricsUrl?: string;
  db: Database;
  services: AppServices;
  /** Drains in-flight requests, closes subscriptions (1001 Going Away) and the database. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** An already open database (tests); otherwise one is opened from the config. */
  db?: Database;
  host?: string;
  /** Live-event limits (tests and benchmarks tune them; the defaults suit production). */
  liveEvents?: Partial<HubOptions>;
}

/** The composition root: opens the database, applies migrations and serves HTTP and WebSocket on one port. */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger, schema } = options;
  // First, so that everything below runs with traces on (OTEL_EXPORTER_OTLP_ENDPOINT).
  const tracing = config.tracing && (await startTracing(config.tracing));
  const db =
    options.db ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: config.pgliteDataDir,
      poolMax: config.dbPoolMax,
      acquireTimeoutMs: config.dbAcquireTimeoutMs,
    }));
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const jobs = modules.flatMap((module) => module.jobs ?? []);
  const routePaths = new Set<string>([GRAPHQL_PATH, '/healthz', '/readyz', GRAPHIQL_ASSETS_PATH]);
  const metrics: Metrics | undefined = config.metrics
    ? createMetrics({
        // Only the published operations (codegen's) get series of their own: clients choose names freely.
        operationNames: operationNamesOf(operations),
        errorCodes: new Set(Object.values(ErrorCode)),
        routes: routePaths,
        jobs: new Set(jobs.map((job) => job.name)),
      })
    : undefined;
  // One formatter for live payloads (once per payload) and WebSocket errors, as over HTTP.
  const formatError = createErrorFormatter(logger, { hideSuggestions: !config.graphqlSuggestions });
  const liveEvents = await startLiveEventHub(db, logger, {
    // The NOTIFY channels the modules deliver live, each declared by its module.
    channels: modules.flatMap((module) => module.liveChannels ?? []),
    formatError,
    readConcurrency: Math.max(1, Math.floor(config.dbPoolMax / 2)),
    tenantBytesPerSecond: config.liveTenantBytesPerSecond,
    tenantShapingMsPerSecond: config.liveTenantShapingMsPerSecond,
    deliveryLag: metrics && ((seconds) => metrics.liveDelivery(seconds)),
    ...options.liveEvents,
  });
  const services: AppServices = {
    config,
    logger,
    prisma: db.prisma,
    readLanes: openReadLanes(db),
    verifyToken: createTokenVerifier(config.auth),
    profiles: createProfileRefresher(db.prisma),
    liveEvents,
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  const subscriptions = serveWebSockets({
    server,
    path: GRAPHQL_PATH,
    schema,
    services,
    logger,
    maxPayload: MAX_BODY_BYTES,
    limits: config.queryLimits,
    formatError,
    caps: {
      maxSubscriptionsPerSocket: config.wsMaxSubscriptionsPerSocket,
      maxSocketsPerToken: config.wsMaxSocketsPerToken,
    },
    metrics,
  });
  const apollo = await startApollo({ schema, config, services, httpServer: server, subscriptions, metrics });

  const host: ModuleHost = { services, db };
  // HTTP endpoints beside GraphQL, health and readiness: each module's own, matched most specific first.
  const routes: Route[] = modules.flatMap((module) => module.routes?.(host) ?? []);
  for (const route of routes) routePaths.add(route.path);
  if (metrics) observe(metrics, host);
  serveHttp(server, {
    graphql: apollo.execute,
    databaseAnswers: () => db.prisma.$queryRaw`SELECT 1`,
    routes,
    ide: config.graphqlIde ? graphiqlAssets() : undefined,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    logger,
    metrics,
  });

  let metricsServer: MetricsServer | undefined;
  try {
    if (metrics && config.metrics) metricsServer = await serveMetrics(metrics, config.metrics, logger);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Port in use or not allowed: release the database, so the caller sees only the cause. (Apollo is left
    // as it is: stopping it drains a server that never listened, which never finishes.)
    await metricsServer?.close();
    if (tracing) await tracing.stop();
    await subscriptions.dispose();
    await liveEvents.close();
    if (!options.db) await db.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://localhost:${port}${GRAPHQL_PATH}`;
  // Absolute links (certificates) name the port actually bound when the default named port 0.
  services.config = { ...config, publicUrl: publicUrlFor(config, port) };

  // The modules' scheduled jobs (each off when its cron setting is empty) and background workers.
  const scheduler = startScheduler({ prisma: db.prisma, config: services.config, logger, metrics }, jobs);
  const workers = modules.flatMap((module) => module.start?.(host) ?? []);

  let stopping: Promise<void> | undefined;
  return {
    server,
    url,
    metricsUrl: metricsServer && `http://localhost:${metricsServer.port}/metrics`,
    db,
    services,
    stop: () =>
      (stopping ??= (async () => {
        await scheduler?.stop();
        await Promise.all(workers.map((worker) => worker.stop()));
        // Drains HTTP requests and closes every websocket with 1001 Going Away.
        await apollo.stop();
        await liveEvents.close();
        await metricsServer?.close();
        await db.close();
        if (tracing) await tracing.stop();
      })()),
  };
}

/** The series read when scraped: the pool, live subscribers, and each module's own. */
function observe(metrics: Metrics, host: ModuleHost): void {
  const pool = host.db.pooled?.pool;
  if (pool) {
    metrics.gauge(
      'db_pool_connections',
      'Database pool: state="in_use" checked out, "idle" open and free, "waiting" requests queued for one.',
      () => ({ in_use: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      'state',
    );
  }
  metrics.gauge(
    'live_subscribers',
    'Open GraphQL subscriptions on this instance.',
    () => host.services.liveEvents.stats().subscribers,
  );
  for (const module of modules) module.metrics?.(host, metrics);
}
