import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import { insertScores, type ScoreRow } from '../../src/risk/scores-sql.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';

/**
 * On PostgreSQL the API names the statements it sends again, so each pooled connection keeps them prepared
 * (src/core/db.ts). A statement whose text grows with its input, such as a batch of scores written as one
 * multi-row VALUES, must not be: every batch size would keep its own large plan on every connection.
 * PGlite prepares nothing.
 */

let db: TestDatabase;
const tenantId = randomUUID();
const caller = { tenantId, userId: randomUUID(), role: 'admin' as const };
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.drop());

const scores = (n: number): ScoreRow[] =>
  Array.from({ length: n }, (_, at) => ({
    entityType: 'zone',
    entityId: randomUUID(),
    score: String(at % 100),
    computedAt: null,
  }));

/** Prepared statements of this connection that insert scores, and the length of their text. */
const preparedScoreInserts = (tx: Parameters<Parameters<typeof runAsCaller>[2]>[0]) =>
  tx.$queryRaw<{ length: number }[]>`
    SELECT length(statement)::int AS length FROM pg_prepared_statements
    WHERE name LIKE 'prisma\\_%' AND ltrim(statement, E' \n') LIKE 'INSERT INTO predictive_scores%'`;

describe.runIf(onPostgres)('named prepared statements (PostgreSQL)', () => {
  it('a small batch of scores stays prepared on its connection; a batch of 1,000 is sent unnamed', async () => {
    const prepared = await runAsCaller(db.prisma, caller, async (tx) => {
      expect(await insertScores(tx, tenantId, scores(2))).toBe(2);
      const afterSmall = await preparedScoreInserts(tx);
      expect(await insertScores(tx, tenantId, scores(1_000))).toBe(1_000);
      return { afterSmall, afterLarge: await preparedScoreInserts(tx) };
    });
    expect(prepared.afterSmall).toHaveLength(1);
    expect(prepared.afterLarge).toEqual(prepared.afterSmall);
    expect(await owner(db).count('predictive_scores', 'tenant_id = $1', [tenantId])).toBe(1_002);
  });
});
