import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/db.js';
import { DEFAULT_MIGRATIONS_DIR, migrate, MigrationError } from '../../src/core/migrate.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';

/**
 * Migrations are SQL files in Prisma's layout, applied by our runner,
 * recorded in `_prisma_migrations` exactly as Prisma does, each in a
 * transaction, under an advisory lock.
 */

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const SELECT_HISTORY = `
  SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, applied_steps_count
  FROM "_prisma_migrations" ORDER BY migration_name`;

/** The migration folders and the sha256 of each file's bytes, computed here independently of the runner. */
function migrationsOnDisk(dir: string): { name: string; checksum: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256')
        .update(readFileSync(path.join(dir, name, 'migration.sql')))
        .digest('hex'),
    }));
}

const databases: TestDatabase[] = [];
const tempDirs: string[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await freshDatabase({ migrated: false });
  databases.push(db);
  return db;
}

/** A private copy of prisma/migrations that a test may edit. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'training-migrations-'));
  tempDirs.push(dir);
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

async function tableExists(db: TestDatabase, table: string): Promise<boolean> {
  const [row] = await owner(db).query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    `public.${table}`,
  ]);
  return row?.found ?? false;
}

afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('migration runner', () => {
  it('applies every migration to an empty database and records each as Prisma does', async () => {
    const db = await emptyDatabase();
    const expected = migrationsOnDisk(DEFAULT_MIGRATIONS_DIR);
    expect(expected.length).toBeGreaterThan(0);

    const applied = await migrate(db);

    expect(applied).toEqual(expected.map((m) => m.name));
    const history = await owner(db).query<MigrationRow>(SELECT_HISTORY);
    expect(history.map((row) => ({ name: row.migration_name, checksum: row.checksum }))).toEqual(expected);
    for (const row of history) {
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.started_at).toBeInstanceOf(Date);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
    // Applied in name order: each one started after the previous one finished.
    for (let i = 1; i < history.length; i++) {
      expect(history[i]!.started_at.getTime()).toBeGreaterThanOrEqual(history[i - 1]!.finished_at!.getTime());
    }
    for (const table of ['profiles', 'training_courses', 'training_assignments', 'training_completions']) {
      expect(await tableExists(db, table), table).toBe(true);
    }
  });

  it('creates _prisma_migrations with the columns `prisma migrate` expects', async () => {
    const db = await emptyDatabase();
    await migrate(db);

    const columns = await owner(db).query<{ column_name: string; data_type: string; nullable: string; len: number }>(
      `SELECT column_name, data_type, is_nullable AS nullable, character_maximum_length AS len
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '_prisma_migrations'
       ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', nullable: 'NO', len: 36 },
      { column_name: 'checksum', data_type: 'character varying', nullable: 'NO', len: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', nullable: 'YES', len: null },
      { column_name: 'migration_name', data_type: 'character varying', nullable: 'NO', len: 255 },
      { column_name: 'logs', data_type: 'text', nullable: 'YES', len: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', nullable: 'YES', len: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', nullable: 'NO', len: null },
      { column_name: 'applied_steps_count', data_type: 'integer', nullable: 'NO', len: null },
    ]);
  });

  it('is idempotent: a second run applies nothing and leaves the history as it was', async () => {
    const db = await emptyDatabase();
    await migrate(db);
    const before = await owner(db).query<MigrationRow>(SELECT_HISTORY);

    const appliedAgain = await migrate(db);

    expect(appliedAgain).toEqual([]);
    expect(await owner(db).query<MigrationRow>(SELECT_HISTORY)).toEqual(before);
  });

  it('refuses to run when an applied migration was edited, and changes nothing', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await migrate(db, dir);
    const before = await owner(db).query<MigrationRow>(SELECT_HISTORY);
    const [first] = migrationsOnDisk(dir);
    appendFileSync(path.join(dir, first!.name, 'migration.sql'), '\n-- an innocent-looking edit\n');
    // A new migration waiting behind the tampered one must not be applied either.
    addMigration(dir, '29990101000000_pending', 'CREATE TABLE "pending_probe" ("id" INTEGER);');

    await expect(migrate(db, dir)).rejects.toSatisfy(
      (error) =>
        error instanceof MigrationError &&
        /checksum mismatch/.test(error.message) &&
        error.message.includes(first!.name),
    );

    expect(await owner(db).query<MigrationRow>(SELECT_HISTORY)).toEqual(before);
    expect(await tableExists(db, 'pending_probe')).toBe(false);
  });

  it('rolls back a failing migration completely: no table, no history row; a fixed file then applies', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    const good = migrationsOnDisk(dir).map((m) => m.name);
    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "broken_probe" ("id" INTEGER);\nSELECT 1 / 0;\n');

    await expect(migrate(db, dir)).rejects.toSatisfy(
      (error) =>
        error instanceof MigrationError &&
        error.message.includes('29990101000000_broken') &&
        /rolled back/.test(error.message) &&
        /division by zero/.test(error.message),
    );

    const history = await owner(db).query<MigrationRow>(SELECT_HISTORY);
    expect(history.map((row) => row.migration_name)).toEqual(good); // the earlier ones stay applied
    expect(await tableExists(db, 'broken_probe')).toBe(false);

    writeFileSync(
      path.join(dir, '29990101000000_broken', 'migration.sql'),
      'CREATE TABLE "broken_probe" ("id" INTEGER);\n',
    );
    expect(await migrate(db, dir)).toEqual(['29990101000000_broken']);
    expect(await tableExists(db, 'broken_probe')).toBe(true);
  });

  // PostgreSQL only: PGlite is one in-process session, so there is no second
  // connection that could race the first; the advisory lock matters on a server.
  it.runIf(onPostgres)(
    'lets two runners start at once on the same database: both succeed, each migration is recorded once',
    async () => {
      const db = await emptyDatabase();
      const second = await openDatabase({ url: db.url! });
      try {
        const results = await Promise.all([migrate(db), migrate(second)]);

        const names = migrationsOnDisk(DEFAULT_MIGRATIONS_DIR).map((m) => m.name);
        // One runner applied everything; the other waited for the lock and found nothing to do.
        expect(results.map((applied) => applied.length).sort()).toEqual([0, names.length]);
        const counts = await owner(db).query<{ migration_name: string; n: number }>(
          'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name',
        );
        expect(counts).toEqual(names.map((name) => ({ migration_name: name, n: 1 })));
      } finally {
        await second.close();
      }
    },
  );
});
