import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { recordRoutes } from './routes.js';

/** Records for auditors: the tenant's training records as CSV and Excel files, streamed. */
const permissions = definePermissions({
  /** Download the training records (who was trained in what, the evidence, certificates). */
  'records.export': ['admin', 'safety_officer'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const records = defineModule({
  name: 'records',
  permissions,
  routes: ({ services, db }) => recordRoutes(services, db),
});
