import { Prisma } from '../generated/prisma/client.js';
import { announceQualificationChange } from '../users/qualification-change.js';
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
 * (expires_at today still counts), its certificate not revoked. The one place to
 * add another condition for every statement here at once. The revoked
 * certificates are a NOT IN list (completion_id is never null) so that they are
 * read once into a hash, not looked up once per completion.
 */
export const CURRENT_COMPLETION = (alias: string, tenantId: string) =>
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
  // Shaped for the planner, one pass over the members in user id order: each member's current completions of the
  // required courses come from one index-only scan (training_completions_current, covering), grouped per course
  // (a sort of that member's few rows), then per member as they stream by; no sort or hash of the whole set. A
  // member without any such completion is one row with a null course (the LEFT JOIN), so it is kept, counted as
  // holding nothing. `missing` keeps the required ids' order (uuid order).
  return Prisma.sql`
    WITH required AS MATERIALIZED (
        SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') AS ids FROM training_courses c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.required AND c.entity_type IN (${target.kind}, 'general')
    ), held AS (
        SELECT m.user_id, tc.course_id,
               CASE WHEN bool_or(tc.expires_at IS NULL) THEN NULL ELSE max(tc.expires_at) END AS expires_at
        FROM (SELECT m.user_id FROM (${members(tenantId, target)}) m ${only}) m
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

/**
 * The change of day: passed completions that expired yesterday (expires_at is
 * the last valid day) change their holders' qualifications. Announces those
 * users (a statement of its own, which reads no table: on a distributed
 * database a statement that read the completions would run, and notify, on
 * their shard); returns how many.
 */
export async function announceExpiredQualifications(tx: CallerTransaction, tenantId: string): Promise<number> {
  const expired = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT DISTINCT tc.user_id::text FROM training_completions tc
    WHERE tc.tenant_id = ${tenantId}::uuid AND tc.passed AND tc.expires_at = training_today() - 1`;
  await announceQualificationChange(
    tx,
    tenantId,
    expired.map((row) => row.user_id),
  );
  return expired.length;
}
