import { builder } from './builder.js';

/**
 * The root types. Deny by default: every Query and Mutation field requires an
 * authenticated caller unless it opts out (only `health` does); fields narrow
 * that to a permission of core/permissions.ts with `t.withAuth({ may: … })`.
 */
builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });

builder.queryField('health', (t) =>
  t.string({
    description: 'Always "ok": lets a client or load balancer check the GraphQL endpoint without a token.',
    skipTypeScopes: true,
    resolve: () => 'ok',
  }),
);
