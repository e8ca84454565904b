import { Prisma } from '../../generated/prisma/client.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS } from '../db.js';
import { beginAsCaller } from './settings.js';
import type { Caller, CallerTransaction, ReadLanes } from './types.js';

/**
 * One writing transaction as the caller on a lane (PostgreSQL only; see read-lane.ts): BEGIN and the caller's
 * settings go out with the first statement, raw statements go straight through pg (a large batch's parameters
 * skip Prisma's query engine), and `tx` (Prisma over the same connection) serves the rest. Committed here, so a
 * failed COMMIT fails the call; rolled back when `fn` throws. (The lane's own COMMIT on release then finds no
 * transaction, which PostgreSQL answers with a warning only.)
 */
export async function writeOnLane<T>(
  lanes: ReadLanes,
  caller: Caller,
  fn: (tx: CallerTransaction, run: <R>(statement: Prisma.Sql) => Promise<R[]>) => Promise<T>,
): Promise<T> {
  const begin = beginAsCaller(caller, DEFAULT_TRANSACTION_TIMEOUT_MS, false);
  const lane = await lanes.open(begin, caller.tenantId, caller.trace);
  try {
    const result = await fn(lane.prisma, (statement) => lane.query(statement));
    await lane.query(Prisma.sql`COMMIT`);
    return result;
  } catch (error) {
    await lane.prisma.$executeRawUnsafe('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await lane.end();
  }
}
