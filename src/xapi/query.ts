import { Prisma } from '../generated/prisma/client.js';
import type { Reader } from './request.js';
import { agentIds, agentKey, agentParameter } from './agents.js';
import { invalid, notFound } from './errors.js';
import { isObject, iri, timestamp, uuid, type Json } from './rules.js';

/** GET /xapi/statements: one statement by id, or a page of them by its filters, newest first, with `more`. */

const FILTERS = [
  'agent',
  'verb',
  'activity',
  'registration',
  'related_activities',
  'related_agents',
  'since',
  'until',
  'limit',
  'format',
  'attachments',
  'ascending',
];
const SINGLE = ['statementId', 'voidedStatementId', 'format', 'attachments'];
/** Most statements one page holds, and what `limit=0` (or none) means. */
export const MAX_PAGE = 500;

export interface StatementPage {
  statements: Json[];
  more: string;
  /** One statement asked for by id rather than a page. */
  single: boolean;
  format: string;
  attachments: boolean;
}

export async function queryStatements(
  read: Reader,
  tenantId: string,
  params: URLSearchParams,
  moreUrl: (token: string) => string,
): Promise<StatementPage> {
  const more = params.get('more');
  if (more !== null) params = decodeMore(more);
  const format = params.get('format') ?? 'exact';
  if (!['exact', 'ids', 'canonical'].includes(format)) throw invalid('format must be exact, ids or canonical');
  const attachments = booleanParam(params, 'attachments');
  const statementId = params.get('statementId');
  const voidedId = params.get('voidedStatementId');
  if (statementId !== null || voidedId !== null) {
    for (const key of params.keys()) if (!SINGLE.includes(key)) throw invalid(`${key} cannot be used with an id`);
    if (statementId !== null && voidedId !== null) throw invalid('send statementId or voidedStatementId, not both');
    const id = uuid(statementId === null ? 'voidedStatementId' : 'statementId', statementId ?? voidedId);
    const [row] = await read<{ statement: Json }>(Prisma.sql`
      SELECT statement FROM xapi_statements
      WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid AND voided = ${voidedId !== null}`);
    if (!row) throw notFound(`no statement ${id}`);
    return { statements: [row.statement], more: '', single: true, format, attachments };
  }
  for (const key of params.keys())
    if (!FILTERS.includes(key) && key !== 'cursor') throw invalid(`unknown parameter ${key}`);
  const limitText = params.get('limit') ?? '0';
  if (!/^\d+$/.test(limitText)) throw invalid('limit must be a whole number');
  const limit = Math.min(Number(limitText) || MAX_PAGE, MAX_PAGE);
  const ascending = booleanParam(params, 'ascending');
  const rows = await read<{ statement: Json; stored: Date; seq: bigint }>(pageSql(tenantId, params, limit, ascending));
  let next = '';
  if (rows.length > limit) {
    rows.length = limit;
    const last = rows.at(-1)!;
    const cursor = new URLSearchParams(params);
    cursor.set('cursor', `${last.stored.toISOString()}|${last.seq}`);
    next = moreUrl(Buffer.from(cursor.toString()).toString('base64url'));
  }
  return { statements: rows.map((row) => row.statement), more: next, single: false, format, attachments };
}

function decodeMore(token: string): URLSearchParams {
  const params = new URLSearchParams(Buffer.from(token, 'base64url').toString());
  if (!params.get('cursor')) throw invalid('more is not a link this LRS gave');
  return params;
}

function booleanParam(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw invalid(`${name} must be true or false`);
}

/** The filters that are not about time: a statement targeting a matching one (StatementRef) matches too. */
function matching(alias: string, params: URLSearchParams): Prisma.Sql[] {
  const s = Prisma.raw(alias);
  const conditions: Prisma.Sql[] = [];
  const agent = agentParameter('agent', params.get('agent'), false);
  if (agent) {
    const key = agentKey(agent);
    conditions.push(
      booleanParam(params, 'related_agents')
        ? Prisma.sql`${s}.related_agents @> ARRAY[${key}]`
        : Prisma.sql`(${s}.actor_key = ${key} OR ${s}.object_agent_key = ${key})`,
    );
  }
  const verb = params.get('verb');
  if (verb !== null) conditions.push(Prisma.sql`${s}.verb_id = ${iri('verb', verb)}`);
  const activity = params.get('activity');
  if (activity !== null) {
    iri('activity', activity);
    conditions.push(
      booleanParam(params, 'related_activities')
        ? Prisma.sql`${s}.related_activities @> ARRAY[${activity}]`
        : Prisma.sql`${s}.object_activity_id = ${activity}`,
    );
  }
  const registration = params.get('registration');
  if (registration !== null)
    conditions.push(Prisma.sql`${s}.registration = ${uuid('registration', registration)}::uuid`);
  return conditions;
}

