import type { ObjectRef, SchemaTypes } from '@pothos/core';
import type { ReplaceContext } from '@pothos/plugin-scope-auth';
import { builder } from './builder.js';
import type { CallerContext } from './caller/index.js';

type NodeRef = Parameters<typeof builder.connectionObject>[0]['type'];
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type ForCallerFields<Ref> =
  Ref extends ObjectRef<SchemaTypes, infer Shape, infer Parent>
    ? ObjectRef<ReplaceContext<Types, CallerContext>, Shape, Parent>
    : never;

/**
 * One named Relay connection per node type (`AssignmentConnection`), shared by
 * every list of that type, with `totalCount`. plugin-prisma hands each
 * connection a lazy `totalCount()`: the count query runs only when asked for.
 *
 * Lists are read by callers only (`t.withAuth(…)` fields), so the connection is
 * typed for their context; only the type changes, the object is the same.
 */
export function connectionOf(name: string, node: NodeRef) {
  const connection = builder.connectionObject(
    {
      type: node,
      name,
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many items match, across all pages.',
          resolve: (connection) => (connection as { totalCount?: () => Promise<number> | number }).totalCount?.() ?? 0,
        }),
      }),
    },
    { name: `${name.replace(/Connection$/, '')}Edge` },
  );
  return connection as unknown as ForCallerFields<typeof connection>;
}
