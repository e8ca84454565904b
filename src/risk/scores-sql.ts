import type { RiskEntityTypeValue } from '../assignments/assignment.js';
import type { CallerTransaction } from '../core/caller/index.js';

export interface ScoreRow {
  entityType: RiskEntityTypeValue;
  entityId: string;
  /** Decimal text, so no float rounding reaches the NUMERIC column. */
  score: string;
  /** ISO time; null: now. */
  computedAt: string | null;
}

/**
 * Inserts the scores in one statement; returns how many were recorded. A score without a time takes the
 * transaction's, read once in a subquery: a distributed database (Citus) refuses now() inside a COALESCE.
 */
export function insertScores(tx: CallerTransaction, tenantId: string, rows: ScoreRow[]): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
    SELECT ${tenantId}::uuid, r.entity_type, r.entity_id, r.score, coalesce(r.computed_at, clock.now)
    FROM unnest(
      ${rows.map((row) => row.entityType)}::text[], ${rows.map((row) => row.entityId)}::uuid[],
      ${rows.map((row) => row.score)}::numeric[], ${rows.map((row) => row.computedAt)}::timestamptz[]
    ) AS r(entity_type, entity_id, score, computed_at), (SELECT now() AS now) AS clock`;
}
