import { randomUUID } from 'node:crypto';
import { Prisma } from '../generated/prisma/client.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { agentKey, agentKeys } from './agents.js';
import { conflict, invalid, XapiError } from './errors.js';
import { isObject, type Json, type XapiVersion } from './rules.js';
import { sameStatement } from './compare.js';
import { VOIDED, validateStatement } from './statement.js';
import type { Reader } from './request.js';

/** A statement as stored: the JSON an LRS returns, with id, stored, timestamp, authority and version. */
export type StoredStatement = Json & { id: string; stored: string };

/** A batch just stored: its transaction, tenant, statements and the LRS's public URL (for the LMS's agents). */
export interface StoredBatch {
  tx: CallerTransaction;
  tenantId: string;
  statements: readonly StoredStatement[];
  publicUrl: string;
}

/** Runs in the transaction that stored statements, after they are stored (content judges cmi5 AU statements). */
export type StatementsStoredHook = (batch: StoredBatch) => Promise<void>;

const hooks: StatementsStoredHook[] = [];

/** Registers a hook run after every batch of statements is stored, in the same transaction. */
export function onStatementsStored(hook: StatementsStoredHook): void {
  hooks.push(hook);
}

export interface StoreOptions {
  /** The app's public URL, which the hooks name the LMS by. */
  publicUrl: string;
  /** The xAPI version the client speaks (validation, the default `version`); 2.0.0 unless said. */
  version?: XapiVersion;
  /** Attachment contents by SHA-2 (from a multipart request), stored with the statements. */
  attachments?: ReadonlyMap<string, { contentType: string; content: Buffer }>;
  /** Runs the batch's INSERT in `tx` without Prisma (a lane's raw statements); else `tx.$queryRaw`. */
  run?: Reader;
}

/**
 * Validates and stores statements as POST /xapi/statements does, set-based (one INSERT per batch), in `tx` (a
 * transaction as a caller of `tenantId`): an invalid statement refuses the batch with 400 and nothing stored; an
 * id already stored with other content is a 409; one stored with the same content is skipped. Voids what
 * voiding statements target, then runs the `onStatementsStored` hooks. Returns the ids, in order.
 */
export async function storeStatements(
  tx: CallerTransaction,
  tenantId: string,
  statements: unknown[],
  authority: Json,
  options: StoreOptions,
): Promise<string[]> {
  const version = options.version ?? '2.0.0';
  const stored = new Date().toISOString();
  const batch = statements.map((value, index) => {
    try {
      return validateStatement(value, version);
    } catch (error) {
      if (error instanceof XapiError && statements.length > 1) throw invalid(`statements[${index}]: ${error.message}`);
      throw error;
    }
  });
  const ids = batch.map((statement) => ((statement.id as string | undefined) ?? randomUUID()).toLowerCase());
  if (new Set(ids).size !== ids.length) throw invalid('two statements of the batch have the same id');
  const forms = batch.map((statement, index) => storedForm(statement, ids[index]!, stored, authority, version));
  const inserted = forms.length ? await insertStatements(tx, tenantId, forms, options) : new Set<string>();
  // An id stored before is skipped when its content is the same, and refuses the batch (rolled back) when not.
  const skipped = ids.filter((id) => !inserted.has(id));
  if (skipped.length) {
    const existing = await tx.$queryRaw<{ id: string; statement: Json }[]>`
      SELECT id::text, statement FROM xapi_statements WHERE tenant_id = ${tenantId}::uuid AND id = ANY(${skipped}::uuid[])`;
    const known = new Map(existing.map((row) => [row.id, row.statement]));
    for (const id of skipped) {
      if (!sameStatement(known.get(id) ?? {}, batch[ids.indexOf(id)]!)) {
        throw conflict(`statement ${id} is already stored with other content`);
      }
    }
  }
  const fresh = forms.filter((form) => inserted.has(form.id));
  for (const hook of hooks) await hook({ tx, tenantId, statements: fresh, publicUrl: options.publicUrl });
  return ids;
}

/** A context's activities, each list an array (a single activity may be sent bare). */
function withActivityLists(part: Json): Json {
  const result = { ...part };
  const context = part.context as Json | undefined;
  const lists = context?.contextActivities as Json | undefined;
  if (lists) {
    const arrays = Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    result.context = { ...context, contextActivities: arrays };
  }
  const object = part.object as Json;
  if (object.objectType === 'SubStatement') result.object = withActivityLists(object);
  return result;
}

