import { Prisma } from '../generated/prisma/client.js';
import { announceQualificationChange } from '../users/qualification-change.js';
import type { CallerTransaction } from '../core/caller/index.js';

/**
 * Who is qualified now (the `qualifications` query and the `qualificationChanged`
 * subscription): the users of a zone (a shift ending within the last 30 days or
 * later, as auto-assignment reaches them) or of a piece of equipment (its
 * operators), each checked against the tenant's `required` courses whose entity
 * type is that kind or `general`. A course is held through a current completion
 * (passed, unexpired: expires_at today still counts, its certificate not revoked);
 * the user is qualified when they hold every one.
 * `expires_at` is the earliest expiry among the completions that qualify them
 * (per course the longest-lasting current completion; null: none expires).
 * Read from training_holdings (migration 20261217100000_training_holdings): per
 * user, each course held through a passed, unrevoked completion with its latest
 * expiry, in expiry order, kept by the completions' and certificates' triggers.
 */

export type QualificationTarget = { kind: 'zone' | 'equipment'; id: string };

export interface QualificationRow {
  user_id: string;
  qualified: boolean;
  /** Course ids, in id order. */
  missing: string[];
  expires_at: Date | null;
}

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
  // One row of training_holdings per member (a member without one holds nothing), the members in user id order.
  // The courses held today are the tail of the member's arrays after those expired before today (width_bucket: how
  // many expiries are before today, the arrays being in expiry order). Plain array operators where they answer:
  // qualified when the required ids are all among the held ones; the earliest expiry is the first held one's when
  // every held course is required. `missing` keeps the required ids' order (uuid order). OFFSET 0 keeps the lateral
  // a subquery of its own, so each member's tail is cut once, not once for each expression that reads it.
  return Prisma.sql`
    WITH required AS MATERIALIZED (
        SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') AS ids FROM training_courses c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.required AND c.entity_type IN (${target.kind}, 'general')
    )
    SELECT m.user_id::text AS user_id, k.qualified,
           CASE WHEN k.qualified THEN '{}'::text[]
                ELSE ARRAY(SELECT r.id::text FROM unnest((SELECT r.ids FROM required r)) WITH ORDINALITY AS r(id, n)
                           WHERE r.id <> ALL (k.ids) ORDER BY r.n) END AS missing,
           CASE WHEN k.ids <@ (SELECT r.ids FROM required r) THEN nullif(k.expires[1], 'infinity')
                ELSE (SELECT min(nullif(u.expires_on, 'infinity')) FROM unnest(k.ids, k.expires) AS u(id, expires_on)
                      WHERE u.id = ANY ((SELECT r.ids FROM required r)::uuid[])) END AS expires_at
    FROM (SELECT m.user_id FROM (${members(tenantId, target)}) m ${only}) m
    LEFT JOIN training_holdings h ON h.tenant_id = ${tenantId}::uuid AND h.user_id = m.user_id
    CROSS JOIN LATERAL (
        SELECT s.ids, s.expires, (SELECT r.ids FROM required r) <@ s.ids AS qualified
        FROM (SELECT coalesce(h.course_ids[w.expired + 1:], '{}') AS ids, coalesce(h.expires_on[w.expired + 1:], '{}') AS expires
              FROM (SELECT width_bucket(training_today() - 1, h.expires_on) AS expired) w) s
        OFFSET 0
    ) k
    ORDER BY m.user_id`;
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
