import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { Rule, type RuleParams } from './field-rules.js';

/**
 * The one catalogue of error codes clients see. Anything else thrown
 * in a resolver is masked as INTERNAL_SERVER_ERROR: no SQL, stack or other
 * tenant's ids ever reach a client.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The request itself is unusable (body, transport); Apollo uses the same code. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The document breaks a rule checked before execution (here: the query limits); Apollo's code too. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** A concurrent transaction won (deadlock, serialization failure): nothing was written; send it again. */
  TRANSACTION_CONFLICT: 'TRANSACTION_CONFLICT',
  /** Too many requests from this client address for a rate-limited lookup; HTTP 429 with Retry-After. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** The query text is not GraphQL, or too deeply nested or long to parse; Apollo's code too. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** No operation of the document matches `operationName` (or several and none named); Apollo's code too. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** A WebSocket already holds as many subscriptions as it may. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** A token already holds as many WebSockets as it may (the close reason of code 4429 starts with it). */
  TOO_MANY_SOCKETS: 'TOO_MANY_SOCKETS',
  /**
   * The server ended a live subscription it could not keep exact (the client fell too far behind, or its
   * events could not be delivered): the start of the reason of close code 4410. Subscribe again, refetch.
   */
  SUBSCRIPTION_DROPPED: 'SUBSCRIPTION_DROPPED',
  /** One live event's response is larger than one message may be; the subscription goes on. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The course completes only on evidence (a quiz, content, a practical evaluation), not on a reported result. */
  EVIDENCE_REQUIRED: 'EVIDENCE_REQUIRED',
  /** The quiz attempt is submitted or past its deadline: no answer is saved into it any more. */
  ATTEMPT_CLOSED: 'ATTEMPT_CLOSED',
  /** No attempt at the quiz is allowed now: none left, or not before `retryAfter` seconds (cooldown). */
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  /** An upload (or what a package expands to) over CONTENT_MAX_BYTES; HTTP 413. Nothing was stored. */
  CONTENT_TOO_LARGE: 'CONTENT_TOO_LARGE',
  /** An upload whose bytes are none of the allowed types (whatever its name says); HTTP 415. Nothing was stored. */
  UNSUPPORTED_CONTENT_TYPE: 'UNSUPPORTED_CONTENT_TYPE',
  /** This Idempotency-Key was already used (by this user) for a different request; use a new key. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/** An error meant for the client: its message and code are shown as they are. */
export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

/**
 * No token where one is needed: the response is HTTP 401 with `WWW-Authenticate: Bearer` (RFC 6750), as for a
 * bad token, whatever else it holds. Requests that need no token (`health`, `verifyCertificate`, the schema:
 * introspection and federation's `_service`) never raise it, so they answer 200 without one.
 */
export const unauthenticated = (message = 'Authentication required: send Authorization: Bearer <token>') =>
  new ApiError(ErrorCode.UNAUTHENTICATED, message, bearerChallenge(`realm="${REALM}"`));
/** A token that is present but unusable: HTTP 401, the challenge saying why (RFC 6750 `invalid_token`). */
export const invalidToken = (message: string) =>
  new ApiError(
    ErrorCode.UNAUTHENTICATED,
    message,
    bearerChallenge(`realm="${REALM}", error="invalid_token", error_description="${quoted(message)}"`),
  );
const REALM = 'safety-training-api';
const bearerChallenge = (parameters: string) => ({
  http: { status: 401, headers: new HeaderMap([['www-authenticate', `Bearer ${parameters}`]]) },
});
/** A header's quoted-string: printable ASCII only, quotes and backslashes escaped. */
const quoted = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&');
/** A query reading the schema (`__schema`, `__type`) where introspection is off: production's default. */
export const introspectionOff = () =>
  new ApiError(
    ErrorCode.GRAPHQL_VALIDATION_FAILED,
    'GraphQL introspection (__schema, __type) is off on this server, as by default in production; ' +
      'start the server with GRAPHQL_INTROSPECTION=1 to allow it',
  );
export const forbidden = (message = 'Your role is not allowed to do this') =>
  new ApiError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => new ApiError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string) => new ApiError(ErrorCode.CONFLICT, message);
/**
 * Work every request needs before it runs (recording the caller's profile) could not be done, usually
 * because the database is unreachable: HTTP 503 so clients and load balancers retry, code unchanged.
 */
export const temporarilyUnavailable = () =>
  new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, 'The service is temporarily unavailable; retry shortly', {
    http: { status: 503 },
  });
/**
 * PostgreSQL aborted the transaction because a concurrent one held the locks it needed (deadlock) or
 * could not be serialised against it. Everything the transaction did was rolled back, so the client
 * may simply send the same request again: `retryable: true` says so.
 */
export const transactionConflict = () =>
  new ApiError(
    ErrorCode.TRANSACTION_CONFLICT,
    'A concurrent request changed the same rows and this one was rolled back; nothing was written. Retry it.',
    { retryable: true },
  );
