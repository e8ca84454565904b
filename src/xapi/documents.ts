import { createHash } from 'node:crypto';
import type { CallerTransaction } from '../core/caller/index.js';
import { agentKey, agentParameter } from './agents.js';
import { conflict, invalid, notFound, preconditionFailed } from './errors.js';
import { header, type XapiReply, type XapiRequest } from './request.js';
import { isObject, iri, timestamp, uuid, type Json } from './rules.js';

/** Documents: state, activity profiles and agent profiles, with ETag concurrency. */

export type DocumentKind = 'state' | 'activityProfile' | 'agentProfile';
export const KIND_COLUMN: Record<DocumentKind, string> = {
  state: 'state',
  activityProfile: 'activity_profile',
  agentProfile: 'agent_profile',
};

/** Where a document lives; a key part that does not apply to the kind is left out. */
export interface DocumentKey {
  kind: DocumentKind;
  activityId?: string;
  agent?: Json;
  registration?: string;
  /** stateId or profileId. */
  documentId: string;
}

export interface DocumentWrite extends DocumentKey {
  content: Buffer | string;
  contentType: string;
}

export interface WriteConditions {
  /** POST: merge JSON objects into the stored one. */
  merge?: boolean;
  ifMatch?: string;
  ifNoneMatch?: string;
  /** Refuse (409) to overwrite a document when neither If-Match nor If-None-Match was sent. */
  requireCondition?: boolean;
}

interface StoredDocument {
  content: Buffer;
  content_type: string;
  etag: string;
  updated_at: Date;
}

const keyColumns = (key: Omit<DocumentKey, 'documentId'>) => ({
  kind: KIND_COLUMN[key.kind],
  activity: key.activityId ?? '',
  agent: key.agent ? agentKey(key.agent) : '',
  registration: key.registration?.toLowerCase() ?? '',
});

async function readDocument(tx: CallerTransaction, tenantId: string, key: DocumentKey) {
  const k = keyColumns(key);
  const [row] = await tx.$queryRaw<StoredDocument[]>`
    SELECT content, content_type, etag, updated_at FROM xapi_documents
    WHERE tenant_id = ${tenantId}::uuid AND kind = ${k.kind} AND activity_id = ${k.activity}
      AND agent_key = ${k.agent} AND registration = ${k.registration} AND document_id = ${key.documentId}
    FOR UPDATE`;
  return row && { ...row, content: Buffer.from(row.content) };
}

function checkConditions(existing: StoredDocument | undefined, conditions: WriteConditions): void {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined && (!existing || !etagMatches(ifMatch, existing.etag))) {
    throw preconditionFailed('If-Match does not match the document');
  }
  if (
    ifNoneMatch !== undefined &&
    existing &&
    (ifNoneMatch.trim() === '*' || etagMatches(ifNoneMatch, existing.etag))
  ) {
    throw preconditionFailed('If-None-Match: the document exists');
  }
  if (conditions.requireCondition && existing && ifMatch === undefined && ifNoneMatch === undefined) {
    throw conflict('The document exists: send If-Match with its ETag (or If-None-Match: *) to change it');
  }
}

const etagMatches = (header: string, etag: string) =>
  header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);

const isJson = (contentType: string) => /^application\/json\b/i.test(contentType);

function parseObject(content: Buffer, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    throw invalid(`${what} is not JSON`);
  }
  if (!isObject(value)) throw invalid(`${what} is not a JSON object`);
  return value;
}

/**
 * Stores a document (PUT), or merges a JSON object into the stored one (POST, `merge`), in `tx` as a caller of
 * `tenantId`; 412/409 per the conditions. Returns the new ETag. The LMS writes cmi5's LMS.LaunchData with it.
 */
export async function putDocument(
  tx: CallerTransaction,
  tenantId: string,
  document: DocumentWrite,
  conditions: WriteConditions = {},
): Promise<string> {
  const existing = await readDocument(tx, tenantId, document);
  checkConditions(existing, conditions);
  let content = Buffer.isBuffer(document.content) ? document.content : Buffer.from(document.content);
  let contentType = document.contentType;
  if (conditions.merge && existing) {
    if (!isJson(existing.content_type) || !isJson(contentType)) {
      throw invalid('POST merges JSON objects only: the stored document or this one is not JSON');
    }
    const merged = { ...parseObject(existing.content, 'the stored document'), ...parseObject(content, 'the body') };
    content = Buffer.from(JSON.stringify(merged));
    contentType = 'application/json';
  } else if (conditions.merge && isJson(contentType)) {
    parseObject(content, 'the body');
  }
  const etag = `"${createHash('sha1').update(content).digest('hex')}"`;
  const k = keyColumns(document);
  await tx.$executeRaw`
    INSERT INTO xapi_documents (tenant_id, kind, activity_id, agent_key, registration, document_id, content,
      content_type, etag, updated_at)
    VALUES (${tenantId}::uuid, ${k.kind}, ${k.activity}, ${k.agent}, ${k.registration}, ${document.documentId},
      ${content}, ${contentType}, ${etag}, now())
    ON CONFLICT (tenant_id, kind, activity_id, agent_key, registration, document_id)
    DO UPDATE SET content = EXCLUDED.content, content_type = EXCLUDED.content_type, etag = EXCLUDED.etag,
      updated_at = EXCLUDED.updated_at`;
  return etag;
}

