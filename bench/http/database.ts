import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/core/db.js';
import { migrate } from '../../src/core/migrate.js';

/**
 * Throwaway PostgreSQL databases for the benchmarks: created on the server named
 * by BENCH_DATABASE_URL, else DATABASE_URL, else the local trust-auth server;
 * migrated with our own runner; dropped at the end (WITH (FORCE), so a child
 * process that is still connected does not keep it alive).
 */
export const serverUrl =
  process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  /** URL of the throwaway database, as its owner (the connecting user). */
  url: string;
  /** Runs `fn` with one owner connection to the throwaway database. */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates `<prefix>_<random>` and applies every migration with src/core/migrate.ts. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await onServer(`CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  try {
    const db = await openDatabase({ url, poolMax: 2 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    await onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    throw error;
  }
  return {
    name,
    url,
    async withClient(fn) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    },
    drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** The tables RLS is forced on, which a seed writes as the owner. */
const SEEDED_TABLES = ['profiles', 'training_courses', 'training_assignments', 'training_completions'];
/** The big tables, whose secondary indexes and foreign keys are rebuilt after a bulk load. */
const BULK_TABLES = ['training_assignments', 'training_completions'];

/**
 * Runs a set-based seed as the table owner, in one transaction. RLS is forced on every
 * table (even for the owner), so it is lifted for the seed and restored afterwards; the
 * NOTIFY trigger (payloads for subscribers nobody has here) is switched off meanwhile.
 * For speed, the secondary indexes and foreign keys of the assignment and completion
 * tables are dropped first and recreated afterwards from their own definitions
 * (pg_get_indexdef / pg_get_constraintdef), so the schema ends exactly as migrated and
 * every foreign key is validated once, in bulk, instead of per row. Works whether or not
 * the owner is a superuser.
 */
export async function seedAsOwner(client: pg.Client, script: (client: pg.Client) => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE "${table}" NO FORCE ROW LEVEL SECURITY`);
    await client.query('ALTER TABLE "training_assignments" DISABLE TRIGGER "training_assignments_notify_created"');
    const { rows: foreignKeys } = await client.query<{ name: string; table_name: string; def: string }>(
      `SELECT conname AS name, conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])`,
      [BULK_TABLES],
    );
    for (const fk of foreignKeys) await client.query(`ALTER TABLE ${fk.table_name} DROP CONSTRAINT "${fk.name}"`);
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
       WHERE i.indrelid = ANY($1::regclass[])
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
      [BULK_TABLES],
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);

    await script(client);

    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes) await client.query(index.def);
    for (const fk of foreignKeys) {
      await client.query(`ALTER TABLE ${fk.table_name} ADD CONSTRAINT "${fk.name}" ${fk.def}`);
    }
    await client.query('ALTER TABLE "training_assignments" ENABLE TRIGGER "training_assignments_notify_created"');
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
