import { Prisma } from '../generated/prisma/client.js';
import type { GraphQLResolveInfo } from 'graphql';
import type { CallerContext, CallerTransaction } from './caller/index.js';
import { selectedFieldNames } from './selection.js';
import { tenantOf } from './where-tenant.js';

/**
 * Hot list reads in one statement, shaped by PostgreSQL. plugin-prisma turns a connection's
 * GraphQL selection into Prisma `findMany` arguments (`select` with nested relations, `take`, `skip`);
 * this module compiles those arguments, the field's `where` and its `orderBy` into ONE SQL statement that
 * returns the page as JSON (json_build_object / json_agg, each relation a correlated subquery, a to-many
 * relation's `orderBy` + `take` inside it) and, when asked, the count beside it. The rows come back shaped
 * exactly like Prisma's (keys are the model's field names, DateTime fields are Dates), so every field
 * resolver, auth scope and error works on them unchanged.
 *
 * It runs as the caller (`context.read`: in a query operation, its one shared read transaction), like every
 * other statement of a request. Anything it does not know (a cursor, a backwards page, an `include`, a field
 * or relation without a mapping, a filter operator it does not compile) makes `compileJsonPage` return
 * undefined, and the caller takes the ordinary Prisma path.
 */

/** The PostgreSQL type of a mapped column: how a filter value is cast, and how the JSON value is read back. */
export type ColumnType = 'uuid' | 'text' | 'int' | 'boolean' | 'numeric' | 'date' | 'timestamptz' | 'jsonb';

export interface ColumnMap {
  column: string;
  type: ColumnType;
}

export interface RelationMap {
  target: () => TableMap;
  /** To-many (a JSON array) or to-one (an object, or null). */
  list: boolean;
  /** Join pairs [target field, parent field]: target.column = parent.column for each. */
  on: readonly (readonly [string, string])[];
}

/** One Prisma model's table: every scalar field that may be read, and the relations that may be followed. */
export interface TableMap {
  model: string;
  table: string;
  columns: Readonly<Record<string, ColumnMap>>;
  relations: Record<string, RelationMap>;
}

/** Thrown inside the compiler for anything it does not support; the caller falls back to Prisma. */
export class Unsupported extends Error {}

