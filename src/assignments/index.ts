import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { overdueSweepJob } from './jobs.js';
import { assignmentCreated } from './live-channel.js';
import { assignmentSettings } from './settings.js';
import './assignment.js';
import './lifecycle.js';
import './cancel-and-sweep.js';
import './live.js';
import './plain-pages.js';

/** Assignments: who must take which course by when, their life cycle, and live delivery of new ones. */
const permissions = definePermissions({
  /** Assign, cancel and change assignments of anyone in the tenant. */
  'assignments.manage': ['admin', 'safety_officer'],
  /** Start and complete one's own training. */
  'assignments.learn': ['admin', 'safety_officer', 'worker'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const assignments = defineModule({
  name: 'assignments',
  permissions,
  settings: assignmentSettings,
  jobs: [overdueSweepJob],
  liveChannels: [assignmentCreated],
});
