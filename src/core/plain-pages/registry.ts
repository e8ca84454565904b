import { Prisma } from '../../generated/prisma/client.js';
import type { CallerContext } from '../caller/index.js';
import type { TableMap } from '../json-page-sql.js';

/**
 * What PostgreSQL can answer of a GraphQL type exactly as graphql-js would serialise it: each domain registers
 * the fields of its types whose value is a column (or an expression of the row) with no resolver logic beyond
 * that, and the connections whose page is one filtered, ordered table read.
 */

/** Values a field's SQL may name, as parameters. */
export interface PlainScope {
  /** The tenant the page's filter names, if one: a relation's subquery names it by value (on Citus, one shard). */
  tenantId: string | undefined;
  /** Today's UTC day, as the field resolvers' `todayUtc()` gives it for this request. */
  today: Date;
}

/** A leaf field: the SQL expression (on the row alias) whose JSON value is the field's serialised value. */
export type PlainLeaf = (row: string, scope: PlainScope) => Prisma.Sql;

/** A field whose value is at most one row of another plain type: `from` is its subquery's FROM … WHERE … tail. */
export interface PlainRelation {
  type: string;
  from: (row: string, related: string, scope: PlainScope) => Prisma.Sql;
}

export type PlainField = PlainLeaf | PlainRelation;

/** A root connection field read as one page of `table`. */
export interface PlainRoot {
  table: TableMap;
  orderBy: unknown;
  /** The filter for these arguments and caller; it throws whatever the field's resolver would throw. */
  where: (args: Record<string, unknown>, context: CallerContext) => unknown;
}

export const plainTypes = new Map<string, Record<string, PlainField>>();
export const plainRoots = new Map<string, PlainRoot>();

/** Fields of the GraphQL type `typeName` that PostgreSQL writes as graphql-js does (added to earlier ones). */
export function registerPlainFields(typeName: string, fields: Record<string, PlainField>): void {
  plainTypes.set(typeName, { ...plainTypes.get(typeName), ...fields });
}

/** A root connection field of the Query type whose page PostgreSQL reads in one statement. */
export function registerPlainRoot(fieldName: string, root: PlainRoot): void {
  plainRoots.set(fieldName, root);
}

const column = (row: string, name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not an SQL identifier: ${name}`);
  return `${row}.${name}`;
};

/** The leaves' SQL, by how the column's value is serialised. */
export const plainLeaf = {
  /** ID (uuid), String, Boolean, Int and Date. */
  value:
    (name: string): PlainLeaf =>
    (row) =>
      Prisma.raw(column(row, name)),
  /**
   * A Float read from numeric, as `Number()` reads the decimal's text: the nearest double, written as its
   * shortest digits (numeric's own text keeps trailing zeros).
   */
  decimal:
    (name: string): PlainLeaf =>
    (row) =>
      Prisma.raw(`${column(row, name)}::float8`),
  /** An enum over the database's lower-case values. */
  enum:
    (name: string): PlainLeaf =>
    (row) =>
      Prisma.raw(`upper(${column(row, name)})`),
  /** A DateTime: `toISOString()`'s form, milliseconds truncated as JavaScript truncates microseconds. */
  instant:
    (name: string): PlainLeaf =>
    (row) =>
      Prisma.raw(`to_char(${column(row, name)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`),
};

/** The subquery's condition that the related row is the page's tenant's: by value when known, else by the row. */
export function sameTenant(row: string, related: string, scope: PlainScope): Prisma.Sql {
  return scope.tenantId === undefined
    ? Prisma.raw(`${related}.tenant_id = ${row}.tenant_id`)
    : Prisma.sql`${Prisma.raw(related)}.tenant_id = ${scope.tenantId}::uuid`;
}
