import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import './audit-event.js';

/** The audit trail: every write to a tenant table, appended by the database; admins read it. */
const permissions = definePermissions({
  /** Read the tenant's audit trail. */
  'audit.read': ['admin'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const audit = defineModule({ name: 'audit', permissions });