/** How to turn one parsed JSON object back into a Prisma-shaped row. */
interface RowPlan {
  dates: string[];
  relations: [string, RowPlan][];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const FIELD = /^[A-Za-z][A-Za-z0-9]*$/;

const CASTS: Record<ColumnType, Prisma.Sql> = {
  uuid: Prisma.raw('::uuid'),
  text: Prisma.raw('::text'),
  int: Prisma.raw('::int'),
  boolean: Prisma.raw('::boolean'),
  numeric: Prisma.raw('::numeric'),
  date: Prisma.raw('::date'),
  timestamptz: Prisma.raw('::timestamptz'),
  jsonb: Prisma.raw('::jsonb'),
};

function identifier(name: string): Prisma.Sql {
  if (!IDENTIFIER.test(name)) throw new Error(`not an SQL identifier: ${name}`);
  return Prisma.raw(name);
}

function column(table: TableMap, alias: string, field: string): { sql: Prisma.Sql; map: ColumnMap } {
  const map = Object.hasOwn(table.columns, field) ? table.columns[field] : undefined;
  if (!map) throw new Unsupported(`${table.model}.${field}`);
  return { sql: Prisma.raw(`${alias}.${identifier(map.column).text}`), map };
}

/** A filter value as a typed parameter. */
function parameter(map: ColumnMap, value: unknown): Prisma.Sql {
  return Prisma.sql`${sendable(map, value)}${CASTS[map.type]}`;
}

/** A list of filter values as ONE typed array parameter: the same statement text whatever its length. */
function arrayParameter(map: ColumnMap, values: unknown[]): Prisma.Sql {
  return Prisma.sql`${values.map((value) => sendable(map, value))}${CASTS[map.type]}[]`;
}

/** A filter value as sent to PostgreSQL (then cast to the column's type). */
function sendable(map: ColumnMap, value: unknown): unknown {
  let sent: unknown = value;
  if (value instanceof Date) {
    if (map.type === 'date') sent = value.toISOString().slice(0, 10);
    else if (map.type === 'timestamptz') sent = value.toISOString();
    else throw new Unsupported('a Date for a non-date column');
  } else if (typeof value === 'number') {
    if (map.type !== 'int' && map.type !== 'numeric') throw new Unsupported('a number for a non-number column');
    sent = String(value);
  } else if (typeof value === 'boolean') {
    if (map.type !== 'boolean') throw new Unsupported('a boolean for a non-boolean column');
  } else if (typeof value === 'string') {
    if (map.type === 'date' || map.type === 'timestamptz' || map.type === 'boolean' || map.type === 'jsonb') {
      throw new Unsupported('a string for a date, boolean or JSON column');
    }
  } else {
    throw new Unsupported(`a filter value of type ${typeof value}`);
  }
  return sent;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const COMPARISONS: Record<string, string> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };

/** One field's condition: a value (equality), null, or an object of the operators Prisma's filters use here. */
function condition(table: TableMap, alias: string, field: string, filter: unknown): Prisma.Sql {
  const { sql: col, map } = column(table, alias, field);
  if (filter === null) return Prisma.sql`${col} IS NULL`;
  if (!isPlainObject(filter)) return Prisma.sql`${col} = ${parameter(map, filter)}`;
  const parts: Prisma.Sql[] = [];
  const insensitive = filter.mode === 'insensitive';
  if (filter.mode !== undefined && filter.mode !== 'insensitive' && filter.mode !== 'default') {
    throw new Unsupported('mode');
  }
  for (const [operator, value] of Object.entries(filter)) {
    if (value === undefined || operator === 'mode') continue;
    if (operator === 'equals') {
      parts.push(value === null ? Prisma.sql`${col} IS NULL` : Prisma.sql`${col} = ${parameter(map, value)}`);
    } else if (operator === 'in') {
      if (!Array.isArray(value)) throw new Unsupported('in: not a list');
      // `= ANY(array)`, not `IN ($1, $2, …)`: one statement text for every length, so it stays prepared.
      parts.push(value.length === 0 ? Prisma.sql`FALSE` : Prisma.sql`${col} = ANY(${arrayParameter(map, value)})`);
    } else if (Object.hasOwn(COMPARISONS, operator)) {
      if (value === null) throw new Unsupported('comparison with null');
      parts.push(Prisma.sql`${col} ${Prisma.raw(COMPARISONS[operator]!)} ${parameter(map, value)}`);
    } else if (operator === 'contains') {
      // Prisma sends `contains` as (I)LIKE '%value%', the value unescaped: the caller escapes what must be literal.
      if (typeof value !== 'string' || map.type !== 'text') throw new Unsupported('contains');
      parts.push(Prisma.sql`${col} ${Prisma.raw(insensitive ? 'ILIKE' : 'LIKE')} ${`%${value}%`}::text`);
    } else {
      throw new Unsupported(`filter operator ${operator}`);
    }
  }
  if (insensitive && filter.contains === undefined) throw new Unsupported('mode without contains');
  return parts.length ? Prisma.sql`(${Prisma.join(parts, ' AND ')})` : Prisma.sql`TRUE`;
}

/** A Prisma `where` of this table (AND, OR, field conditions) as SQL. */
export function whereSql(table: TableMap, alias: string, where: unknown): Prisma.Sql {
  if (where === undefined) return Prisma.sql`TRUE`;
  if (!isPlainObject(where)) throw new Unsupported('where');
  const parts: Prisma.Sql[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'AND') {
      for (const item of Array.isArray(value) ? value : [value]) parts.push(whereSql(table, alias, item));
    } else if (key === 'OR') {
      if (!Array.isArray(value)) throw new Unsupported('OR');
      const branches = value.map((item) => whereSql(table, alias, item));
      parts.push(branches.length ? Prisma.sql`(${Prisma.join(branches, ' OR ')})` : Prisma.sql`FALSE`);
    } else {
      parts.push(condition(table, alias, key, value));
    }
  }
  return parts.length ? Prisma.sql`(${Prisma.join(parts, ' AND ')})` : Prisma.sql`TRUE`;
}

/** A Prisma `orderBy` ({ field: 'asc' | 'desc' } or a list of them) as SQL; PostgreSQL's NULLS default, as Prisma's. */
export function orderSql(table: TableMap, alias: string, orderBy: unknown): Prisma.Sql {
  const items = Array.isArray(orderBy) ? orderBy : [orderBy];
  const parts: Prisma.Sql[] = [];
  for (const item of items) {
    if (!isPlainObject(item)) throw new Unsupported('orderBy');
    for (const [field, direction] of Object.entries(item)) {
      if (direction !== 'asc' && direction !== 'desc') throw new Unsupported('orderBy direction');
      parts.push(Prisma.sql`${column(table, alias, field).sql} ${Prisma.raw(direction === 'asc' ? 'ASC' : 'DESC')}`);
    }
  }
  if (!parts.length) throw new Unsupported('empty orderBy');
  return Prisma.join(parts, ', ');
}

function count(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Unsupported(what);
  return value;
}

interface Compiler {
  aliases: number;
  /** The one tenant the page's filter names (`tenantOf`), if any. */
  tenantId: string | undefined;
}

