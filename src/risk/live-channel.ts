import type { FollowedChannel } from '../core/live-events/index.js';

/**
 * Qualification changes, followed by `qualificationChanged` subscribers
 * (qualifications.ts): the writes that change one call `announceQualificationChange`
 * (users/qualification-change.ts) in their transaction, which NOTIFYs
 * `qualification_changed` at commit with `{"tenantId", "users": [ids]}` or
 * `{"tenantId", "all": true}` (migration 20261202000600_risk_loop).
 */
export const qualificationChanged: FollowedChannel = { kind: 'followed', name: 'qualification_changed' };
