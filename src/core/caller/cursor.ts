import { Prisma } from '../../generated/prisma/client.js';
import type { CallerTransaction } from './types.js';

export interface BatchOptions {
  /** Rows per FETCH. */
  batchSize?: number;
  /** Longest the whole read may take (its transaction and statements). */
  timeoutMs?: number;
}

/**
 * Reads the rows of `statement` as the caller (RLS governs it) in batches from a server-side cursor, in one
 * READ ONLY transaction, handing each batch to `onBatch` and fetching the next only once it settles: however
 * many rows match, the process holds one batch (an export streams a million rows with flat memory). A
 * rejection of `onBatch` (the client went away) ends the read and rolls the transaction back.
 */
export function readCursorInBatches<R>(
  /** Runs a function in one transaction as the caller, with that timeout. */
  asCaller: (fn: (tx: CallerTransaction) => Promise<number>, timeoutMs: number) => Promise<number>,
  statement: Prisma.Sql,
  onBatch: (rows: R[]) => Promise<void>,
  { batchSize = 2_000, timeoutMs = 30 * 60_000 }: BatchOptions = {},
): Promise<number> {
  return asCaller(async (tx) => {
    await tx.$executeRaw`SET TRANSACTION READ ONLY`;
    await tx.$executeRaw`DECLARE batches NO SCROLL CURSOR FOR ${statement}`;
    const fetch = Prisma.raw(`FETCH FORWARD ${Math.trunc(batchSize)} FROM batches`);
    let total = 0;
    for (;;) {
      const rows = await tx.$queryRaw<R[]>(fetch);
      if (rows.length === 0) return total;
      total += rows.length;
      await onBatch(rows);
      if (rows.length < batchSize) return total;
    }
  }, timeoutMs);
}
