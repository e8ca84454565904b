import type { CallerTransaction } from '../core/caller/index.js';
import type { AnnouncedChannel, AnnouncedKey, TenantReader } from '../core/live-events/index.js';
import { Prisma } from '../generated/prisma/client.js';

/**
 * Announces new assignments of one tenant: every statement that inserts assignments calls it in its
 * transaction, after the insert. The SQL function (migration 20261214400000_api_raises_live_events)
 * reads no table, so on a distributed database it runs where the API listens, not on the shard that
 * holds the rows; PostgreSQL sends its NOTIFYs at commit only, so a rolled-back insert announces nothing.
 */
export async function announceAssignmentsCreated(
  tx: CallerTransaction,
  tenantId: string,
  created: readonly { id: string; userId: string }[],
): Promise<void> {
  if (created.length === 0) return;
  await tx.$executeRaw`SELECT announce_assignments_created(${tenantId}::uuid, ${created.map((row) => row.id)}::uuid[],
                                                           ${created.map((row) => row.userId)}::uuid[])`;
}

/**
 * The same announcement made by the inserting statement itself, for set-based inserts of many rows: a
 * scalar subquery for its final SELECT over the statement's CTE named `createdCte` (the inserted rows'
 * id and user_id), so the new ids do not travel to Node and back. Its value means nothing; an empty CTE
 * announces nothing.
 */
export function announceCreatedInStatement(tenantId: string, createdCte: string): Prisma.Sql {
  return Prisma.sql`(SELECT announce_assignments_created(${tenantId}::uuid, array_agg(c.id ORDER BY c.id),
                                                          array_agg(c.user_id ORDER BY c.id))::text
                     FROM ${Prisma.raw(createdCte)} c HAVING count(*) > 0)`;
}

/**
 * New assignments, as the live-event hub hears them: `announceAssignmentsCreated` NOTIFYs after commit
 * on `training_assignment_created` with `{"tenantId", "assignments": [[id, userId], …]}`, at most 80
 * pairs per payload (a burst arrives as several payloads the hub reads together).
 */
export const assignmentCreated: AnnouncedChannel = {
  kind: 'announced',
  name: 'training_assignment_created',
  parse(payload) {
    try {
      const { tenantId, assignments } = JSON.parse(payload) as { tenantId?: unknown; assignments?: unknown };
      const wellFormed =
        typeof tenantId === 'string' &&
        Array.isArray(assignments) &&
        assignments.every((pair) => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string');
      return wellFormed ? { tenantId, keys: assignments as AnnouncedKey[] } : undefined;
    } catch {
      return undefined;
    }
  },
  // created_at is the inserting transaction's start time: `since` already reaches back far enough for
  // transactions that began before the outage and committed during it.
  readMissed: async (read: TenantReader, { tenantId, since }) =>
    (
      await read<{ id: string; user_id: string }>(
        `SELECT id::text, user_id::text FROM training_assignments
         WHERE tenant_id = $1::uuid AND created_at >= $2::timestamptz
         ORDER BY created_at, id`,
        [tenantId, since],
      )
    ).map((row): AnnouncedKey => [row.id, row.user_id]),
};