/** The Idempotency-Key of an earlier request with another body: HTTP 422, nothing runs. */
export const idempotencyKeyReused = () =>
  new ApiError(
    ErrorCode.IDEMPOTENCY_KEY_REUSED,
    'This Idempotency-Key was already used for a different request; send a new key for a new request',
    { http: { status: 422 } },
  );
/** An Idempotency-Key header that cannot be one (empty, too long, not printable ASCII): HTTP 400. */
export const badIdempotencyKey = (message: string) =>
  new ApiError(ErrorCode.BAD_REQUEST, `Idempotency-Key: ${message}`, { http: { status: 400 } });
/**
 * `field` is the argument path the client sent, e.g. `input.score`; `rule` and `params` say what is wrong in a
 * form a client translates (src/core/field-rules.ts), `message` in English.
 */
export const badInput = (field: string, message: string, rule: string, params: RuleParams = {}) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field, rule, params });

/** One invalid field of an input: its argument path, what is wrong with it, and that as a rule and parameters. */
export interface FieldProblem {
  field: string;
  message: string;
  rule: string;
  params: RuleParams;
}
/**
 * Every invalid field of one input at once: each in `fields`, the first also in `field` (as `badInput` has it),
 * the message listing them all.
 */
export const badInputs = (problems: readonly [FieldProblem, ...FieldProblem[]]) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '), {
    field: problems[0].field,
    fields: problems,
  });

/** `field` names an id the client sent that matches nothing in the tenant (`what`: the kind of thing sought). */
export const unknownAt = (field: string, message: string, what: string) =>
  new ApiError(ErrorCode.NOT_FOUND, `${field}: ${message}`, { field, rule: Rule.notFound, params: { what } });
/**
 * A scalar value that does not parse. No `field`: a scalar does not know which argument it is
 * parsing; graphql-js wraps this error with the variable's path, from which the formatter names it.
 */
export const badScalarValue = (message: string, rule: string) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, message, { rule, params: {} });
/** A query over a limit of src/core/limits.ts (size, depth, aliases, cost…): refused before anything runs, HTTP 400. */
export const queryLimitExceeded = (message: string) =>
  new ApiError(ErrorCode.GRAPHQL_VALIDATION_FAILED, message, { http: { status: 400 } });
/** A fragment that spreads itself, directly or through others: refused before anything walks the loop. */
export const fragmentSpreadsItself = (name: string) =>
  new ApiError(ErrorCode.GRAPHQL_VALIDATION_FAILED, `Cannot spread fragment "${name}" within itself`, {
    http: { status: 400 },
  });
/** Query text nested past the limit, refused before the parser recurses into it. */
export const queryTooNested = (message: string) =>
  new ApiError(ErrorCode.GRAPHQL_PARSE_FAILED, message, { http: { status: 400 } });
/** An `_entities` representation that is not `{ __typename, id: "<uuid>" }`; refused before anything loads. */
export const badRepresentation = (field: string, message: string, rule: string) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field, rule, params: {}, http: { status: 400 } });
/** An `after`/`before` cursor this API did not write. */
export const badCursor = (field: string) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, `${field}: not a cursor of this list; use a pageInfo cursor`, {
    field,
    rule: Rule.cursor,
    params: {},
    http: { status: 400 },
  });
/** An automatic persisted query whose sha256Hash is not the hash of the query sent with it. */
export const persistedQueryHashMismatch = () =>
  new ApiError(ErrorCode.BAD_REQUEST, 'provided sha does not match query', { http: { status: 400 } });
export const unknownOperation = (name: string | null | undefined) =>
  new ApiError(
    ErrorCode.OPERATION_RESOLUTION_FAILURE,
    name ? `Unknown operation named "${name}"` : 'Must provide operation name if query contains multiple operations',
  );
/** An internal failure while setting up an operation over WebSocket, masked. */
export const subscriptionFailed = () => new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, INTERNAL_ERROR_MESSAGE);
export const notASubscription = () =>
  new ApiError(
    ErrorCode.BAD_REQUEST,
    'Only subscriptions are served over WebSocket: send queries and mutations over HTTP',
  );
export const invalidQuery = () => new ApiError(ErrorCode.BAD_REQUEST, 'Invalid query');

/**
 * A live subscription the server ended rather than leave it with a gap: its connection is closed with
 * 4410 and this message as the reason (at most 123 bytes), which graphql-ws clients retry.
 */
export const subscriptionDropped = (why: string) =>
  new ApiError(
    ErrorCode.SUBSCRIPTION_DROPPED,
    `${ErrorCode.SUBSCRIPTION_DROPPED}: ${why}. Subscribe again and refetch what you missed.`,
  );
/** One live event whose response (`bytes`) exceeds `limit`: this event only; ask for fewer or smaller fields. */
export const messageTooLarge = (bytes: number, limit: number) =>
  new ApiError(
    ErrorCode.MESSAGE_TOO_LARGE,
    `This event's response is ${bytes} bytes, over the ${limit}-byte limit of one live message: select fewer or smaller fields and refetch it`,
    { limit },
  );