/** json_build_object(...) of one row of `table` (alias), with the fields of a Prisma `select` (true: every scalar). */
function objectSql(
  compiler: Compiler,
  table: TableMap,
  alias: string,
  select: unknown,
): { sql: Prisma.Sql; plan: RowPlan } {
  const fields: [string, unknown][] =
    select === true ? Object.keys(table.columns).map((field) => [field, true]) : Object.entries(selectOf(select));
  const pairs: Prisma.Sql[] = [];
  const plan: RowPlan = { dates: [], relations: [] };
  for (const [field, value] of fields) {
    if (value === undefined || value === false) continue;
    if (!FIELD.test(field)) throw new Unsupported(`field name ${field}`);
    const key = Prisma.raw(`'${field}'`);
    if (Object.hasOwn(table.relations, field)) {
      const nested = relationSql(compiler, table, alias, table.relations[field]!, value);
      pairs.push(Prisma.sql`${key}, ${nested.sql}`);
      plan.relations.push([field, nested.plan]);
      continue;
    }
    if (value !== true) throw new Unsupported(`${table.model}.${field}: ${JSON.stringify(value)}`);
    const { sql, map } = column(table, alias, field);
    pairs.push(Prisma.sql`${key}, ${sql}`);
    if (map.type === 'date' || map.type === 'timestamptz') plan.dates.push(field);
  }
  // json_build_object takes at most 100 arguments.
  if (pairs.length > 50) throw new Unsupported('more than 50 fields');
  return { sql: Prisma.sql`json_build_object(${Prisma.join(pairs, ', ')})`, plan };
}

/** The `select` of a Prisma selection: only `select` is compiled (an `include` or nested `where` on a relation is not). */
function selectOf(selection: unknown): Record<string, unknown> {
  if (!isPlainObject(selection) || !isPlainObject(selection.select)) throw new Unsupported('selection without select');
  return selection.select;
}

const NESTED_KEYS = new Set(['select', 'orderBy', 'take', 'skip', 'where']);

function relationSql(
  compiler: Compiler,
  parent: TableMap,
  parentAlias: string,
  relation: RelationMap,
  value: unknown,
): { sql: Prisma.Sql; plan: RowPlan } {
  const target = relation.target();
  const alias = `j${compiler.aliases++}`;
  if (value !== true) {
    if (!isPlainObject(value)) throw new Unsupported('relation selection');
    for (const key of Object.keys(value)) if (!NESTED_KEYS.has(key)) throw new Unsupported(`relation argument ${key}`);
  }
  const args = value === true ? {} : (value as Record<string, unknown>);
  // The tenant pair equals the page's tenant, not the parent's column (the same rows): Citus sends a subquery
  // to one tenant's shard only when its tenant_id equals a value.
  const join = relation.on.map(([targetField, parentField]) => {
    const { sql, map } = column(target, alias, targetField);
    const tenantPair = targetField === 'tenantId' && parentField === 'tenantId' && compiler.tenantId !== undefined;
    return Prisma.sql`${sql} = ${tenantPair ? parameter(map, compiler.tenantId) : column(parent, parentAlias, parentField).sql}`;
  });
  if (args.where !== undefined) join.push(whereSql(target, alias, args.where));
  const where = Prisma.join(join, ' AND ');
  const object = objectSql(compiler, target, alias, value === true ? true : args);
  const from = Prisma.sql`${identifier(target.table)} ${Prisma.raw(alias)}`;
  if (!relation.list) {
    if (args.orderBy !== undefined || args.take !== undefined || args.skip !== undefined) {
      throw new Unsupported('to-one relation with paging');
    }
    return { sql: Prisma.sql`(SELECT ${object.sql} FROM ${from} WHERE ${where})`, plan: object.plan };
  }
  // A to-many relation without an order has no defined order in Prisma either: not compiled.
  if (args.orderBy === undefined) throw new Unsupported('to-many relation without orderBy');
  const order = orderSql(target, alias, args.orderBy);
  const take = count(args.take, 'relation take');
  const skip = count(args.skip, 'relation skip') ?? 0;
  const limit = take === undefined ? Prisma.empty : Prisma.sql` LIMIT ${Prisma.raw(String(take))}`;
  const offset = skip ? Prisma.sql` OFFSET ${Prisma.raw(String(skip))}` : Prisma.empty;
  return {
    sql: Prisma.sql`(SELECT coalesce(json_agg(${object.sql} ORDER BY ${order}), '[]'::json) FROM (SELECT * FROM ${from} WHERE ${where} ORDER BY ${order}${limit}${offset}) ${Prisma.raw(alias)})`,
    plan: object.plan,
  };
}

/** What plugin-prisma hands a connection's resolver (plus whatever else it may add: anything unknown falls back). */
export interface PageQuery {
  select?: unknown;
  include?: unknown;
  cursor?: unknown;
  take?: number;
  skip?: number;
}

