import type { AnnouncedChannel, AnnouncedKey, TenantReader } from '../core/live-events/index.js';

/**
 * New assignments, as the live-event hub hears them: an AFTER INSERT statement
 * trigger on training_assignments (migration 20261125000100_security) NOTIFYs
 * after commit — a rolled-back insert announces nothing — on
 * `training_assignment_created` with `{"tenantId", "assignments": [[id, userId], …]}`,
 * at most 80 pairs per payload.
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