/** The assignee reporting a result of a course that takes evidence: nothing is written. */
export const evidenceRequired = (requirements: string[]) =>
  new ApiError(
    ErrorCode.EVIDENCE_REQUIRED,
    `This course is completed by its evidence (${requirements.join(', ')}), not by a reported result`,
    { requirements },
  );
/** A save into, or submission of, an attempt that is no longer open. */
export const attemptClosed = (why: 'submitted' | 'deadline passed') =>
  new ApiError(ErrorCode.ATTEMPT_CLOSED, `This quiz attempt is closed (${why}): start a new attempt if one is allowed`);
/** No further attempt: `retryAfterSeconds` null when none is left at all. */
export const tooManyAttempts = (retryAfterSeconds: number | null) =>
  new ApiError(
    ErrorCode.TOO_MANY_ATTEMPTS,
    retryAfterSeconds === null
      ? 'No attempt at this quiz is left'
      : `The next attempt at this quiz may start in ${retryAfterSeconds} s`,
    retryAfterSeconds === null ? {} : { retryAfter: retryAfterSeconds },
  );

/** An upload or package past the content size limit. */
export const contentTooLarge = (maxBytes: number, what = 'The upload') =>
  new ApiError(
    ErrorCode.CONTENT_TOO_LARGE,
    `${what} is larger than the limit of ${maxBytes} bytes (CONTENT_MAX_BYTES)`,
    {
      limit: maxBytes,
      http: { status: 413 },
    },
  );
/** An upload sniffed to be none of `allowed` (its name and declared type are not trusted). */
export const unsupportedContentType = (allowed: readonly string[]) =>
  new ApiError(
    ErrorCode.UNSUPPORTED_CONTENT_TYPE,
    `The file's bytes are not of an allowed type: ${allowed.join(', ')}`,
    {
      allowed,
      http: { status: 415 },
    },
  );

/** A client address over its lookup limit: HTTP 429 with Retry-After (seconds), also in `extensions.retryAfter`. */
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(ErrorCode.TOO_MANY_REQUESTS, `Too many lookups from this address; retry in ${retryAfterSeconds} s`, {
    retryAfter: retryAfterSeconds,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
  });
/** One subscription more than a socket may hold: that subscription is refused, the others go on. */
export const tooManySubscriptions = (limit: number) =>
  new ApiError(
    ErrorCode.TOO_MANY_SUBSCRIPTIONS,
    `This connection already has ${limit} subscriptions: complete one before starting another`,
    { limit },
  );
/** One socket more than a token may hold: the new socket is closed (4429) with this as its reason. */
export const tooManySockets = (limit: number) =>
  new ApiError(
    ErrorCode.TOO_MANY_SOCKETS,
    `${ErrorCode.TOO_MANY_SOCKETS}: this token already has ${limit} open connections`,
    { limit },
  );

/** Refusals of an HTTP request before GraphQL runs; `errorBody` writes them as a GraphQL response. */
export const malformedJson = () =>
  new ApiError(ErrorCode.BAD_REQUEST, 'Malformed JSON body', { http: { status: 400 } });
export const bodyTooLarge = (maxBytes: number) =>
  new ApiError(ErrorCode.BAD_REQUEST, `Request body larger than ${maxBytes} bytes`, { http: { status: 413 } });
/** Request line and headers over Node's limit (usually an oversized token): HTTP 431. */
export const headersTooLarge = (maxBytes: number) =>
  new ApiError(ErrorCode.BAD_REQUEST, `Request headers larger than ${maxBytes} bytes (is the token that large?)`, {
    http: { status: 431 },
  });
/** An HTTP request Node's parser cannot read at all. */
export const badHttpRequest = () =>
  new ApiError(ErrorCode.BAD_REQUEST, 'Malformed HTTP request', { http: { status: 400 } });
/** An HTTP method the endpoint does not serve: HTTP 405 (with Allow). */
export const methodNotAllowed = (allow: string) =>
  new ApiError(ErrorCode.BAD_REQUEST, `Use ${allow}`, { http: { status: 405 } });
/** A browser page on an origin that CORS_ORIGINS does not list asked (preflight) to call the API. */
export const originNotAllowed = (origin: string) =>
  new ApiError(ErrorCode.FORBIDDEN, `Origin ${origin} may not call this API (see CORS_ORIGINS)`, {
    http: { status: 403 },
  });
export const internalError = () =>
  new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, INTERNAL_ERROR_MESSAGE, { http: { status: 500 } });

/** The HTTP status and JSON body of an error answered outside GraphQL execution. */
export function errorResponse(error: ApiError): { status: number; body: { errors: GraphQLFormattedError[] } } {
  const { http, ...extensions } = error.extensions as { http?: { status?: number } };
  return { status: http?.status ?? 400, body: { errors: [{ message: error.message, extensions }] } };
}

/** `errorResponse` as Apollo's HTTP response, for a request refused before Apollo runs it. */
export function refusalResponse(error: ApiError) {
  const { status, body } = errorResponse(error);
  return {
    status,
    headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
    body: { kind: 'complete' as const, string: JSON.stringify(body) },
  };
}
