import type { RiskEntityTypeValue } from '../assignments/assignment.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { Prisma } from '../generated/prisma/client.js';

export interface ScoreRow {
  entityType: RiskEntityTypeValue;
  entityId: string;
  /** Decimal text, so no float rounding reaches the NUMERIC column. */
  score: string;
  /** ISO time; null: now. */
  computedAt: string | null;
}

/**
 * Inserts the scores in one statement; returns how many were recorded. A row of VALUES each, not an INSERT … SELECT:
 * a distributed database (Citus) writes the rows of an INSERT … SELECT from no table by copying them into the shard,
 * which row-level security refuses. A score without a time takes the column's default, the transaction's time (Citus
 * refuses now() inside a COALESCE).
 */
export function insertScores(tx: CallerTransaction, tenantId: string, rows: ScoreRow[]): Promise<number> {
  const values = rows.map(
    (row) =>
      Prisma.sql`(${tenantId}::uuid, ${row.entityType}, ${row.entityId}::uuid, ${row.score}::numeric, ${
        row.computedAt === null ? Prisma.sql`DEFAULT` : Prisma.sql`${row.computedAt}::timestamptz`
      })`,
  );
  return tx.$executeRaw`
    INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
    VALUES ${Prisma.join(values)}`;
}
