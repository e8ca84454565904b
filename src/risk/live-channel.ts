import type { FollowedChannel } from '../core/live-events/index.js';

/**
 * Qualification changes, followed by `qualificationChanged` subscribers
 * (qualifications.ts): triggers and `announceQualificationChange`
 * (qualifications-sql.ts) NOTIFY `qualification_changed` with
 * `{"tenantId", "users": [ids]}` or `{"tenantId", "all": true}` (migration
 * 20261202000600_risk_loop).
 */
export const qualificationChanged: FollowedChannel = { kind: 'followed', name: 'qualification_changed' };
