import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import './user.js';
import './profiles.js';
import './shifts.js';
import './equipment-operators.js';
import './directory.js';
import './locale.js';
import './plain-fields.js';

/** People: the federated `User`, profiles and who works where (shifts, equipment operators). */
const permissions = definePermissions({
  /** Feed profiles, shifts and equipment from other systems. */
  'users.feed': ['admin', 'service'],
  /** Read anyone's training in the tenant (everyone else reads only their own). */
  'training.readAnyone': ['admin', 'safety_officer', 'service'],
  /** Search the tenant's people by name (`users`): every "pick a person" field. */
  'users.directory': ['admin', 'safety_officer'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const users = defineModule({ name: 'users', permissions });
