import { Prisma } from '../../src/generated/prisma/client.js';
import type { CallerTransaction } from '../../src/core/caller/index.js';
import type { QualificationRow, QualificationTarget } from '../../src/risk/qualifications-sql.js';

/**
 * The qualifications statement as it was before it was made one streaming pass
 * (the members as CTEs, their completions aggregated and anti-joined as sets,
 * each revoked certificate looked up per completion), kept verbatim as the
 * baseline of bench/auto-assign/qualifications.ts: the statement of
 * src/risk/qualifications-sql.ts is measured against it in the same run, and
 * must give the same rows. Not used by the API.
 */

const CURRENT_COMPLETION = (alias: string) =>
  Prisma.sql`${Prisma.raw(alias)}.passed AND (${Prisma.raw(alias)}.expires_at IS NULL OR ${Prisma.raw(alias)}.expires_at >= training_today())
    AND NOT EXISTS (SELECT 1 FROM certificates revoked
                    WHERE revoked.tenant_id = ${Prisma.raw(alias)}.tenant_id
                      AND revoked.completion_id = ${Prisma.raw(alias)}.id AND revoked.revoked_at IS NOT NULL)`;

const members = (tenantId: string, target: QualificationTarget) =>
  target.kind === 'zone'
    ? Prisma.sql`SELECT DISTINCT sh.user_id FROM shift_assignments sh
        WHERE sh.tenant_id = ${tenantId}::uuid AND sh.zone_id = ${target.id}::uuid
          AND sh.ends_at > now() - interval '30 days'`
    : Prisma.sql`SELECT DISTINCT eo.user_id FROM equipment_operators eo
        WHERE eo.tenant_id = ${tenantId}::uuid AND eo.equipment_id = ${target.id}::uuid`;

export function baselineQualificationRows(
  tx: CallerTransaction,
  tenantId: string,
  target: QualificationTarget,
): Promise<QualificationRow[]> {
  return tx.$queryRaw<QualificationRow[]>`
    WITH members AS MATERIALIZED (
        SELECT m.user_id FROM (${members(tenantId, target)}) m
    ), required AS MATERIALIZED (
        SELECT c.id FROM training_courses c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.required AND c.entity_type IN (${target.kind}, 'general')
    ), held AS MATERIALIZED (
        SELECT tc.user_id, tc.course_id,
               CASE WHEN bool_or(tc.expires_at IS NULL) THEN NULL ELSE max(tc.expires_at) END AS expires_at
        FROM members m
        JOIN training_completions tc
          ON tc.tenant_id = ${tenantId}::uuid AND tc.user_id = m.user_id
         AND tc.course_id = ANY (ARRAY(SELECT r.id FROM required r))
        WHERE ${CURRENT_COMPLETION('tc')}
        GROUP BY tc.user_id, tc.course_id
    ), missing AS (
        SELECT m.user_id, array_agg(r.id::text ORDER BY r.id) AS missing
        FROM members m CROSS JOIN required r
        WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.user_id = m.user_id AND h.course_id = r.id)
        GROUP BY m.user_id
    ), expiry AS (
        SELECT h.user_id, min(h.expires_at) AS expires_at FROM held h GROUP BY h.user_id
    )
    SELECT m.user_id::text AS user_id, mi.user_id IS NULL AS qualified,
           coalesce(mi.missing, '{}') AS missing, e.expires_at
    FROM members m
    LEFT JOIN missing mi ON mi.user_id = m.user_id
    LEFT JOIN expiry e ON e.user_id = m.user_id
    ORDER BY m.user_id`;
}
