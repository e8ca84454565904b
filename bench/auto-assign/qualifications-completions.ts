import { Prisma } from '../../src/generated/prisma/client.js';
import type { CallerTransaction } from '../../src/core/caller/index.js';
import type { QualificationRow, QualificationTarget } from '../../src/risk/qualifications-sql.js';

/**
 * The qualifications statement as it was before training_holdings: one streaming pass over the members, each
 * member's current completions read from the covering index training_completions_current (about 17 entries a
 * member), grouped per course, then per member. Kept verbatim for bench/auto-assign/qualifications.ts, which
 * measures src/risk/qualifications-sql.ts against it in the same run; it must give the same rows. Not used by the API.
 */

const CURRENT_COMPLETION = (alias: string, tenantId: string) =>
  Prisma.sql`${Prisma.raw(alias)}.passed AND (${Prisma.raw(alias)}.expires_at IS NULL OR ${Prisma.raw(alias)}.expires_at >= training_today())
    AND ${Prisma.raw(alias)}.id NOT IN (SELECT revoked.completion_id FROM certificates revoked
                    WHERE revoked.tenant_id = ${tenantId}::uuid AND revoked.revoked_at IS NOT NULL)`;

const members = (tenantId: string, target: QualificationTarget) =>
  target.kind === 'zone'
    ? Prisma.sql`SELECT DISTINCT sh.user_id FROM shift_assignments sh
        WHERE sh.tenant_id = ${tenantId}::uuid AND sh.zone_id = ${target.id}::uuid
          AND sh.ends_at > now() - interval '30 days'`
    : Prisma.sql`SELECT DISTINCT eo.user_id FROM equipment_operators eo
        WHERE eo.tenant_id = ${tenantId}::uuid AND eo.equipment_id = ${target.id}::uuid`;

export function completionsQualificationRows(
  tx: CallerTransaction,
  tenantId: string,
  target: QualificationTarget,
): Promise<QualificationRow[]> {
  return tx.$queryRaw<QualificationRow[]>`
    WITH required AS MATERIALIZED (
        SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') AS ids FROM training_courses c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.required AND c.entity_type IN (${target.kind}, 'general')
    ), held AS (
        SELECT m.user_id, tc.course_id,
               CASE WHEN bool_or(tc.expires_at IS NULL) THEN NULL ELSE max(tc.expires_at) END AS expires_at
        FROM (${members(tenantId, target)}) m
        LEFT JOIN (
            SELECT tc.user_id, tc.course_id, tc.expires_at FROM training_completions tc
            WHERE tc.tenant_id = ${tenantId}::uuid AND tc.course_id = ANY ((SELECT r.ids FROM required r)::uuid[])
              AND ${CURRENT_COMPLETION('tc', tenantId)}
        ) tc ON tc.user_id = m.user_id
        GROUP BY m.user_id, tc.course_id
    )
    SELECT h.user_id::text AS user_id,
           count(h.course_id) = cardinality((SELECT r.ids FROM required r)) AS qualified,
           ARRAY(SELECT x.id::text FROM unnest((SELECT r.ids FROM required r)) WITH ORDINALITY AS x(id, n)
                 WHERE x.id <> ALL (array_remove(array_agg(h.course_id), NULL)) ORDER BY x.n) AS missing,
           min(h.expires_at) AS expires_at
    FROM held h
    GROUP BY h.user_id
    ORDER BY h.user_id`;
}
