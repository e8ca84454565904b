import DataLoader from 'dataloader';
import { builder } from '../core/builder.js';
import type { CallerContext } from '../core/caller/index.js';
import { unauthenticated } from '../core/errors.js';
import * as validate from '../core/validate.js';

/**
 * `User` is owned by the identity subgraph; this subgraph contributes the
 * user's training (assignments, completions, progress — added by those
 * domains with `builder.objectField(User, …)`). Locally it is just an id.
 */
export interface UserRef {
  id: string;
}

export const User = builder.objectRef<UserRef>('User');

interface ProfileNames {
  displayName: string | null;
  email: string | null;
}

/**
 * One query per request for every name a response shows. Profiles are the tenant's
 * directory: anyone in the tenant reads them, nobody outside it (RLS); a user unknown
 * to the tenant reads as null.
 */
const profileLoaders = new WeakMap<CallerContext, DataLoader<string, ProfileNames | null>>();

function loaderOf(context: CallerContext): DataLoader<string, ProfileNames | null> {
  let loader = profileLoaders.get(context);
  if (!loader) {
    loader = new DataLoader<string, ProfileNames | null>(async (ids: readonly string[]) => {
      const rows = await context.db.profile.findMany({
        where: { tenantId: context.caller.tenantId, id: { in: [...ids] } },
        select: { id: true, displayName: true, email: true },
      });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((key) => byId.get(key) ?? null);
    });
    profileLoaders.set(context, loader);
  }
  return loader;
}

const profileOf = (context: CallerContext, id: string) => loaderOf(context).load(id);

/** Profiles a list already read (the directory): their names cost no further statement. */
export function primeProfiles(context: CallerContext, rows: (ProfileNames & { id: string })[]): void {
  const loader = loaderOf(context);
  for (const { id, displayName, email } of rows) loader.prime(id, { displayName, email });
}

User.implement({
  description: 'A person of the tenant. Owned by the users subgraph; extended here with their training.',
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.withAuth({ authenticated: true }).string({
      nullable: true,
      shareable: true,
      description: "The user's name from their profile (null when the tenant has no profile for them).",
      resolve: async (user, _args, context) => (await profileOf(context, user.id))?.displayName ?? null,
    }),
    email: t.withAuth({ authenticated: true }).string({
      nullable: true,
      shareable: true,
      description: "The user's email from their profile.",
      resolve: async (user, _args, context) => (await profileOf(context, user.id))?.email ?? null,
    }),
  }),
});

builder.asEntity(User, {
  key: builder.selection<{ id: string }>('id'),
  // The identity subgraph vouches for the id; what a caller may see of the
  // user's training is decided by each training field (scope-auth + RLS).
  // `_entities` bypasses the Query type's scopes, so the anonymous are refused here.
  resolveReference: (reference, context) => {
    if (!context.caller) throw unauthenticated();
    return { id: validate.uuid('representations.id', reference.id) };
  },
});

builder.queryField('me', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: User,
    description: 'The caller, with their training.',
    resolve: (_root, _args, context) => ({ id: context.caller.userId }),
  }),
);
