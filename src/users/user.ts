import { builder } from '../core/builder.js';
import { unauthenticated } from '../core/errors.js';

/**
 * `User` is owned by the identity subgraph; this subgraph contributes the
 * user's training (assignments, completions, progress — added by those
 * domains with `builder.objectField(User, …)`). Locally it is just an id.
 */
export interface UserRef {
  id: string;
}

export const User = builder.objectRef<UserRef>('User');

User.implement({
  description: 'A person of the tenant. Owned by the users subgraph; extended here with their training.',
  fields: (t) => ({
    id: t.exposeID('id'),
  }),
});

builder.asEntity(User, {
  key: builder.selection<{ id: string }>('id'),
  // The identity subgraph vouches for the id; what a caller may see of the
  // user's training is decided by each training field (scope-auth + RLS).
  // `_entities` bypasses the Query type's scopes, so the anonymous are refused here.
  resolveReference: (reference, context) => {
    if (!context.caller) throw unauthenticated();
    return { id: reference.id };
  },
});

builder.queryField('me', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: User,
    description: 'The caller, with their training.',
    resolve: (_root, _args, context) => ({ id: context.caller.userId }),
  }),
);
