/**
 * The database side of live events: an AFTER INSERT statement trigger on
 * training_assignments NOTIFYs after commit (a rolled-back insert announces
 * nothing) on `training_assignment_created` with
 * `{"tenantId", "assignments": [[id, userId], …]}`, at most 80 pairs per payload.
 */

export const ASSIGNMENT_CREATED_CHANNEL = 'training_assignment_created';

/**
 * Further channels the hub's one session listens to and hands, payload by
 * payload, to whoever follows them (`LiveEventHub.channel`); their meaning is
 * their followers' business. `qualification_changed`: see the migration
 * 20261202000600_risk_loop.
 */
export const SIDE_CHANNELS = ['qualification_changed'] as const;
export type SideChannel = (typeof SIDE_CHANNELS)[number];
export const isSideChannel = (channel: string): channel is SideChannel =>
  (SIDE_CHANNELS as readonly string[]).includes(channel);

/** The trigger's batch size, reused when the catch-up announces what it found. */
export const NOTIFY_BATCH = 80;

export type AssignmentPair = [id: string, userId: string];

/** The event a payload carries; undefined when it is malformed. */
export function parsePayload(payload: string): { tenantId: string; assignments: AssignmentPair[] } | undefined {
  try {
    const parsed = JSON.parse(payload) as { tenantId?: unknown; assignments?: unknown };
    const { tenantId, assignments } = parsed;
    const wellFormed =
      typeof tenantId === 'string' &&
      Array.isArray(assignments) &&
      assignments.every((pair) => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string');
    return wellFormed ? { tenantId, assignments: assignments as AssignmentPair[] } : undefined;
  } catch {
    return undefined;
  }
}
