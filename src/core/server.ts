import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { createTokenVerifier } from './auth.js';
import type { Config } from './config.js';
import { createContext, createProfileRefresher, type AppServices, type Context } from './context.js';
import { openDatabase, type Database } from './db.js';
import { createErrorFormatter } from './errors.js';
import { costLimitPlugin, DEFAULT_QUERY_LIMITS, depthAndAliasRules } from './limits.js';
import type { Logger } from './logger.js';
import { migrate } from './migrate.js';
import { startNotificationHub, type HubOptions } from './notifications.js';
import { serveWebSockets } from './websocket.js';
import { startScheduler } from '../risk/scheduler.js';
import { createWebHandler } from '../web/serve.js';

/** Largest request body accepted (bytes); larger requests get 413. */
export const MAX_BODY_BYTES = 1_000_000;
export const GRAPHQL_PATH = '/graphql';

export interface App {
  server: Server;
  /** http://host:port/graphql once listening. */
  url: string;
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
  notifications?: Partial<HubOptions>;
}

/** Opens the database, applies migrations and serves GraphQL over HTTP and WebSocket on one port. */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger, schema } = options;
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
  const notifications = await startNotificationHub(db, logger, {
    readConcurrency: Math.max(1, Math.floor(config.dbPoolMax / 2)),
    ...options.notifications,
  });

  const services: AppServices = {
    config,
    logger,
    prisma: db.prisma,
    verifyToken: createTokenVerifier(config.auth),
    profiles: createProfileRefresher(db.prisma),
    notifications,
  };

  const server = createServer();
  const subscriptions = serveWebSockets({
    server,
    path: GRAPHQL_PATH,
    schema,
    services,
    logger,
    maxPayload: MAX_BODY_BYTES,
    validationRules: depthAndAliasRules(DEFAULT_QUERY_LIMITS),
  });

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // src/main.ts owns SIGTERM/SIGINT and calls stop(). Apollo's own handlers (on outside NODE_ENV=test) would
    // stop Apollo first, and a second apollo.stop() never settles: stop() hung and the DB was never closed.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger),
    logger,
    // Batched (array) requests are refused (Apollo's default, kept explicit): one operation per request.
    allowBatchedHttpRequests: false,
    validationRules: depthAndAliasRules(DEFAULT_QUERY_LIMITS),
    plugins: [
      costLimitPlugin(DEFAULT_QUERY_LIMITS),
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // No HTTP caching of GraphQL responses here (they are per caller): skip its per-field hook.
      ApolloServerPluginCacheControlDisabled(),
      {
        // A query's reads share one transaction (context.ts); it is committed before the response goes out.
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, contextValue }) {
              if (operation?.operation === 'query') contextValue.shareReads?.();
            },
            async willSendResponse({ contextValue }) {
              await contextValue.endReads?.();
            },
          };
        },
      },
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await subscriptions.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const handleGraphQL = graphqlHandler(apollo as unknown as ApolloServer<BaseContext>, services, logger);
  const ide = config.graphqlIde ? graphiqlAssets() : undefined;
  const web = createWebHandler({ config, prisma: db.prisma });

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      // A database that stops answering (frozen, partitioned) reads as unavailable within 2 s; the probe never hangs.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('readiness check timed out')), 2_000);
      });
      return void Promise.race([db.prisma.$queryRaw`SELECT 1`, timeout])
        .finally(() => clearTimeout(timer))
        .then(
          () => json(res, 200, { status: 'ready' }),
          () => json(res, 503, { status: 'database unavailable' }),
        );
    }
    if (ide && url.pathname.startsWith('/graphiql/assets/')) return ide.asset(url.pathname, res);
    if (url.pathname === GRAPHQL_PATH) {
      if (ide && req.method === 'GET' && !url.search && (req.headers.accept ?? '').includes('text/html')) {
        return ide.page(res);
      }
      return void handleGraphQL(req, res, url);
    }
    if (web(req, res, url)) return;
    json(res, 404, { error: 'Not found. GraphQL is at /graphql' });
  });

  await new Promise<void>((resolve) => server.listen(config.port, options.host ?? '0.0.0.0', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://localhost:${port}${GRAPHQL_PATH}`;

  // Scheduled auto-assignment and overdue sweep (off when their cron settings are empty).
  const scheduler = startScheduler({ prisma: db.prisma, config, logger });

  let stopping: Promise<void> | undefined;
  return {
    server,
    url,
    db,
    services,
    stop: () =>
      (stopping ??= (async () => {
        await scheduler?.stop();
        // Drains HTTP requests and closes every websocket with 1001 Going Away.
        await apollo.stop();
        await notifications.close();
        await db.close();
      })()),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

class PayloadTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new PayloadTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PayloadTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Node's HTTP request → Apollo's transport-neutral request, and back. */
function graphqlHandler(apollo: ApolloServer<BaseContext>, services: AppServices, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      const raw = req.method === 'POST' ? await readBody(req) : '';
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown = raw;
      if (raw && (headers.get('content-type') ?? '').includes('application/json')) {
        try {
          body = JSON.parse(raw);
        } catch {
          return json(res, 400, { errors: [{ message: 'Malformed JSON body', extensions: { code: 'BAD_REQUEST' } }] });
        }
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => createContext(services, req.headers.authorization) as unknown as Promise<BaseContext>,
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        res.setHeader('connection', 'close');
        return json(res, 413, {
          errors: [
            { message: `Request body larger than ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } },
          ],
        });
      }
      logger.error({ err: error }, 'request failed outside GraphQL execution');
      if (!res.headersSent) {
        json(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      } else {
        res.end();
      }
    }
  };
}

/** GraphiQL and its scripts, served from node_modules so the IDE works offline. */
function graphiqlAssets() {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  const files: Record<string, { file: string; type: string }> = {
    'react.production.min.js': { file: path.join(packageDir('react'), 'umd/react.production.min.js'), type: 'js' },
    'react-dom.production.min.js': {
      file: path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
      type: 'js',
    },
    'graphiql.min.js': { file: path.join(packageDir('graphiql'), 'graphiql.min.js'), type: 'js' },
    'graphiql.min.css': { file: path.join(packageDir('graphiql'), 'graphiql.min.css'), type: 'css' },
    'graphql-ws.min.js': { file: path.join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js'), type: 'js' },
  };
  const page = readFileSync(new URL('./graphiql/index.html', import.meta.url));
  const cache = new Map<string, Buffer>();
  return {
    page(res: ServerResponse) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    },
    asset(pathname: string, res: ServerResponse) {
      const name = pathname.slice('/graphiql/assets/'.length);
      const entry = files[name];
      if (!entry) return json(res, 404, { error: 'Not found' });
      let content = cache.get(name);
      if (!content) {
        content = readFileSync(entry.file);
        cache.set(name, content);
      }
      res.writeHead(200, {
        'content-type': entry.type === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=86400',
      });
      res.end(content);
    },
  };
}