/** The key a request names, from its query parameters; `documentId` is '' when the request names none. */
function requestKey(request: XapiRequest, kind: DocumentKind): DocumentKey {
  const { params } = request;
  const idParam = kind === 'state' ? 'stateId' : 'profileId';
  const allowed =
    kind === 'state'
      ? ['activityId', 'agent', 'registration', 'stateId', 'since']
      : kind === 'activityProfile'
        ? ['activityId', 'profileId', 'since']
        : ['agent', 'profileId', 'since'];
  for (const name of params.keys()) if (!allowed.includes(name)) throw invalid(`unknown parameter ${name}`);
  const key: DocumentKey = { kind, documentId: params.get(idParam) ?? '' };
  if (kind !== 'agentProfile') {
    const activityId = params.get('activityId');
    if (activityId === null) throw invalid('activityId is required');
    key.activityId = iri('activityId', activityId);
  }
  if (kind !== 'activityProfile') key.agent = agentParameter('agent', params.get('agent'), true);
  const registration = params.get('registration');
  if (registration !== null) key.registration = uuid('registration', registration);
  return key;
}

/** GET, HEAD, PUT, POST and DELETE of one of the document resources. */
export async function documentResource(request: XapiRequest, kind: DocumentKind): Promise<XapiReply> {
  const { tx, tenantId, method, params } = request;
  const key = requestKey(request, kind);
  const idParam = kind === 'state' ? 'stateId' : 'profileId';
  const single = params.has(idParam);
  if (method === 'PUT' || method === 'POST') {
    if (!single) throw invalid(`${idParam} is required`);
    if (params.has('since')) throw invalid('since is only for GET');
    const ifMatch = header(request, 'if-match');
    const ifNoneMatch = header(request, 'if-none-match');
    // 1.0.3 asks a profile's PUT to say what it expects (If-Match or If-None-Match) even for a new document.
    if (method === 'PUT' && kind !== 'state' && request.version === '1.0.3' && !ifMatch && !ifNoneMatch) {
      const existing = await readDocument(tx, tenantId, key);
      if (!existing) throw invalid('send If-None-Match: * to create a profile, or If-Match to change one');
    }
    const contentType = header(request, 'content-type') ?? 'application/octet-stream';
    const etag = await putDocument(
      tx,
      tenantId,
      { ...key, content: request.body, contentType },
      {
        merge: method === 'POST',
        ifMatch,
        ifNoneMatch,
        requireCondition: method === 'PUT' && (kind !== 'state' || request.version === '2.0.0'),
      },
    );
    return { status: 204, headers: { etag } };
  }
  const k = keyColumns(key);
  if (method === 'DELETE') {
    if (single) {
      const existing = await readDocument(tx, tenantId, key);
      checkConditions(existing, { ifMatch: header(request, 'if-match') });
    } else if (kind !== 'state') throw invalid(`${idParam} is required`);
    await tx.$executeRaw`
      DELETE FROM xapi_documents
      WHERE tenant_id = ${tenantId}::uuid AND kind = ${k.kind} AND activity_id = ${k.activity}
        AND agent_key = ${k.agent} AND (${!single && key.registration === undefined} OR registration = ${k.registration})
        AND (${!single} OR document_id = ${key.documentId})`;
    return { status: 204 };
  }
  if (single) {
    if (params.has('since')) throw invalid('since is only for a list of ids');
    const document = await readDocument(tx, tenantId, key);
    if (!document) throw notFound('no such document');
    return {
      status: 200,
      headers: {
        'content-type': document.content_type,
        etag: document.etag,
        'last-modified': document.updated_at.toUTCString(),
      },
      body: document.content,
    };
  }
  const sinceText = params.get('since');
  const since = sinceText === null ? new Date(0) : timestamp('since', sinceText);
  const rows = await tx.$queryRaw<{ document_id: string; updated_at: Date }[]>`
    SELECT document_id, updated_at FROM xapi_documents
    WHERE tenant_id = ${tenantId}::uuid AND kind = ${k.kind} AND activity_id = ${k.activity}
      AND agent_key = ${k.agent} AND (${key.registration === undefined} OR registration = ${k.registration})
      AND updated_at > ${since}
    ORDER BY document_id`;
  const latest = rows.reduce((at, row) => (row.updated_at > at ? row.updated_at : at), new Date(0));
  const body = JSON.stringify(rows.map((row) => row.document_id));
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      etag: `"${createHash('sha1').update(body).digest('hex')}"`,
      ...(rows.length ? { 'last-modified': latest.toUTCString() } : {}),
    },
    body,
  };
}
