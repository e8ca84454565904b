import type { Server } from 'node:http';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, type Disposable, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken } from './auth.js';
import { requestContext, type AppServices, type Context } from './caller/index.js';
import {
  ApiError,
  ErrorCode,
  notASubscription,
  subscriptionFailed,
  unauthenticated,
  unknownOperation,
} from './errors.js';
import { checkDocument } from './document-shape.js';
import { checkOperation, checkQueryText, parseOptionsOf, type QueryLimits } from './limits.js';
import { subscribeWithPreshaped, type FormatError, type Outlet } from './live-events/index.js';
import { RequestLog, type Logger } from './logger.js';
import type { Metrics } from './telemetry/metrics.js';
import { subscriptionCapError, TokenSockets, type SocketCaps } from './ws-caps.js';

/**
 * GraphQL over WebSocket (graphql-ws protocol) on the HTTP server's own port and
 * path. The token travels in `connectionParams` (`{ authorization: "Bearer …" }`)
 * and is checked once, on connect.
 *
 * A refused connection is closed with 4403 Forbidden — graphql-ws's code for a
 * refused `connection_init`, which its client treats as retryable, so an app
 * that builds `connectionParams` from a refreshed token recovers by itself —
 * and the close reason says why (missing, invalid or expired token). A socket
 * whose token expires is closed the same way at that moment: a subscription
 * never outlives the credentials it was opened with.
 *
 * Only subscriptions are served here: queries and mutations go over HTTP.
 * Subscriptions get the same query limits as HTTP requests (src/core/limits.ts:
 * text nesting and tokens before parsing, the document's shape — selections, depth,
 * aliases — before validation, cost and arguments before anything runs), and every
 * error sent carries `extensions.code`, as over HTTP. Live
 * payloads arrive serialized once for all their subscribers and are written as
 * they are (`outlet`); a subscription the server drops closes its socket with
 * 4410 and a SUBSCRIPTION_DROPPED reason, which graphql-ws clients retry.
 */

export interface WebSocketOptions {
  server: Server;
  path: string;
  schema: GraphQLSchema;
  services: AppServices;
  logger: Logger;
  /** Largest message accepted from a client (bytes). */
  maxPayload: number;
  /** The query limits (the same as over HTTP). */
  limits: QueryLimits;
  /** The app's error formatter (masks and logs what is not meant for the client). */
  formatError: FormatError;
  /** Subscriptions per socket and sockets per token (ws-caps.ts). */
  caps: SocketCaps;
  /** Counts each operation as over HTTP: by type and (known) name, from subscribe to its start, and its errors. */
  metrics?: Metrics;
}

/**
 * WebSocket's "Try Again Later", for a connection the server could not set up
 * (e.g. the database is saturated by a reconnect storm): unlike 4500, graphql-ws
 * clients retry it with their backoff.
 */
const TRY_AGAIN_LATER = 1013;

/**
 * The server ended a subscription rather than leave it with a gap (the client fell
 * too far behind, or its events could not be delivered): the reason starts with
 * SUBSCRIPTION_DROPPED. graphql-ws clients reconnect and resubscribe; the app refetches.
 */
const SUBSCRIPTION_DROPPED_CLOSE_CODE = 4410;

/** The end of every `next` message written from a preshaped payload. */
const MESSAGE_END = Buffer.from('}');

