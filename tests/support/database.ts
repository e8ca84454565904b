import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Caller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { migrate } from '../../src/core/migrate.js';
import { copyCitusTemplate, dropCitusDatabase, onCitus, prepareCitusDatabase, spanningTenants } from './citus.js';
import { recordStatement, statementLogged } from './statement-log.js';

/**
 * Throwaway, migrated databases. Each test file gets its own, so tests never see
 * each other's rows: an in-memory PGlite by default, or a database on the
 * PostgreSQL server named by TEST_DATABASE_URL / DATABASE_URL. Benchmarks always
 * run on a PostgreSQL server: BENCH_DATABASE_URL, else DATABASE_URL, else the
 * local trust-auth server.
 */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const onPostgres = serverUrl !== undefined;

export const benchServerUrl =
  process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  /** The URL of the throwaway PostgreSQL database (undefined on PGlite). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function freshDatabase(
  options: { migrated?: boolean; onQuery?: (sql: string) => void; serverUrl?: string } = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  const url = options.serverUrl ?? serverUrl;
  const counted = options.onQuery;
  const onQuery = statementLogged ? (sql: string) => (recordStatement(sql), counted?.(sql)) : counted;
  if (!url) {
    const db = await openDatabase({ dataDir: 'memory://', onQuery });
    if (migrated) await migrate(db);
    return Object.assign(db, { url: undefined, drop: () => db.close() });
  }
  // On Citus a migrated database is a copy of one already migrated and distributed (citus.ts).
  const copied = migrated && onCitus;
  const created = await createServerDatabase(url, 'training_test', { copied });
  const db = await openDatabase({ url: created.url, poolMax: 20, onQuery });
  if (migrated && !copied) await migrate(db);
  if (onCitus) db.withConnection = spanningTenants(db.withConnection.bind(db));
  return Object.assign(db, {
    url: created.url,
    async drop() {
      await db.close();
      await created.drop();
    },
  });
}

export interface BenchDatabase {
  name: string;
  /** URL of the throwaway database, as its owner (the connecting user). */
  url: string;
  /** Runs `fn` with one owner connection to the throwaway database. */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the benchmark server and applies every migration with src/core/migrate.ts. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const created = await createServerDatabase(benchServerUrl, prefix);
  try {
    const db = await openDatabase({ url: created.url, poolMax: 2 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    await created.drop();
    throw error;
  }
  return {
    ...created,
    async withClient(fn) {
      const client = new pg.Client({ connectionString: created.url });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Runs `fn` on `client` in one transaction as `caller`, under RLS exactly as src/core/caller/ sets up a
 * request (role training_app; app.tenant_id, app.user_id, app.role). Rolls back, unless `commit` is set.
 */
export async function withCaller<T>(
  client: pg.Client,
  caller: Caller,
  fn: () => Promise<T>,
  { commit = false } = {},
): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(
      "SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', $1, true), " +
        "set_config('app.user_id', $2, true), set_config('app.role', $3, true)",
      [caller.tenantId, caller.userId, caller.role],
    );
    const result = await fn();
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * An empty database `<prefix>_<random>` on the server at `server`. It is dropped
 * WITH (FORCE), so a connection still open (a pool, a child process) does not keep it alive.
 */
async function createServerDatabase(
  server: string,
  prefix: string,
  { copied = false } = {},
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (copied) {
    await copyCitusTemplate(server, name);
  } else {
    await onServer(server, `CREATE DATABASE "${name}"`);
    if (onCitus) await prepareCitusDatabase(server, name);
  }
  return {
    name,
    url: withDatabase(server, name),
    async drop() {
      await onServer(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      if (onCitus) await dropCitusDatabase(server, name);
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
