import { createHash } from 'node:crypto';
import { HeaderMap, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';
import { sharedWritesContext, type CallerContext, type Context } from './caller/index.js';
import { badIdempotencyKey, ErrorCode, idempotencyKeyReused, refusalResponse, transactionConflict } from './errors.js';

/**
 * `Idempotency-Key` on a mutation: the request's writes and the response it got are recorded under the key in
 * one transaction, so the same request sent again (a phone retrying after a lost answer, an outbox replayed)
 * gets the first response with `extensions.replayed: true` and writes nothing more — on any instance, since
 * the key lives in PostgreSQL. Another request under a used key is refused (IDEMPOTENCY_KEY_REUSED). Keys
 * belong to one user of one tenant (RLS), and answer for `IDEMPOTENCY_KEY_DAYS`.
 *
 * The key's row is inserted first: a concurrent duplicate waits on it, then replays what the first committed
 * (or runs itself, if the first rolled back). A response carrying a retryable error (a transaction conflict,
 * an internal error) is not kept: its writes are rolled back and the key is free for the retry.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_KEY_DAYS = 7;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Codes after which the request is worth sending again: nothing is kept, the key stays free. */
const RETRYABLE_CODES = new Set<string>([ErrorCode.TRANSACTION_CONFLICT, ErrorCode.INTERNAL_SERVER_ERROR]);

/** The key a mutation request carries (undefined: none, or not a mutation); refused when it cannot be one. */
export function idempotencyKeyOf(request: HTTPGraphQLRequest): string | undefined {
  const key = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined || request.method !== 'POST') return undefined;
  if (!KEY_PATTERN.test(key)) throw badIdempotencyKey('1 to 255 printable ASCII characters, without spaces');
  const body = request.body as { query?: unknown; operationName?: unknown } | null | undefined;
  if (typeof body?.query !== 'string') {
    // A persisted query sent by hash alone: which operation it is is not known before it runs.
    throw badIdempotencyKey('send the query text with it (not a persisted query hash alone)');
  }
  try {
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const operation = getOperationAST(parse(body.query, { noLocation: true }), operationName);
    return operation?.operation === 'mutation' ? key : undefined;
  } catch {
    return undefined; // Apollo answers what does not parse
  }
}

/** Runs `execute` (Apollo, with the context it is given) once per key: the first time, or replays it. */
export async function executeIdempotently(
  key: string,
  request: HTTPGraphQLRequest,
  context: Context,
  execute: (context: Context) => Promise<HTTPGraphQLResponse>,
): Promise<HTTPGraphQLResponse> {
  if (!context.caller) return execute(context); // refused as anonymous: nothing to keep
  const { tenantId, userId } = context.caller;
  const { context: writing, writes } = sharedWritesContext(context as CallerContext);
  let committed = false;
  try {
    const tx = await writes.get();
    await tx.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE tenant_id = ${tenantId}::uuid AND user_id = ${userId}::uuid AND key = ${key}
        AND created_at < now() - make_interval(days => ${IDEMPOTENCY_KEY_DAYS})`;
    const claimed = await tx.$executeRaw`
      INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash)
      VALUES (${tenantId}::uuid, ${userId}::uuid, ${key}, ${requestHash(request)})
      ON CONFLICT DO NOTHING`;
    if (claimed === 0) {
      const [first] = await tx.$queryRaw<KeptResponse[]>`
        SELECT request_hash, status, response, content_type FROM idempotency_keys
        WHERE tenant_id = ${tenantId}::uuid AND user_id = ${userId}::uuid AND key = ${key}`;
      return first!.request_hash === requestHash(request) ? replay(first!) : refusalResponse(idempotencyKeyReused());
    }
    const response = await execute(writing);
    const kept = keepable(response);
    if (!kept) return response;
    await tx.$executeRaw`
      UPDATE idempotency_keys SET status = ${kept.status}, response = ${kept.body}, content_type = ${kept.contentType}
      WHERE tenant_id = ${tenantId}::uuid AND user_id = ${userId}::uuid AND key = ${key}`;
    committed = true;
    try {
      await writes.end(true);
    } catch (error) {
      context.log.warn({ err: error }, 'an idempotent mutation failed to commit (retryable)');
      return refusalResponse(transactionConflict());
    }
    return response;
  } finally {
    if (!committed) await writes.end(false).catch(() => undefined);
  }
}

interface KeptResponse {
  request_hash: string;
  status: number;
  response: string;
  content_type: string;
}

/** What is kept of a response: a complete one without a retryable error. */
function keepable(response: HTTPGraphQLResponse): { status: number; body: string; contentType: string } | undefined {
  if (response.body.kind !== 'complete') return undefined;
  const status = response.status ?? 200;
  if (status >= 500) return undefined;
  const { errors } = JSON.parse(response.body.string) as { errors?: { extensions?: { code?: unknown } }[] };
  if (errors?.some((error) => RETRYABLE_CODES.has(String(error.extensions?.code)))) return undefined;
  const contentType = response.headers.get('content-type') ?? 'application/json; charset=utf-8';
  return { status, body: response.body.string, contentType };
}

function replay(kept: KeptResponse): HTTPGraphQLResponse {
  const body = JSON.parse(kept.response) as { extensions?: Record<string, unknown> };
  body.extensions = { ...body.extensions, replayed: true };
  return {
    status: kept.status,
    headers: new HeaderMap([['content-type', kept.content_type]]),
    body: { kind: 'complete', string: JSON.stringify(body) },
  };
}

/** The request as sent (query, operation name, variables), hashed: object keys in sorted order. */
function requestHash(request: HTTPGraphQLRequest): string {
  const body = request.body as { query?: unknown; operationName?: unknown; variables?: unknown };
  const parts = { query: body.query, operationName: body.operationName ?? null, variables: body.variables ?? {} };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
