import pg from 'pg';
import type { Prisma } from '../../generated/prisma/client.js';
import { DEFAULT_ACQUIRE_TIMEOUT_MS, type Database } from '../db.js';
import { sqlSpan } from '../telemetry/tracing.js';
import { APPLY_CALLER, beginAsCaller, callerSettingValues } from './settings.js';
import type { Caller } from './types.js';

export interface BatchOptions {
  /** Rows per FETCH. */
  batchSize?: number;
  /** Longest the whole read may take (its transaction and statements). */
  timeoutMs?: number;
}

/**
 * A row as the cursor hands it over: its columns' values in the statement's order. Select text columns only
 * (cast in SQL), so both engines give the same strings.
 */
export type TextRow = (string | null)[];

/** One statement of the read's transaction, its rows as arrays. */
type Send = (text: string, values?: readonly unknown[]) => Promise<TextRow[]>;

/**
 * Reads the rows of `statement` as the caller (RLS governs it) in batches from a server-side cursor, in one
 * READ ONLY transaction, handing each batch to `onBatch` and fetching the next only once it settles: however
 * many rows match, the process holds one batch (an export streams a million rows with flat memory). A
 * rejection of `onBatch` (the client went away) ends the read and rolls the transaction back.
 * The batch's array is emptied once `onBatch` settles: keep no reference to it.
 *
 * Straight through the driver, not Prisma: each row arrives as one array of texts, where Prisma made an object
 * per row and several more per value on the way, garbage that grew the heap by some 100–200 MiB over a
 * million rows before V8 collected it.
 */
export function readInBatches(
  db: Database,
  caller: Caller,
  statement: Prisma.Sql,
  onBatch: (rows: TextRow[]) => Promise<void>,
  { batchSize = 2_000, timeoutMs = 30 * 60_000 }: BatchOptions = {},
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const read = async (send: Send) => {
    await send(`DECLARE batches NO SCROLL CURSOR FOR ${statement.text}`, statement.values);
    const fetch = `FETCH FORWARD ${Math.trunc(batchSize)} FROM batches`;
    let total = 0;
    for (;;) {
      // A client that keeps reading slowly must not hold the transaction (and its snapshot) for ever.
      if (Date.now() > deadline) throw new Error(`the read took longer than ${timeoutMs} ms`);
      const rows = await send(fetch);
      const count = rows.length;
      if (count === 0) return total;
      total += count;
      await onBatch(rows);
      // Emptied once written: the driver leaves this array referenced from V8's old generation after it is done
      // with it, which kept every row alive through minor GCs (promoted: hundreds of MiB until a full GC).
      rows.length = 0;
      if (count < batchSize) return total;
    }
  };
  if (db.pooled) return onPostgres(db.pooled.pool, caller, timeoutMs, deadline, db.onQuery, read);
  if (!('pglite' in db.source)) throw new Error('a PostgreSQL database without its pool');
  const { pglite } = db.source;
  return pglite.transaction(async (tx) => {
    // As a read lane's BEGIN: the caller's settings, for this transaction only.
    await tx.exec('SET TRANSACTION READ ONLY');
    await tx.query(APPLY_CALLER, callerSettingValues(caller, timeoutMs));
    return read(async (text, values = []) => {
      db.onQuery?.(text);
      return (await sqlSpan(caller.trace, text, () => tx.query<TextRow>(text, [...values], { rowMode: 'array' }))).rows;
    });
  });
}

/**
 * The read on a pooled connection of its own, in a transaction it opens as the caller (as a read lane does;
 * an idle-in-transaction timeout closes it if this process stops answering) and commits, or rolls back if
 * `read` fails. A connection that failed other than by a statement's error is closed instead of reused.
 */
async function onPostgres(
  pool: pg.Pool,
  caller: Caller,
  timeoutMs: number,
  deadline: number,
  onQuery: ((sql: string) => void) | undefined,
  read: (send: Send) => Promise<number>,
): Promise<number> {
  const connection = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => void (broken ??= error);
  connection.on('error', onError);
  const query = async (config: pg.QueryConfig & { rowMode?: 'array' }) => {
    onQuery?.(config.text);
    try {
      // A server that stopped answering fails the read by its deadline too; the ROLLBACK of a read that ran out
      // of time still gets as long as opening a transaction may take.
      const timeout = Math.max(DEFAULT_ACQUIRE_TIMEOUT_MS, deadline - Date.now());
      return await sqlSpan(caller.trace, config.text, () =>
        connection.query({ ...config, query_timeout: timeout } as pg.QueryConfig),
      );
    } catch (error) {
      if (!(error instanceof pg.DatabaseError)) broken ??= error as Error;
      throw error;
    }
  };
  try {
    await query({ text: beginAsCaller(caller, timeoutMs) });
    const total = await read(
      async (text, values = []) => (await query({ text, values: [...values], rowMode: 'array' })).rows as TextRow[],
    );
    await query({ text: 'COMMIT' });
    return total;
  } catch (error) {
    if (!broken) await query({ text: 'ROLLBACK' }).catch(() => undefined);
    throw error;
  } finally {
    connection.off('error', onError);
    connection.release(broken);
  }
}
