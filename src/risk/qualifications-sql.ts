import { Prisma } from '../generated/prisma/client.js';
import type { CallerTransaction } from '../core/caller/index.js';

/**
 * Who is qualified now (the `qualifications` query and the `qualificationChanged`
 * subscription): the users of a zone (a shift ending within the last 30 days or
 * later, as auto-assignment reaches them) or of a piece of equipment (its
 * operators), each checked against the tenant's `required` courses whose entity
 * type is that kind or `general`. A course is held through a current completion
 * (CURRENT_COMPLETION: passed, unexpired, its certificate not revoked); the user is
 * qualified when they hold every one.
 * `expires_at` is the earliest expiry among the completions that qualify them
 * (per course the longest-lasting current completion; null: none expires).
 */

export type QualificationTarget = { kind: 'zone' | 'equipment'; id: string };

export interface QualificationRow {
  user_id: string;
  qualified: boolean;
  /** Course ids, in id order. */
  missing: string[];
  expires_at: Date | null;
}

/**
 * What makes a completion count towards a qualification: passed and not expired
 * (expires_at today still counts). The one place to add another condition, such
 * as "its certificate is not revoked", for every statement here at once.
 */
export const CURRENT_COMPLETION = (alias: string) =>
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

/**
 * The qualifications of the target's users (only `userIds` among them when
 * given), ordered by user id: ONE statement, whatever the number of users and
 * courses.
 */
export function qualificationRows(
  tx: CallerTransaction,
  tenantId: string,
  target: QualificationTarget,
  userIds: readonly string[] | null = null,
): Promise<QualificationRow[]> {
  return tx.$queryRaw<QualificationRow[]>(qualificationSql(tenantId, target, userIds));
}

/** The statement behind qualificationRows (exported for bench/ to explain). */
export function qualificationSql(
  tenantId: string,
  target: QualificationTarget,
  userIds: readonly string[] | null = null,
): Prisma.Sql {
  const only = userIds ? Prisma.sql`WHERE m.user_id = ANY(${[...userIds]}::uuid[])` : Prisma.empty;
  // Shaped for the planner: the required course ids go into the completions' index condition as
  // one array; only the missing (user, course) pairs — few — are aggregated in order; the rest are
  // hash joins and hash aggregates, with nothing sorted but the final list.
  return Prisma.sql`
    WITH members AS MATERIALIZED (
        SELECT m.user_id FROM (${members(tenantId, target)}) m ${only}
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

/**
 * The hook for every change of qualification that no trigger sees (a revoked
 * certificate, …): announces, after commit, that these users' qualifications
 * may have changed (null: every user of the tenant). Subscribers re-read them
 * and push only what really changed.
 */
export async function announceQualificationChange(
  tx: CallerTransaction,
  tenantId: string,
  userIds: readonly string[] | null,
): Promise<void> {
  await tx.$queryRaw`SELECT notify_qualification_changed(${tenantId}::uuid, ${userIds ? [...userIds] : null}::uuid[])::text`;
}

/**
 * The change of day: passed completions that expired yesterday (expires_at is
 * the last valid day) change their holders' qualifications. Announces those
 * users; returns how many.
 */
export async function announceExpiredQualifications(tx: CallerTransaction, tenantId: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ users: number }[]>`
    WITH expired AS (
        SELECT DISTINCT tc.user_id FROM training_completions tc
        WHERE tc.tenant_id = ${tenantId}::uuid AND tc.passed AND tc.expires_at = training_today() - 1
    ), announced AS (
        SELECT notify_qualification_changed(${tenantId}::uuid, array_agg(e.user_id)) FROM expired e HAVING count(*) > 0
    )
    SELECT (SELECT count(*) FROM expired)::int AS users, (SELECT count(*) FROM announced)::int AS announced`;
  return row?.users ?? 0;
}