export interface CompiledPage {
  sql: Prisma.Sql;
  plan: RowPlan;
  withCount: boolean;
}

const PAGE_KEYS = new Set(['select', 'take', 'skip']);

/** The statement for one page of `table` (and its count when `withCount`), or undefined: use Prisma. */
export function compileJsonPage(
  table: TableMap,
  query: PageQuery,
  where: unknown,
  orderBy: unknown,
  withCount: boolean,
): CompiledPage | undefined {
  try {
    for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
      if (value !== undefined && !PAGE_KEYS.has(key)) throw new Unsupported(`page argument ${key}`);
    }
    const take = count(query.take, 'take (a backwards page)');
    const skip = count(query.skip, 'skip') ?? 0;
    const compiler: Compiler = { aliases: 0, tenantId: tenantOf(where) };
    const alias = 'p';
    const object = objectSql(compiler, table, alias, query);
    const from = Prisma.sql`${identifier(table.table)} ${Prisma.raw(alias)}`;
    const filter = whereSql(table, alias, where);
    const order = orderSql(table, alias, orderBy);
    const limit = take === undefined ? Prisma.empty : Prisma.sql` LIMIT ${Prisma.raw(String(take))}`;
    const offset = skip ? Prisma.sql` OFFSET ${Prisma.raw(String(skip))}` : Prisma.empty;
    const page = Prisma.sql`(SELECT coalesce(json_agg(${object.sql} ORDER BY ${order}), '[]'::json) FROM (SELECT * FROM ${from} WHERE ${filter} ORDER BY ${order}${limit}${offset}) ${Prisma.raw(alias)})::text AS page`;
    const total = withCount ? Prisma.sql`(SELECT count(*) FROM ${from} WHERE ${filter})::int AS total, ` : Prisma.empty;
    return { sql: Prisma.sql`SELECT ${total}${page}`, plan: object.plan, withCount };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/** Dates back to Date objects (as Prisma returns them), in place, following the plan through relations. */
function revive(row: Record<string, unknown>, plan: RowPlan): void {
  for (const field of plan.dates) {
    const value = row[field];
    if (typeof value === 'string') row[field] = new Date(value);
  }
  for (const [field, nested] of plan.relations) {
    const value = row[field];
    if (Array.isArray(value)) for (const item of value) revive(item as Record<string, unknown>, nested);
    else if (value) revive(value as Record<string, unknown>, nested);
  }
}

export interface JsonPage<Row> {
  rows: Row[];
  /** The count of every row `where` matches, when it was asked for. */
  total: number | undefined;
}

/** One connection's page: the table, plugin-prisma's arguments for it, and the field's filter and order. */
export interface PageRead {
  table: TableMap;
  query: PageQuery;
  where: unknown;
  orderBy: unknown;
}

/**
 * A connection's page (the resolver of `prismaConnection`): in one statement, with the count beside it when
 * `totalCount` is selected (kept in `pageCounts` under `args`), when COMPILED_READS is on and the selection
 * compiles — in the caller's transaction, RLS as the caller; otherwise `viaPrisma()`.
 */
export async function readPage<Row>(
  context: CallerContext,
  info: GraphQLResolveInfo,
  args: object,
  read: PageRead,
  viaPrisma: () => Promise<Row[]>,
): Promise<Row[]> {
  const withCount = selectedFieldNames(info).has('totalCount');
  const compiled = context.services.config.compiledReads
    ? compileJsonPage(read.table, read.query, read.where, read.orderBy, withCount)
    : undefined;
  if (!compiled) return viaPrisma();
  const page = pageOf<Row>(await context.read<PageResult>(compiled.sql), compiled);
  if (page.total !== undefined) pageCounts.set(args, page.total);
  return page.rows;
}

/** Runs a compiled page in a transaction already open (live delivery's, as the tenant's service role). */
export async function readJsonPageIn<Row>(tx: CallerTransaction, page: CompiledPage): Promise<JsonPage<Row>> {
  return pageOf(await tx.$queryRaw<PageResult[]>(page.sql), page);
}

/** The one row a compiled page statement returns. */
interface PageResult {
  page: string;
  total?: number;
}

function pageOf<Row>([result]: PageResult[], page: CompiledPage): JsonPage<Row> {
  const rows = JSON.parse(result!.page) as Record<string, unknown>[];
  for (const row of rows) revive(row, page.plan);
  return { rows: rows as Row[], total: page.withCount ? Number(result!.total) : undefined };
}

/**
 * The count a compiled page read beside its rows, for the connection's `totalCount` (called after the page,
 * with the same `args` object): keyed by that object, so it lives exactly as long as the field's execution.
 */
export const pageCounts = new WeakMap<object, number>();
