import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { contentRoutes } from './routes.js';
import { contentSettings } from './settings.js';
import './module-type.js';
import './module-crud.js';
import './cmi5-import.js';
import './stats.js';
import './launch.js';
import './progress-type.js';
import './progress.js';

/** Course content: uploaded files served with range requests, a course's modules, cmi5 packages. */
const permissions = definePermissions({
  /** Upload files, add, change and remove modules, import cmi5 packages. */
  'content.manage': ['admin', 'safety_officer'],
  /** Launch the modules of one's own started assignments. */
  'content.learn': ['admin', 'safety_officer', 'worker'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const content = defineModule({
  name: 'content',
  permissions,
  settings: contentSettings,
  routes: ({ services }) => contentRoutes(services),
});
