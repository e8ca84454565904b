import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { autoAssignJob, qualificationExpiryJob, riskEscalationJob } from './jobs.js';
import { qualificationChanged } from './live-channel.js';
import { riskSettings } from './settings.js';
import './auto-assign.js';
import './scores.js';
import './escalations.js';
import './qualifications.js';

/** The risk loop: scores in, risk-based assignments out, escalations, and who is qualified now. */
const permissions = definePermissions({
  /** Run risk-based auto-assignment. */
  'risk.autoAssign': ['admin', 'safety_officer', 'service'],
  /** Send risk scores. */
  'risk.ingestScores': ['admin', 'service'],
  /** Read risk escalations and who is qualified on a zone or piece of equipment. */
  'risk.oversee': ['admin', 'safety_officer', 'service'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const risk = defineModule({
  name: 'risk',
  permissions,
  settings: riskSettings,
  jobs: [autoAssignJob, riskEscalationJob, qualificationExpiryJob],
  liveChannels: [qualificationChanged],
});
