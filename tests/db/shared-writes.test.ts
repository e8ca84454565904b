import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import { openSharedWrites } from '../../src/core/caller/shared-writes.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';

/**
 * A request's shared write transaction (src/core/caller/shared-writes.ts) ends only once its statements under way
 * have answered. graphql-js completes a mutation's response without waiting for the pending siblings of a field
 * whose error nulled their parent; their statements are still running on the transaction's connection when the
 * request ends it. Sent then, the ROLLBACK would be queued behind them by node-postgres (deprecated; an error from
 * pg 9 on). PGlite has no such client: these tests need the PostgreSQL server.
 */

let db: TestDatabase;
beforeAll(async () => {
  if (onPostgres) db = await freshDatabase();
});
afterAll(() => db?.drop());

describe.runIf(onPostgres)('shared writes', () => {
  it('rolls back after a statement still under way answers, never over it, and refuses statements after its end', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const caller = { tenantId: randomUUID(), userId: randomUUID(), role: 'worker' as const };
    const writes = openSharedWrites((fn) => runAsCaller(db.prisma, caller, fn, { timeout: 10_000 }));
    try {
      const tx = await writes.get();
      const order: string[] = [];
      // Two siblings' statements: one running, one queued behind it on the connection.
      const late = Promise.all([
        tx.$queryRaw<{ slept: string }[]>`SELECT pg_sleep(0.4)::text AS slept`,
        tx.$queryRaw<{ slept: string }[]>`SELECT pg_sleep(0.1)::text AS slept`,
      ]).then((answers) => {
        order.push('statements answered');
        return answers.flat();
      });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the statement is on the wire
      const ended = writes.end(false).then(() => order.push('transaction ended'));
      expect(await late).toEqual([{ slept: '' }, { slept: '' }]);
      await ended;
      expect(order).toEqual(['statements answered', 'transaction ended']);
      // Nothing queued a statement on a connection that was running one.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((message) => /already executing a query/.test(message))).toEqual([]);
      await expect(tx.$queryRaw`SELECT 1`).rejects.toThrow(/after the caller's transaction ended/);
    } finally {
      process.off('warning', onWarning);
      await writes.end(false);
    }
  });
});
