import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { brandingRoutes } from './routes.js';
import './tenant-settings.js';

/** The tenant's own settings: its name and logo on e-mails, certificates and the verify page. */
const permissions = definePermissions({
  /** Change the tenant's name and logo. */
  'tenant.settings': ['admin'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const tenants = defineModule({
  name: 'tenants',
  permissions,
  routes: ({ services }) => brandingRoutes(services),
});
