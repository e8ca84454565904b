import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { recertificationJob } from './jobs.js';
import { recertificationSettings } from './settings.js';
import './recertification.js';

/** Recertification: renewals of completions before they expire, on a schedule and on demand. */
const permissions = definePermissions({
  /** Run recertification (renewals of expiring completions) now. */
  'recertification.run': ['admin', 'safety_officer', 'service'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const recertification = defineModule({
  name: 'recertification',
  permissions,
  settings: recertificationSettings,
  jobs: [recertificationJob],
});