function timing(alias: string, params: URLSearchParams, ascending: boolean): Prisma.Sql[] {
  const s = Prisma.raw(alias);
  const conditions: Prisma.Sql[] = [];
  const since = params.get('since');
  if (since !== null) conditions.push(Prisma.sql`${s}.stored > ${timestamp('since', since)}`);
  const until = params.get('until');
  if (until !== null) conditions.push(Prisma.sql`${s}.stored <= ${timestamp('until', until)}`);
  const cursor = params.get('cursor');
  if (cursor !== null) {
    const [at, seq] = cursor.split('|');
    const stored = new Date(at ?? '');
    if (Number.isNaN(stored.getTime()) || !/^\d+$/.test(seq ?? '')) throw invalid('more is not a link this LRS gave');
    conditions.push(
      ascending
        ? Prisma.sql`(${s}.stored, ${s}.seq) > (${stored}, ${BigInt(seq!)})`
        : Prisma.sql`(${s}.stored, ${s}.seq) < (${stored}, ${BigInt(seq!)})`,
    );
  }
  return conditions;
}

const and = (conditions: Prisma.Sql[]) => (conditions.length ? Prisma.join(conditions, ' AND ') : Prisma.sql`true`);

function pageSql(tenantId: string, params: URLSearchParams, limit: number, ascending: boolean): Prisma.Sql {
  const order = ascending ? Prisma.sql`ORDER BY stored, seq` : Prisma.sql`ORDER BY stored DESC, seq DESC`;
  const matches = matching('s', params);
  const direct = Prisma.sql`
    SELECT s.statement, s.stored, s.seq FROM xapi_statements s
    WHERE s.tenant_id = ${tenantId}::uuid AND NOT s.voided AND ${and([...matches, ...timing('s', params, ascending)])}
    ${order} LIMIT ${limit + 1}`;
  if (!matches.length) return direct;
  // Statements that target a matching statement, through a chain of StatementRefs.
  const referring = Prisma.sql`
    SELECT s.statement, s.stored, s.seq FROM xapi_statements s
    WHERE s.tenant_id = ${tenantId}::uuid AND s.id IN (
      WITH RECURSIVE chain(id, target, depth) AS (
        SELECT r.id, r.object_statement_id, 1 FROM xapi_statements r
        WHERE r.tenant_id = ${tenantId}::uuid AND r.object_statement_id IS NOT NULL AND NOT r.voided
          AND ${and(timing('r', params, ascending))}
        UNION ALL
        SELECT c.id, t.object_statement_id, c.depth + 1 FROM chain c
        JOIN xapi_statements t ON t.tenant_id = ${tenantId}::uuid AND t.id = c.target
        WHERE t.object_statement_id IS NOT NULL AND c.depth < 10
      )
      SELECT c.id FROM chain c JOIN xapi_statements t ON t.tenant_id = ${tenantId}::uuid AND t.id = c.target
      WHERE ${and(matching('t', params))})`;
  return Prisma.sql`SELECT * FROM ((${direct}) UNION (${referring})) page ${order} LIMIT ${limit + 1}`;
}

/** format=ids: agents, activities and verbs by their identifiers only. */
export function idsFormat(statement: Json): Json {
  const part = (value: Json): Json => {
    const result: Json = { ...value };
    if (isObject(value.actor)) result.actor = agentIds(value.actor);
    if (isObject(value.verb)) result.verb = { id: value.verb.id };
    if (isObject(value.authority)) result.authority = agentIds(value.authority);
    const object = value.object as Json | undefined;
    if (object) {
      const type = (object.objectType as string | undefined) ?? 'Activity';
      if (type === 'Activity') result.object = { id: object.id };
      else if (type === 'Agent' || type === 'Group') result.object = agentIds(object);
      else if (type === 'SubStatement') result.object = part(object);
    }
    return result;
  };
  return part(statement);
}

/** format=canonical: each language map reduced to the language the client prefers (else the first one). */
export function canonicalFormat(statement: Json, languages: string[]): Json {
  const pick = (map: Json): Json => {
    const tags = Object.keys(map);
    const tag =
      languages.map((wanted) => tags.find((t) => t.toLowerCase() === wanted.toLowerCase())).find(Boolean) ?? tags[0];
    return tag === undefined ? {} : { [tag]: map[tag] };
  };
  const walk = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item));
    if (!isObject(value)) return value;
    if (['display', 'name', 'description'].includes(key) && Object.values(value).every((v) => typeof v === 'string')) {
      return pick(value);
    }
    if (key === 'extensions') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  };
  return walk(statement) as Json;
}