function storedForm(
  statement: Json,
  id: string,
  stored: string,
  authority: Json,
  version: XapiVersion,
): StoredStatement {
  const timestamp = statement.timestamp as string | undefined;
  return {
    ...withActivityLists(statement),
    id,
    // 2.0 keeps every timestamp in UTC.
    timestamp: timestamp === undefined ? stored : version === '2.0.0' ? utc(timestamp) : timestamp,
    stored,
    authority,
    version: (statement.version as string | undefined) ?? (version === '2.0.0' ? '2.0.0' : '1.0.0'),
  };
}

const utc = (timestamp: string) => (/[Zz]$/.test(timestamp) ? timestamp : new Date(timestamp).toISOString());

/** The filter keys of a statement (see the xapi_statements table). */
function filterRow(statement: StoredStatement) {
  const target = statement.object as Json;
  const targetType = (target.objectType as string | undefined) ?? 'Activity';
  const agents = new Set<string>();
  const activities = new Set<string>();
  const collect = (part: Json) => {
    const actor = part.actor as Json;
    agentKeys(actor).forEach((key) => agents.add(key));
    const object = part.object as Json;
    const type = (object.objectType as string | undefined) ?? 'Activity';
    if (type === 'Activity') activities.add(object.id as string);
    if (type === 'Agent' || type === 'Group') agentKeys(object).forEach((key) => agents.add(key));
    if (type === 'SubStatement') collect(object);
    const context = part.context as Json | undefined;
    if (!context) return;
    for (const key of ['instructor', 'team'] as const) {
      if (isObject(context[key])) agentKeys(context[key]).forEach((k) => agents.add(k));
    }
    for (const entry of [...((context.contextAgents as Json[]) ?? []), ...((context.contextGroups as Json[]) ?? [])]) {
      agentKeys((entry.agent ?? entry.group) as Json).forEach((key) => agents.add(key));
    }
    for (const list of Object.values((context.contextActivities as Json | undefined) ?? {})) {
      for (const activity of Array.isArray(list) ? list : [list]) activities.add((activity as Json).id as string);
    }
  };
  collect(statement);
  agentKeys(statement.authority as Json).forEach((key) => agents.add(key));
  const context = statement.context as Json | undefined;
  return {
    id: statement.id,
    statement,
    verb_id: (statement.verb as Json).id,
    actor_key: agentKey(statement.actor as Json),
    object_agent_key: targetType === 'Agent' || targetType === 'Group' ? agentKey(target) : null,
    object_activity_id: targetType === 'Activity' ? target.id : null,
    object_statement_id: targetType === 'StatementRef' ? target.id : null,
    registration: context?.registration ?? null,
    related_agents: [...agents],
    related_activities: [...activities],
  };
}

/**
 * Inserts the statements not stored yet and upserts the activities they name, in one statement (one round trip);
 * then voids what voiding statements target. Returns the ids inserted (those already stored are skipped).
 */
