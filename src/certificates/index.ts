import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { certificateRoutes } from './routes.js';
import { certificateSettings } from './settings.js';
import './certificate.js';

/** Certificates: issued for passed completions, public PDF and verify pages, revocation. */
const permissions = definePermissions({
  /** Revoke the tenant's certificates. */
  'certificates.revoke': ['admin', 'safety_officer'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const certificates = defineModule({
  name: 'certificates',
  permissions,
  settings: certificateSettings,
  routes: ({ services }) => certificateRoutes(services),
});
