import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { xapiRoutes } from './routes.js';
import { lrsCredentialRevoked } from './credentials.js';
import { forgetCredential } from './launch.js';

/**
 * The Learning Record Store at /xapi (xAPI 2.0.0 and 1.0.3): statements, documents, activities, agents, about,
 * authenticated with a tenant's LRS credentials or a cmi5 launch's token. What other domains use is exported
 * here: storing statements and documents inside their own transaction, a hook on stored statements, and cmi5
 * launch tokens.
 */
const permissions = definePermissions({
  /** Create, list and revoke LRS credentials (their secrets are shown once). */
  'xapi.credentials': ['admin'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const xapi = defineModule({
  name: 'xapi',
  permissions,
  routes: ({ services }) => xapiRoutes(services),
  liveChannels: [lrsCredentialRevoked],
  start: ({ services }) => {
    // Another instance revoked a credential; after an outage of the session any may have been, so forget all.
    const unfollow = services.liveEvents.follow(lrsCredentialRevoked, {
      payload: (id) => forgetCredential(id),
      resumed: () => forgetCredential(),
    });
    return { stop: async () => unfollow() };
  },
});

export {
  storeStatements,
  onStatementsStored,
  type StatementsStoredHook,
  type StoredBatch,
  type StoredStatement,
} from './store.js';
export { putDocument, type DocumentKind, type DocumentWrite } from './documents.js';
export { createLaunchToken, FETCH_PATH, LAUNCH_TOKEN_TTL_MS, type LaunchScope } from './launch.js';
export { XapiError } from './errors.js';
export { agentKey } from './agents.js';