async function insertStatements(
  tx: CallerTransaction,
  tenantId: string,
  statements: StoredStatement[],
  { attachments, run = (statement) => tx.$queryRaw(statement) }: StoreOptions,
): Promise<Set<string>> {
  const rows = JSON.stringify(statements.map((statement, n) => ({ ...filterRow(statement), n })));
  const inserted = await run<{ id: string }>(Prisma.sql`
    WITH inserted AS (
      INSERT INTO xapi_statements (tenant_id, id, stored, statement, verb_id, actor_key, object_agent_key,
        object_activity_id, object_statement_id, registration, related_agents, related_activities)
      SELECT ${tenantId}::uuid, r.id, ${statements[0]!.stored}::timestamptz, r.statement, r.verb_id, r.actor_key,
        r.object_agent_key, r.object_activity_id, r.object_statement_id, r.registration, r.related_agents,
        r.related_activities
      FROM jsonb_to_recordset(${rows}::jsonb) AS r(id uuid, statement jsonb, verb_id text,
        actor_key text, object_agent_key text, object_activity_id text, object_statement_id uuid, registration uuid,
        related_agents text[], related_activities text[], n int)
      ORDER BY r.n
      ON CONFLICT (tenant_id, id) DO NOTHING
      RETURNING id
    ), ${activitiesUpsert(tenantId, statements)}
    SELECT id::text FROM inserted`);
  const ids = new Set(inserted.map((row) => row.id));
  const voided = statements
    .filter((statement) => ids.has(statement.id) && (statement.verb as Json).id === VOIDED)
    .map((statement) => (statement.object as Json).id as string);
  if (voided.length) {
    // A voiding statement cannot itself be voided.
    await tx.$executeRaw`
      UPDATE xapi_statements SET voided = true
      WHERE tenant_id = ${tenantId}::uuid AND id = ANY(${voided}::uuid[]) AND verb_id <> ${VOIDED}`;
  }
  if (attachments?.size) {
    const contents = [...attachments].map(([sha2, part]) => ({
      sha2,
      content_type: part.contentType,
      content: part.content.toString('base64'),
    }));
    await tx.$executeRaw`
      INSERT INTO xapi_attachments (tenant_id, sha2, content_type, content)
      SELECT ${tenantId}::uuid, a.sha2, a.content_type, decode(a.content, 'base64')
      FROM jsonb_to_recordset(${JSON.stringify(contents)}::jsonb) AS a(sha2 text, content_type text, content text)
      ON CONFLICT (tenant_id, sha2) DO NOTHING`;
  }
  return ids;
}

/**
 * The activities the statements name, their definitions merged (later statements win), as common table
 * expressions of the statement that inserts them: new ones inserted, known ones updated when their definition
 * changes; only those named by a statement it inserted (`inserted`), so a statement sent again changes nothing.
 */
function activitiesUpsert(tenantId: string, statements: StoredStatement[]): Prisma.Sql {
  const definitions = new Map<string, { definition: Json | null; by: Set<string> }>();
  let current = '';
  const visit = (activity: Json) => {
    const id = activity.id as string;
    const definition = activity.definition as Json | undefined;
    const before = definitions.get(id) ?? { definition: null, by: new Set<string>() };
    before.by.add(current);
    definitions.set(id, {
      definition: definition ? mergeDefinition(before.definition, definition) : before.definition,
      by: before.by,
    });
  };
  const walk = (part: Json) => {
    const object = part.object as Json;
    const type = (object.objectType as string | undefined) ?? 'Activity';
    if (type === 'Activity') visit(object);
    if (type === 'SubStatement') walk(object);
    const lists = ((part.context as Json | undefined)?.contextActivities as Json | undefined) ?? {};
    for (const list of Object.values(lists)) for (const a of Array.isArray(list) ? list : [list]) visit(a as Json);
  };
  for (const statement of statements) {
    current = statement.id;
    walk(statement);
  }
  const rows = JSON.stringify([...definitions].map(([id, { definition, by }]) => ({ id, definition, by: [...by] })));
  // Not one upsert: ON CONFLICT DO UPDATE locks the row even when nothing changes, and every batch naming the same
  // course would wait for the one before it to commit. A row is locked only when its definition changes.
  return Prisma.sql`
    named AS (
      SELECT a.id, a.definition FROM jsonb_to_recordset(${rows}::jsonb) AS a(id text, definition jsonb, "by" uuid[])
      WHERE EXISTS (SELECT 1 FROM inserted i WHERE i.id = ANY(a."by"))
    ), new_activities AS (
      INSERT INTO xapi_activities (tenant_id, id, definition)
      SELECT ${tenantId}::uuid, n.id, n.definition FROM named n
      ON CONFLICT (tenant_id, id) DO NOTHING
    ), changed_activities AS (
      UPDATE xapi_activities x SET definition = coalesce(x.definition, '{}'::jsonb) || n.definition
      FROM named n
      WHERE x.tenant_id = ${tenantId}::uuid AND x.id = n.id AND n.definition IS NOT NULL
        AND x.definition IS DISTINCT FROM coalesce(x.definition, '{}'::jsonb) || n.definition
    )`;
}

/** A definition's later fields win; its language maps merge by language. */
function mergeDefinition(before: Json | null, after: Json): Json {
  const merged: Json = { ...(before ?? {}) };
  for (const [key, value] of Object.entries(after)) {
    merged[key] =
      (key === 'name' || key === 'description') && isObject(merged[key])
        ? { ...merged[key], ...(value as Json) }
        : value;
  }
  return merged;
}
