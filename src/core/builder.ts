import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import PrismaPlugin, { type PrismaClient as PothosPrismaClient } from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import './loaded-fields-plugin.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import type { CallerContext, Context } from './caller.js';
import { may, type Permission } from './permissions.js';
import { forbidden, unauthenticated } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';

/**
 * The schema builder. It defines no types: each domain folder adds its own.
 * Scope-auth comes first so every field is checked before anything else runs,
 * and federation comes after it.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Any verified caller. */
    authenticated: boolean;
    /** The caller's role has this permission (core/permissions.ts). */
    may: Permission;
  };
  /** `t.withAuth(scopes)` gives a field's resolvers these contexts: the caller is known. */
  AuthContexts: {
    authenticated: CallerContext;
    may: CallerContext;
  };
  Scalars: {
    Date: { Input: Date; Output: Date };
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}>({
  // loadedFields / loadedFieldsInner sit just outside and just inside plugin-prisma (core/loaded-fields-plugin.ts).
  plugins: [
    ScopeAuthPlugin,
    'loadedFields',
    PrismaPlugin,
    'loadedFieldsInner',
    RelayPlugin,
    DirectivesPlugin,
    FederationPlugin,
  ],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      authenticated: context.caller !== null,
      may: (permission) => context.caller !== null && may(context.caller.role, permission),
    }),
    unauthorizedError: (_parent, context) => (context.caller ? forbidden() : unauthenticated()),
  },
  prisma: {
    // plugin-prisma types its client as having `$connect`, but it only reads the model
    // delegates, which the caller's client has: the one place that client is widened.
    client: (context) => context.db as unknown as PothosPrismaClient,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: true,
  },
});
