import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import './analytics.js';

/** Analytics: the dashboard's figures, and each user's own progress. */
const permissions = definePermissions({
  /** Read analytics (a worker: their own figures only). */
  'analytics.read': ['admin', 'safety_officer', 'worker'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const analytics = defineModule({ name: 'analytics', permissions });
