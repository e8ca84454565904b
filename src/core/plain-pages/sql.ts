import { Prisma } from '../../generated/prisma/client.js';
import { orderSql, Unsupported, whereSql, type TableMap } from '../json-page-sql.js';
import type { PlainEntry, PlainPlan, PlainSelection } from './plan.js';
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
          Prisma.sql`(SELECT coalesce('[' || string_agg(${object}, ',' ORDER BY ${order}) || ']', '[]') FROM (SELECT * FROM ${from} WHERE ${filter} ORDER BY ${order} LIMIT ${Prisma.raw(String(take))}) p)::text AS nodes`,
        );
      }
    }
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return parts.length ? Prisma.sql`SELECT ${Prisma.join(parts, ', ')}` : Prisma.empty;
}

/**
 * The rows of `table` that `where` picks, each as its `id` and, as `data`, the JSON text of `{"<key>": <the
 * selection of the row>}` — what graphql-js's response has under `data` for a field resolving to that row, once
 * `graphqlJsonText` has read it. Undefined when the filter does not compile.
 */
export function plainObjectsSql(
  selection: PlainSelection,
  table: TableMap,
  where: unknown,
  scope: PlainScope,
): Prisma.Sql | undefined {
  try {
    const filter = whereSql(table, 'p', where);
    const object = objectSql(selection.object, 'p', scope, { next: 0 });
    const key = Prisma.raw(`'{"${selection.key}":'`);
    return Prisma.sql`SELECT p.id::text AS id, ${key} || ${object} || '}' AS data FROM ${Prisma.raw(`${table.table} p`)} WHERE ${filter}`;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/**
 * PostgreSQL writes a number outside [1e-4, 1e15) with an exponent where JSON.stringify writes digits (within
 * [1e-6, 1e21)); elsewhere both write a double's shortest round-trip digits, and strings escaped alike. Text
 * with anything that may be such an exponent (rare: a string may look like one too) is written again by
 * JSON.stringify, so the text is byte for byte graphql-js's.
 */
export function graphqlJsonText(text: string): string {
  return /\de[-+]\d/.test(text) ? JSON.stringify(JSON.parse(text)) : text;
}

/**
 * The JSON text of one object, written as JSON.stringify writes graphql-js's value: keys in order, no spaces,
 * null for a SQL null (json_build_object would put spaces around the colons).
 */
function objectSql(entries: PlainEntry[], row: string, scope: PlainScope, aliases: { next: number }): Prisma.Sql {
  const parts = entries.map((entry, index) => {
    // Response keys and type names are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): safe inside quotes.
    const key = `${index ? ',' : '{'}"${entry.key}":`;
    if ('typename' in entry) return Prisma.raw(`'${key}"${entry.typename}"'`);
    if ('leaf' in entry)
      return Prisma.sql`${Prisma.raw(`'${key}'`)} || coalesce(to_json(${entry.leaf(row, scope)})::text, 'null')`;
    const related = `j${aliases.next++}`;
    const object = objectSql(entry.object, related, scope, aliases);
    return Prisma.sql`${Prisma.raw(`'${key}'`)} || coalesce((SELECT ${object} ${entry.relation.from(row, related, scope)}), 'null')`;
  });
  return Prisma.sql`(${Prisma.join(parts, ' || ')} || '}')`;
}