/** Longest delay setTimeout honours (~24.8 days); longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function serveWebSockets(options: WebSocketOptions): Disposable {
  const { services, logger, limits, formatError, metrics } = options;
  // Each operation's log lines (its own trace id), by its payload: graphql-ws hands every hook the same object.
  const operationLogs = new WeakMap<SubscribePayload, RequestLog>();
  // Every error sent (a refusal, or in a payload) passes here once: counted by code, as over HTTP; a masked one
  // is logged to its operation.
  const format = (errors: readonly GraphQLError[], payload: SubscribePayload) => {
    for (const error of errors) metrics?.graphqlError(error.extensions?.code);
    const log = operationLogs.get(payload);
    return errors.map((error) => formatError(error.toJSON(), error, log));
  };
  // When each operation of a socket was subscribed, by the socket's extra and the operation's id.
  const subscribedAt = new WeakMap<object, Map<string, number>>();
  const operationDone = (extra: object, id: string, type: string, name: string | null | undefined) => {
    const started = subscribedAt.get(extra)?.get(id);
    subscribedAt.get(extra)?.delete(id);
    if (started !== undefined) metrics?.graphqlOperation(type, name, (performance.now() - started) / 1000);
  };
  /** An operation refused before it ran is counted too (its errors by `format`, through onError). */
  const refused = (
    extra: object,
    id: string,
    type: string,
    name: string | null | undefined,
    errors: GraphQLError[],
  ) => {
    operationDone(extra, id, type, name);
    return errors;
  };
  // Upgrades are taken from the HTTP server by hand (`noServer`), not by handing ws the server: ws would
  // re-emit the HTTP server's own errors (a port in use at start) as WebSocket errors, logged as such.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  options.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const tokenSockets = new TokenSockets(options.caps.maxSocketsPerToken);
  const documents = new DocumentCache(options.schema, limits);

  return useServer<Record<string, unknown>, { context?: Context }>(
    {
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const log = new RequestLog(logger, undefined, ctx.extra.request.headers.traceparent);
        try {
          if (typeof authorization !== 'string') throw unauthenticated();
          const context = await requestContext(services, authorization, log);
          if (!context.caller) throw unauthenticated();
          if (!tokenSockets.admit(authorization, socket)) return false; // closed with 4429 TOO_MANY_SOCKETS
          ctx.extra.context = context;
          closeWhenTokenExpires(socket, authorization);
          return true;
        } catch (error) {
          // A retryable refusal (TRANSACTION_CONFLICT while recording the profile) is "try again", not 4403.
          if (
            error instanceof ApiError &&
            error.extensions.code !== ErrorCode.INTERNAL_SERVER_ERROR &&
            !error.extensions.retryable
          ) {
            socket.close(CloseCode.Forbidden, error.message.length < 124 ? error.message : 'Forbidden');
          } else {
            log.error({ err: error }, 'websocket connection failed');
            socket.close(TRY_AGAIN_LATER, 'Try again later');
          }
          return false; // the socket is already closing; graphql-ws's own close is then a no-op
        }
      },
      // A syntax or validation error answers that one operation instead of closing the socket.
      // The cost (and cursors) need the variables, so they are checked per subscription, before it starts.
      onSubscribe: (ctx, id, payload) => {
        const log = new RequestLog(logger);
        operationLogs.set(payload, log);
        if (metrics) subscribedAt.set(ctx.extra, (subscribedAt.get(ctx.extra) ?? new Map()).set(id, performance.now()));
        const name = payload.operationName;
        const capped = subscriptionCapError(ctx.subscriptions, options.caps.maxSubscriptionsPerSocket);
        if (capped) return refused(ctx.extra, id, 'subscription', name, capped);
        try {
          const document = documents.get(payload.query);
          if (Array.isArray(document)) return refused(ctx.extra, id, 'unknown', name, [...document]);
          const parsed = document as DocumentNode;
          const operation = getOperationAST(parsed, payload.operationName);
          if (!operation) return refused(ctx.extra, id, 'unknown', name, [unknownOperation(payload.operationName)]);
          const type = operation.operation;
          if (type !== 'subscription') return refused(ctx.extra, id, type, operation.name?.value, [notASubscription()]);
          checkOperation(options.schema, parsed, operation, payload.variables ?? {}, limits);
          return {
            schema: options.schema,
            document: parsed,
            operationName: payload.operationName,
            variableValues: payload.variables,
          };
        } catch (error) {
          if (error instanceof ApiError) return refused(ctx.extra, id, 'subscription', name, [error]);
          log.error({ err: error }, 'websocket subscribe failed');
          return refused(ctx.extra, id, 'subscription', name, [subscriptionFailed()]);
        }
      },
      // Started (or answered at once with errors, which onNext/onError count): its time from subscribe to here.
      onOperation: (ctx, id, _payload, args) => {
        const operation = getOperationAST(args.document, args.operationName);
        operationDone(ctx.extra, id, operation?.operation ?? 'unknown', operation?.name?.value);
      },
      // Live payloads arrive serialized once for all their subscribers: no execution nor JSON per subscriber.
      subscribe: (args) => subscribeWithPreshaped(args, (args.contextValue as OutletContext)[OUTLET]),
      // One context per operation: per-request caches (Pothos, loaders) must not be
      // shared by the several subscriptions a socket may carry.
      context: (ctx, id, payload) =>
        ({
          ...ctx.extra.context,
          log: operationLogs.get(payload),
          [OUTLET]: outlet(ctx.extra.socket, id),
        }) as unknown as Record<string, unknown>,
      // The same masking as over HTTP: client errors pass, anything else is logged and hidden.
      onNext: (_ctx, _id, payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors, payload) } : undefined,
      onError: (_ctx, _id, payload, errors) => format(errors, payload),
    },
    sockets,
  );
}

