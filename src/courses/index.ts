import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import './course.js';
import './plain-fields.js';

/** Courses: the catalogue officers manage and everyone reads. */
const permissions = definePermissions({
  /** Create and change the tenant's courses. */
  'courses.manage': ['admin', 'safety_officer'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const courses = defineModule({ name: 'courses', permissions });
