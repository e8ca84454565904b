import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Database, SqlConnection } from './db.js';

/**
 * Applies prisma/migrations/<name>/migration.sql in order and records each in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does (same table,
 * sha256 checksum of the file), so Prisma's own CLI accepts a database this
 * runner migrated. Each migration runs in its own transaction; the whole run
 * holds Prisma's advisory lock so two instances starting at once cannot race.
 */

export const DEFAULT_MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../prisma/migrations');

/** The key `prisma migrate` locks on, so our runner and Prisma's exclude each other too. */
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {}

export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies pending migrations; returns the names it applied. */
export async function migrate(db: Database, dir: string = DEFAULT_MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  return db.withConnection(async (connection) => {
    await connection.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    try {
      // Only when missing: a runtime user without CREATE on the schema still starts on a migrated database.
      const [history] = await connection.query<{ present: boolean }>(
        `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
      );
      if (!history?.present) await connection.exec(CREATE_MIGRATIONS_TABLE);
      const applied = await connection.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
      );
      verifyHistory(migrations, applied);
      const done = new Set(applied.map((row) => row.migration_name));
      const pending = migrations.filter((migration) => !done.has(migration.name));
      for (const migration of pending) await applyOne(connection, migration);
      return pending.map((migration) => migration.name);
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]);
    }
  });
}

function verifyHistory(files: MigrationFile[], applied: AppliedRow[]): void {
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const row of applied) {
    if (row.finished_at === null) {
      throw new MigrationError(
        `Migration ${row.migration_name} started but never finished; resolve it before migrating.`,
      );
    }
    const file = byName.get(row.migration_name);
    if (!file) {
      throw new MigrationError(`Migration ${row.migration_name} is applied but missing from the migrations folder.`);
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${row.migration_name} was modified after it was applied (checksum mismatch); ` +
          'write a new migration instead of editing an applied one.',
      );
    }
  }
}

async function applyOne(connection: SqlConnection, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  await connection.exec('BEGIN');
  try {
    await connection.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, migration.checksum, migration.name],
    );
    await connection.exec(migration.sql);
    await connection.query(
      'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await connection.exec('COMMIT');
  } catch (error) {
    await connection.exec('ROLLBACK');
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
