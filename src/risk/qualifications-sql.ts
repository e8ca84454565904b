import { Prisma } from '../generated/prisma/client.js';
import type { TenantTransaction } from '../core/caller.js';

/**
 * Who is qualified now (the `qualifications` query and the `qualificationChanged`
 * subscription): the users of a zone (a shift ending within the last 30 days or
 * later, as auto-assignment reaches them) or of a piece of equipment (its
 * operators), each checked against the tenant's `required` courses whose entity
 * type is that kind or `general`. A course is held through a current completion
 * (CURRENT_COMPLETION); the user is qualified when they hold every one.
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
  Prisma.sql`${Prisma.raw(alias)}.passed AND (${Prisma.raw(alias)}.expires_at IS NULL OR ${Prisma.raw(alias)}.expires_at >= training_today())`;

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
  tx: TenantTransaction,
  tenantId: string,
  target: QualificationTarget,
  userIds: readonly string[] | null = null,
): Promise<QualificationRow[]> {
  const only = userIds ? Prisma.sql`WHERE m.user_id = ANY(${[...userIds]}::uuid[])` : Prisma.empty;
  return tx.$queryRaw<QualificationRow[]>`
    WITH members AS (
        SELECT m.user_id FROM (${members(tenantId, target)}) m ${only}
    ), required AS (
        SELECT c.id FROM training_courses c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.required AND c.entity_type IN (${target.kind}, 'general')
    ), held AS (
        SELECT tc.user_id, tc.course_id,
               CASE WHEN bool_or(tc.expires_at IS NULL) THEN NULL ELSE max(tc.expires_at) END AS expires_at
        FROM training_completions tc
        JOIN members m ON m.user_id = tc.user_id
        JOIN required r ON r.id = tc.course_id
        WHERE tc.tenant_id = ${tenantId}::uuid AND ${CURRENT_COMPLETION('tc')}
        GROUP BY tc.user_id, tc.course_id
    )
    SELECT m.user_id::text AS user_id,
           count(r.id) FILTER (WHERE h.course_id IS NULL) = 0 AS qualified,
           coalesce(array_agg(r.id::text ORDER BY r.id) FILTER (WHERE r.id IS NOT NULL AND h.course_id IS NULL), '{}') AS missing,
           min(h.expires_at) AS expires_at
    FROM members m
    LEFT JOIN required r ON true
    LEFT JOIN held h ON h.user_id = m.user_id AND h.course_id = r.id
    GROUP BY m.user_id
    ORDER BY m.user_id`;
}

/**
 * The hook for every change of qualification that no trigger sees (a revoked
 * certificate, …): announces, after commit, that these users' qualifications
 * may have changed (null: every user of the tenant). Subscribers re-read them
 * and push only what really changed.
 */
export async function announceQualificationChange(
  tx: TenantTransaction,
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
export async function announceExpiredQualifications(tx: TenantTransaction, tenantId: string): Promise<number> {
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