/** Where a subscription's preshaped events go, kept on its context (a symbol key: no resolver sees it). */
const OUTLET = Symbol('outlet');
type OutletContext = Context & { [OUTLET]: Outlet };

/**
 * Writes preshaped events as graphql-ws `next` messages: the subscription's own
 * prefix and the shared payload bytes, copied once, no JSON per subscriber.
 * Resolves once the socket took the message, so a stalled client stops pulling
 * from its feed (which then drops it, feed.ts) instead of buffering here.
 */
function outlet(socket: WebSocket, id: string): Outlet {
  const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  return {
    send: (event) =>
      new Promise((resolve) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        // A failed write means a closing socket: graphql-ws ends its subscriptions on close.
        socket.send(Buffer.concat([prefix, event.payload, MESSAGE_END]), { binary: false }, () => resolve());
      }),
    // A close reason may hold 123 bytes: ours fit, the code alone is the fallback.
    drop: (reason) =>
      socket.close(
        SUBSCRIPTION_DROPPED_CLOSE_CODE,
        Buffer.byteLength(reason) <= 123 ? reason : ErrorCode.SUBSCRIPTION_DROPPED,
      ),
  };
}

function closeWhenTokenExpires(socket: WebSocket, authorization: string): void {
  const { exp } = decodeJwt(bearerToken(authorization)!);
  if (typeof exp !== 'number') return;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const remaining = exp * 1000 - Date.now();
    if (remaining <= 0) return socket.close(CloseCode.Forbidden, 'Token expired');
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMEOUT_MS));
    timer.unref();
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}

/** Longest query text kept in the cache; longer ones are parsed every time. */
const MAX_CACHED_QUERY_LENGTH = 20_000;

/**
 * Parsed and validated documents by query text, least recently used evicted.
 * Thousands of clients send the same few subscriptions, and each parsed copy of
 * the app's subscription costs ~30 KiB: shared, it costs that once.
 */
class DocumentCache {
  private readonly entries = new Map<string, DocumentNode | readonly GraphQLError[]>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: QueryLimits,
    private readonly capacity = 500,
  ) {}

  get(query: string): DocumentNode | readonly GraphQLError[] {
    const cached = this.entries.get(query);
    if (cached) {
      this.entries.delete(query);
      this.entries.set(query, cached);
      return cached;
    }
    let result: DocumentNode | readonly GraphQLError[];
    try {
      checkQueryText(query, this.limits);
      const document = parse(query, parseOptionsOf(this.limits));
      checkDocument(document, this.limits);
      const errors = validate(this.schema, document, specifiedRules);
      result = errors.length ? errors.map((error) => coded(error, ErrorCode.GRAPHQL_VALIDATION_FAILED)) : document;
    } catch (error) {
      if (error instanceof ApiError) result = [error];
      else if (error instanceof GraphQLError) result = [coded(error, ErrorCode.GRAPHQL_PARSE_FAILED)];
      else throw error;
    }
    if (query.length <= MAX_CACHED_QUERY_LENGTH) {
      this.entries.set(query, result);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return result;
  }
}

/** `error` with `code` unless it has one already (graphql-js' own errors carry none). */
function coded(error: GraphQLError, code: ErrorCode): GraphQLError {
  if (typeof error.extensions.code === 'string') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
