import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/core/db.js';
import { migrate } from '../../src/core/migrate.js';

/**
 * Each test file gets its own fresh, migrated database, so tests never see each
 * other's rows: an in-memory PGlite by default, or a throwaway database on the
 * PostgreSQL server named by TEST_DATABASE_URL / DATABASE_URL.
 */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const onPostgres = serverUrl !== undefined;

export interface TestDatabase extends Database {
  /** The URL of the throwaway PostgreSQL database (undefined on PGlite). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function freshDatabase(
  options: { migrated?: boolean; onQuery?: (sql: string) => void } = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  if (!serverUrl) {
    const db = await openDatabase({ dataDir: 'memory://', onQuery: options.onQuery });
    if (migrated) await migrate(db);
    return Object.assign(db, { url: undefined, drop: () => db.close() });
  }
  const name = `training_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  const db = await openDatabase({ url, poolMax: 20, onQuery: options.onQuery });
  if (migrated) await migrate(db);
  return Object.assign(db, {
    url,
    async drop() {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  });
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
