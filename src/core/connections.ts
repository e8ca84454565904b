import { builder } from './builder.js';

type NodeRef = Parameters<typeof builder.connectionObject>[0]['type'];

/**
 * One named Relay connection per node type (`AssignmentConnection`), shared by
 * every list of that type, with `totalCount`. plugin-prisma hands each
 * connection a lazy `totalCount()`: the count query runs only when asked for.
 */
export function connectionOf(name: string, node: NodeRef) {
  return builder.connectionObject(
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
}
