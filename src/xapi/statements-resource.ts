import { createHash } from 'node:crypto';
import { Prisma } from '../generated/prisma/client.js';
import { invalid } from './errors.js';
import { buildMultipart, boundaryOf, parseMultipart } from './multipart.js';
import { canonicalFormat, idsFormat, queryStatements } from './query.js';
import { header, type XapiReply, type XapiRequest } from './request.js';
import { isObject, type Json } from './rules.js';
import { checkLaunchScope } from './launch-scope.js';
import { checkSignature } from './signature.js';
import { storeStatements } from './store.js';

/** The Statement Resource: POST and PUT store (JSON or multipart/mixed with attachments), GET reads. */

type Attachments = Map<string, { contentType: string; content: Buffer }>;

/** The statements of a request's body and the attachments sent with them. */
function readBody(request: XapiRequest): { statements: unknown; attachments: Attachments } {
  const contentType = header(request, 'content-type') ?? '';
  const attachments: Attachments = new Map();
  let json: Buffer = request.body;
  if (/^multipart\/mixed/i.test(contentType)) {
    const [first, ...rest] = parseMultipart(request.body, boundaryOf(contentType));
    if (!first || !/^application\/json/i.test(first.headers['content-type'] ?? '')) {
      throw invalid('the first part of multipart/mixed is the statements, as application/json');
    }
    json = first.body;
    for (const part of rest) {
      const sha2 = part.headers['x-experience-api-hash'];
      if (!sha2) throw invalid('each attachment part needs X-Experience-API-Hash');
      const encoding = part.headers['content-transfer-encoding'];
      if (encoding !== undefined && encoding.toLowerCase() !== 'binary') {
        throw invalid('attachment parts use Content-Transfer-Encoding: binary');
      }
      const actual = createHash('sha256').update(part.body).digest('hex');
      if (actual !== sha2.toLowerCase()) throw invalid('an attachment does not match its X-Experience-API-Hash');
      attachments.set(sha2.toLowerCase(), {
        contentType: part.headers['content-type'] ?? 'application/octet-stream',
        content: part.body,
      });
    }
  } else if (!/^application\/json/i.test(contentType)) {
    throw invalid('send statements as application/json or multipart/mixed');
  }
  let statements: unknown;
  try {
    statements = JSON.parse(json.toString('utf8'));
  } catch {
    throw invalid('the body is not JSON');
  }
  return { statements, attachments };
}

/** Every attachment without a fileUrl came in a part, and every part belongs to an attachment. */
function matchAttachments(statements: unknown[], attachments: Attachments): void {
  const declared = new Set<string>();
  for (const statement of statements) {
    if (!isObject(statement)) continue;
    const lists = [statement.attachments, isObject(statement.object) ? statement.object.attachments : undefined];
    for (const list of lists) {
      if (!Array.isArray(list)) continue;
      for (const attachment of list) {
        if (!isObject(attachment) || typeof attachment.sha2 !== 'string') continue;
        const sha2 = attachment.sha2.toLowerCase();
        declared.add(sha2);
        if (attachment.fileUrl === undefined && !attachments.has(sha2)) {
          throw invalid(`attachment ${sha2} has no fileUrl and was not sent`);
        }
      }
    }
    checkSignature(statement, attachments);
  }
  for (const sha2 of attachments.keys()) {
    if (!declared.has(sha2)) throw invalid(`a part (${sha2}) matches no attachment of the statements`);
  }
}

export async function statementResource(request: XapiRequest): Promise<XapiReply> {
  const { method, params, tx, tenantId } = request;
  if (method === 'GET' || method === 'HEAD') return getStatements(request);
  if (method !== 'POST' && method !== 'PUT') throw invalid(`${method} is not a method of the statements resource`);
  const { statements, attachments } = readBody(request);
  const batch = method === 'POST' && Array.isArray(statements) ? statements : [statements];
  if (method === 'PUT') {
    for (const key of params.keys()) if (key !== 'statementId') throw invalid(`unknown parameter ${key}`);
    const id = params.get('statementId');
    if (id === null) throw invalid('PUT needs statementId');
    if (!isObject(statements)) throw invalid('PUT takes one statement');
    if (statements.id !== undefined && String(statements.id).toLowerCase() !== id.toLowerCase()) {
      throw invalid('the statement id differs from statementId');
    }
    batch[0] = { ...statements, id };
  } else if (params.size) throw invalid('POST takes no parameters');
  if (request.launch) checkLaunchScope(batch, request.launch);
  matchAttachments(batch, attachments);
  const ids = await storeStatements(tx, tenantId, batch, request.authority, {
    publicUrl: request.publicUrl,
    version: request.version,
    attachments,
    run: request.read,
  });
  return method === 'PUT' ? { status: 204 } : { status: 200, body: ids };
}

async function getStatements(request: XapiRequest): Promise<XapiReply> {
  const { read, tenantId } = request;
  const page = await queryStatements(read, tenantId, new URLSearchParams(request.params), (token) => {
    return `${request.url.pathname}?more=${token}`;
  });
  const languages = (header(request, 'accept-language') ?? '')
    .split(',')
    .map((tag) => tag.split(';')[0]!.trim())
    .filter((tag) => tag && tag !== '*');
  const statements = page.statements.map((statement) =>
    page.format === 'ids'
      ? idsFormat(statement)
      : page.format === 'canonical'
        ? canonicalFormat(statement, languages)
        : statement,
  );
  const body: Json | Json[] = page.single ? statements[0]! : { statements, more: page.more };
  const latest = page.statements.reduce((at, s) => (String(s.stored) > at ? String(s.stored) : at), '');
  const headers: Record<string, string> = {
    'x-experience-api-consistent-through': new Date().toISOString(),
    'last-modified': new Date(latest || Date.now()).toUTCString(),
  };
  if (!page.attachments) return { status: 200, headers: { ...headers, 'content-type': 'application/json' }, body };
  const hashes = new Set<string>();
  for (const statement of page.statements) {
    for (const list of [statement.attachments, (statement.object as Json).attachments]) {
      for (const attachment of (list as Json[] | undefined) ?? []) hashes.add(String(attachment.sha2).toLowerCase());
    }
  }
  const rows = await read<{ sha2: string; content_type: string; content: Buffer }>(Prisma.sql`
    SELECT sha2, content_type, content FROM xapi_attachments
    WHERE tenant_id = ${tenantId}::uuid AND sha2 = ANY(${[...hashes]})`);
  const multipart = buildMultipart(
    body,
    rows.map((row) => ({ sha2: row.sha2, contentType: row.content_type, content: Buffer.from(row.content) })),
  );
  return { status: 200, headers: { ...headers, 'content-type': multipart.contentType }, body: multipart.body };
}
