import { Prisma } from '../../generated/prisma/client.js';
import { orderSql, Unsupported, whereSql } from '../json-page-sql.js';
import type { PlainEntry, PlainPlan } from './plan.js';
import type { PlainScope } from './registry.js';

/**
 * A plain page as one statement: the nodes as the JSON text of the answer's list (keys the response keys, values
 * serialised as graphql-js serialises them), the count beside it when asked for. Undefined when the filter or
 * the order does not compile (then graphql-js answers).
 */
export function plainPageSql(plan: PlainPlan, where: unknown, take: number, scope: PlainScope): Prisma.Sql | undefined {
  const { table, orderBy } = plan.root;
  const from = Prisma.raw(`${table.table} p`);
  const parts: Prisma.Sql[] = [];
  try {
    const filter = whereSql(table, 'p', where);
    const order = orderSql(table, 'p', orderBy);
    const aliases = { next: 0 };
    for (const entry of plan.connection) {
      if ('totalCount' in entry) {
        parts.push(Prisma.sql`(SELECT count(*) FROM ${from} WHERE ${filter})::int AS total`);
      } else if ('nodes' in entry) {
        const object = objectSql(entry.nodes, 'p', scope, aliases);
        parts.push(
          Prisma.sql`(SELECT coalesce(json_agg(${object} ORDER BY ${order}), '[]'::json) FROM (SELECT * FROM ${from} WHERE ${filter} ORDER BY ${order} LIMIT ${Prisma.raw(String(take))}) p)::text AS nodes`,
        );
      }
    }
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return parts.length ? Prisma.sql`SELECT ${Prisma.join(parts, ', ')}` : Prisma.empty;
}

function objectSql(entries: PlainEntry[], row: string, scope: PlainScope, aliases: { next: number }): Prisma.Sql {
  // json_build_object takes at most 100 arguments.
  if (entries.length > 50) throw new Unsupported('more than 50 fields');
  const pairs = entries.map((entry) => {
    // Response keys and type names are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): safe inside quotes.
    const key = Prisma.raw(`'${entry.key}'`);
    if ('typename' in entry) return Prisma.sql`${key}, ${Prisma.raw(`'${entry.typename}'::text`)}`;
    if ('leaf' in entry) return Prisma.sql`${key}, ${entry.leaf(row, scope)}`;
    const related = `j${aliases.next++}`;
    const object = objectSql(entry.object, related, scope, aliases);
    return Prisma.sql`${key}, (SELECT ${object} ${entry.relation.from(row, related, scope)})`;
  });
  return Prisma.sql`json_build_object(${Prisma.join(pairs, ', ')})`;
}
