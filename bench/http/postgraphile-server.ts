// PostGraphile v4 on the benchmark database, for bench/http: run in its own process
// (`node --import tsx bench/http/postgraphile-server.ts`) with DATABASE_URL, PORT,
// JWT_SECRET and DB_POOL_MAX. Every request runs in a transaction as `training_app` with
// the same app.* settings our API sets, taken from the same verified JWT claims, so the
// same RLS policies apply. GET /readyz answers 200 once the schema is built.
import { createServer } from 'node:http';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { claimsOf } from './claims.js';

// One graphql for all of PostGraphile. This install hoists graphql 16 (ours) to the top of
// node_modules, and PostGraphile 4's own graphql 15 sits in nested folders, so a hoisted
// helper of PostGraphile (graphql-parse-resolve-info) loads graphql 16 while the schema is
// built with 15, and every query with arguments fails with "Unexpected input type: Int".
// Every require('graphql…') in this process is therefore pointed at PostGraphile's copy
// before PostGraphile is loaded (this process runs nothing else).
const require = createRequire(import.meta.url);
const graphql15 = path.dirname(
  require.resolve('graphql/package.json', { paths: [path.dirname(require.resolve('postgraphile/package.json'))] }),
);
const resolver = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolveFilename = resolver._resolveFilename;
resolver._resolveFilename = function (request, ...rest) {
  const pinned = request === 'graphql' || request.startsWith('graphql/') ? graphql15 + request.slice(7) : request;
  return resolveFilename.call(this, pinned, ...rest);
};
const { postgraphile } = await import('postgraphile');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
pool.on('error', () => {});

const handler = postgraphile(pool, 'public', {
  graphqlRoute: '/graphql',
  graphiql: false,
  watchPg: false,
  retryOnInitFail: false,
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  legacyRelations: 'omit',
  enableCors: false,
  pgSettings: async (req) => {
    const claims = await claimsOf(req);
    return {
      role: 'training_app',
      'app.tenant_id': claims.tenant_id,
      'app.user_id': claims.sub,
      'app.role': claims.role,
    };
  },
});
await handler.getGraphQLSchema();

const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ready"}');
    return;
  }
  void handler(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void handler
    .release()
    .then(() => pool.end())
    .finally(() => process.exit(0));
});
