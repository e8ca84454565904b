import { randomUUID } from 'node:crypto';
import { assert, expect } from 'vitest';
import { runAsCaller, type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import type { SqlConnection } from '../../src/core/db.js';
import { onCitus } from './citus.js';
import type { TestDatabase } from './database.js';
import { asHarness } from './statement-log.js';

/**
 * Small helpers for tests that talk SQL directly to the database: seeding rows
 * as the owner, running statements as a caller under RLS, and reading the
 * SQLSTATE out of whatever error the driver (pg, PGlite or Prisma) raised.
 */

export const uuid = (): string => randomUUID();

export type Row = Record<string, unknown>;

export { TENANT_TABLES, type TenantTable } from './tenant-tables.js';

/** `INSERT INTO table (keys…) VALUES (…) RETURNING *` on an owner connection (no RLS for the superuser). */
export async function insertRow(connection: SqlConnection, table: string, row: Row): Promise<Row> {
  const columns = Object.keys(row);
  const values = columns.map((_, index) => `$${index + 1}`);
  const [inserted] = await connection.query(
    `INSERT INTO "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
    Object.values(row),
  );
  if (!inserted) throw new Error(`insert into ${table} returned no row`);
  return inserted;
}

/** Owner-side helpers bound to one test database (the owner is not subject to RLS). */
export function owner(db: TestDatabase) {
  const query = <R = Row>(text: string, params?: unknown[]) => db.withConnection((c) => c.query<R>(text, params));
  return {
    query,
    insert: (table: string, row: Row) => db.withConnection((c) => insertRow(c, table, row)),
    async count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
      const [row] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, params);
      return row?.n ?? 0;
    },
    /** `fingerprints` of the tables (of one tenant with `tenantId`), on a connection of its own. */
    fingerprints: <Table extends string>(tables: readonly Table[], tenantId?: string) =>
      db.withConnection((c) => fingerprints(c, tables, tenantId)),
  };
}

/**
 * A fingerprint of each table's rows (their number and an md5 of every row as text), or of one
 * tenant's rows with `tenantId`: any insert, update or delete changes it.
 */
export async function fingerprints<Table extends string>(
  connection: SqlConnection,
  tables: readonly Table[],
  tenantId?: string,
): Promise<Record<Table, string>> {
  const where = tenantId === undefined ? '' : ' WHERE tenant_id = $1';
  const columns = tables.map(
    (table) =>
      `(SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "${table}" t${where}) AS "${table}"`,
  );
  const [row] = await connection.query<Record<Table, string>>(
    `SELECT ${columns.join(', ')}`,
    tenantId === undefined ? [] : [tenantId],
  );
  return row!;
}

export type Owner = ReturnType<typeof owner>;

export interface SqlError {
  code: string | undefined;
  constraint: string | undefined;
  message: string;
}

/**
 * The SQLSTATE and constraint of a database error, whichever layer raised it:
 * node-postgres and PGlite errors carry `code`/`constraint`; Prisma wraps a raw
 * query failure (P2010) with the driver's code in `meta.driverAdapterError`.
 */
export function sqlError(error: unknown): SqlError {
  if (!(error instanceof Error)) throw error;
  const fields = error as Error & {
    code?: unknown;
    constraint?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: string; originalMessage?: string } } };
  };
  const cause = fields.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? (typeof fields.code === 'string' ? fields.code : undefined);
  const message = cause?.originalMessage ?? error.message;
  const named = typeof fields.constraint === 'string' ? fields.constraint : /constraint "([^"]+)"/.exec(message)?.[1];
  // On Citus a shard's constraint is named after the table's with the shard's id appended.
  const constraint = onCitus ? named?.replace(/_\d+$/, '') : named;
  return { code, constraint, message };
}

/** Awaits `promise`, which must fail with SQLSTATE `code` (and `constraint` when given). */
export async function expectSqlError(
  promise: Promise<unknown>,
  expected: { code: string; constraint?: string; message?: RegExp },
): Promise<SqlError> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) {
    assert.fail(
      `expected SQLSTATE ${expected.code}${expected.constraint ? ` (${expected.constraint})` : ''}, but it succeeded`,
    );
  }
  const error = sqlError(failure);
  expect(error.code, error.message).toBe(expected.code);
  if (expected.constraint) expect(error.constraint, error.message).toBe(expected.constraint);
  if (expected.message) expect(error.message).toMatch(expected.message);
  return error;
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

/** What an attempt did: the statement's result, or the SQLSTATE it failed with. Either way nothing was kept. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string | undefined; message: string };

/**
 * Runs `fn` as `caller` (RLS applies) and always rolls back, so table-driven
 * cases can try writes without disturbing the shared data set.
 */
export async function attempt<T>(
  db: TestDatabase,
  caller: Caller,
  fn: (tx: CallerTransaction) => Promise<T>,
): Promise<Outcome<T>> {
  try {
    await probeAsCaller(db.prisma, caller, async (tx) => {
      throw new Rollback(await fn(tx));
    });
  } catch (error) {
    if (error instanceof Rollback) return { ok: true, value: error.value as T };
    const { code, message } = sqlError(error);
    return { ok: false, code, message };
  }
  throw new Error('unreachable: the attempt always rolls back');
}

/** `runAsCaller` for a test's own statements as the caller (not the API's): RLS probes, with or without a tenant. */
export const probeAsCaller: typeof runAsCaller = (prisma, caller, fn, options) =>
  asHarness(() =>
    runAsCaller(
      prisma,
      caller,
      async (tx) => {
        await mayProbeEveryShard(tx);
        return fn(tx);
      },
      options,
    ),
  );

/** Runs one query as `caller` and commits. */
export function asCaller<R = Row>(db: TestDatabase, caller: Caller, text: string, ...params: unknown[]): Promise<R[]> {
  return probeAsCaller(db.prisma, caller, (tx) => tx.$queryRawUnsafe<R[]>(text, ...params));
}

/**
 * A test's own statements as a caller probe RLS on purpose, with or without a tenant: on Citus they may read
 * every shard (RLS still applies there); only the API's statements are held to one.
 */
async function mayProbeEveryShard(tx: CallerTransaction): Promise<void> {
  if (onCitus) await tx.$executeRawUnsafe(`SET LOCAL citus.multi_task_query_log_level = 'off'`);
}

/**
 * Whether a logged statement is a transaction's application of the caller's settings (src/core/caller/settings.ts):
 * `app_set_local(…)`, with parameters or (a lane's BEGIN script) literals.
 */
export const appliesCallerSettings = (sql: string): boolean =>
  /app_set_local\('role', [^,]+, 'app\.tenant_id'/.test(sql);
