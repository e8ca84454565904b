import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { getOperationAST, GraphQLError, parse, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Disposable } from 'graphql-ws';
import type { Config } from './config.js';
import { requestContext, queryReadsShareOneTransaction, type AppServices, type Context } from './caller/index.js';
import { ApiError, introspectionOff, refusalResponse } from './errors.js';
import { createErrorFormatter, errorsLoggedToTheirRequest } from './error-masking.js';
import { executeIdempotently, idempotencyKeyOf } from './idempotency.js';
import type { GraphQLExecutor } from './http.js';
import { RequestLog } from './logger.js';
import { plainPagesGateway } from './plain-pages/index.js';
import { checkDocument } from './document-shape.js';
import { checkOperation, checkQueryText, costLimitPlugin, parseOptionsOf, type QueryLimits } from './limits.js';
import { operationTelemetry, traceOperation } from './telemetry/graphql.js';
import { inSpan, whileRequestTraced, type Trace } from './telemetry/tracing.js';
import type { Metrics } from './telemetry/metrics.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  config: Config;
  services: AppServices;
  /** Drained (in-flight requests finish) when Apollo stops. */
  httpServer: Server;
  /** Closed (1001 Going Away) when Apollo stops. */
  subscriptions: Disposable;
  /** Operation durations and error codes, when metrics are on. */
  metrics?: Metrics;
}

export interface Apollo {
  execute: GraphQLExecutor;
  /** Drains HTTP requests and closes every websocket. */
  stop(): Promise<void>;
}

/** Apollo Server for queries and mutations over HTTP, with the query limits and error masking. */
export async function startApollo(options: ApolloOptions): Promise<Apollo> {
  const { config, services, subscriptions } = options;
  const closeSubscriptions: ApolloServerPlugin<Context> = {
    async serverWillStart() {
      return {
        async drainServer() {
          await subscriptions.dispose();
        },
      };
    },
  };
  const apollo = new ApolloServer<Context>({
    // The subgraph's own schema, executed by graphql-js except for plain pages (core/plain-pages).
    gateway: plainPagesGateway(options.schema),
    // Refused by our rule instead of Apollo's, whose message tells to pass an option to ApolloServer.
    introspection: true,
    validationRules: config.introspection ? [] : [noIntrospection],
    includeStacktraceInErrorResponses: false,
    // src/main.ts owns SIGTERM/SIGINT and calls stop(). Apollo's own handlers (on outside NODE_ENV=test) would
    // stop Apollo first, and a second apollo.stop() never settles: stop() hung and the DB was never closed.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(services.logger, { hideSuggestions: !config.graphqlSuggestions }),
    hideSchemaDetailsFromClientErrors: !config.graphqlSuggestions,
    parseOptions: parseOptionsOf(config.queryLimits),
    logger: services.logger,
    // Batched (array) requests are refused (Apollo's default, kept explicit): one operation per request.
    allowBatchedHttpRequests: false,
    plugins: [
      // The same limits as over graphql-ws (src/core/websocket.ts): src/core/limits.ts is the one policy.
      costLimitPlugin(config.queryLimits),
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // No HTTP caching of GraphQL responses here (they are per caller): skip its per-field hook.
      ApolloServerPluginCacheControlDisabled(),
      queryReadsShareOneTransaction,
      errorsLoggedToTheirRequest,
      closeSubscriptions,
      ...(options.metrics || config.tracing ? [operationTelemetry(options.metrics)] : []),
    ],
  });
  await apollo.start();
  const checked = new CheckedQueries();
  return {
    execute: async (httpGraphQLRequest, authorization, clientAddress, log, trace) => {
      const refused = refuseQuery(httpGraphQLRequest, options.schema, config.queryLimits, checked);
      if (refused) {
        options.metrics?.graphqlError(refused.extensions.code);
        return refusalResponse(refused);
      }
      const requestId = requestIdOf(httpGraphQLRequest.headers.get('x-request-id'));
      // A sampled request's operation span (named once the operation is known: `operationTelemetry`), parent
      // of its SQL statements: the caller's transactions find it by the request id; its log lines name it.
      const response = await (trace
        ? inSpan(trace, 'graphql', { 'app.request_id': requestId }, (operation) => {
            traceOperation(httpGraphQLRequest, operation!);
            const operationLog = new RequestLog(services.logger, operation);
            return whileRequestTraced(requestId, operation, () => idempotently(requestId, operationLog, operation));
          })
        : idempotently(requestId, log));
      response.headers.set('x-request-id', requestId);
      return response;

      async function idempotently(requestId: string, log: RequestLog, operation?: Trace) {
        const newContext = () => requestContext(services, authorization, log, clientAddress, requestId, operation);
        const run = (context: () => Promise<Context>) =>
          apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
        let key: string | undefined;
        try {
          key = idempotencyKeyOf(httpGraphQLRequest);
        } catch (error) {
          if (error instanceof ApiError) return refusalResponse(error);
          throw error;
        }
        if (key === undefined) return run(newContext);
        let context: Context;
        try {
          context = await newContext();
        } catch (error) {
          // Answered by Apollo as without a key (a refused token, a profile write that lost a conflict), and the
          // mutation is not run: a second context would run it outside the key's transaction, keeping nothing.
          return run(() => Promise.reject(error));
        }
        return executeIdempotently(key, httpGraphQLRequest, context, (writing) => run(async () => writing));
      }
    },
    stop: () => apollo.stop(),
  };
}

/** A proxy's request id when it looks like one (it lands in the audit trail and logs), else a new one. */
function requestIdOf(header: string | undefined): string {
  return header && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}
/** Introspection off (GRAPHQL_INTROSPECTION): a field `__schema` or `__type` anywhere is refused, naming the setting. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') context.reportError(introspectionOff());
  },
});

/** The query text, operation name and variables of a GET or POST request, as sent. */
function requestParts(request: HTTPGraphQLRequest) {
  if (request.method === 'GET') {
    const search = new URLSearchParams(request.search);
    let variables: unknown;
    try {
      variables = JSON.parse(search.get('variables') ?? '{}');
    } catch {
      variables = undefined; // Apollo answers that
    }
    return { query: search.get('query'), operationName: search.get('operationName'), variables };
  }
  const body = request.body as { query?: unknown; operationName?: unknown; variables?: unknown } | null | undefined;
  return { query: body?.query, operationName: body?.operationName, variables: body?.variables ?? {} };
}

/**
 * A query text (GET or POST) not seen yet is checked here, before Apollo: its nesting before it is parsed
 * (the parser recurses per level), then its shape (src/core/document-shape.ts), the operation's arguments
 * and its cost, so that a refused document never reaches graphql-js validation. Apollo offers no hook
 * between parsing and validation whose error answers the client (one thrown from a plugin there becomes a
 * 500), so the text is parsed here too, once per distinct text that passes (`CheckedQueries`); Apollo's
 * plugin checks the operation again on every request, with its variables. A text that does not parse, an
 * operation that cannot be resolved and variables that are no object are left to Apollo, which answers
 * them as always; a persisted query named by hash alone was checked here when it was registered.
 */
function refuseQuery(request: HTTPGraphQLRequest, schema: GraphQLSchema, limits: QueryLimits, checked: CheckedQueries) {
  const { query, operationName, variables } = requestParts(request);
  if (typeof query !== 'string' || checked.has(query)) return undefined;
  try {
    checkQueryText(query, limits);
    // No locations: nothing here reports one, and a 10 KB document parses in half the time without.
    const document = parse(query, { ...parseOptionsOf(limits), noLocation: true });
    checkDocument(document, limits);
    const operation = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
    if (!operation || typeof variables !== 'object' || variables === null) return undefined;
    checkOperation(schema, document, operation, variables as Record<string, unknown>, limits);
    checked.add(query);
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error;
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
}

/** Longest query text remembered as checked; longer ones are checked every time. */
const MAX_REMEMBERED_QUERY_LENGTH = 20_000;

/**
 * Query texts that passed `refuseQuery`, the least recently used forgotten first: clients send the same few
 * queries over and over, and each is parsed for the check once rather than on every request.
 */
class CheckedQueries {
  private readonly texts = new Set<string>();

  constructor(private readonly capacity = 500) {}

  has(query: string): boolean {
    if (!this.texts.delete(query)) return false;
    this.texts.add(query);
    return true;
  }

  add(query: string): void {
    if (query.length > MAX_REMEMBERED_QUERY_LENGTH) return;
    this.texts.add(query);
    if (this.texts.size > this.capacity) this.texts.delete(this.texts.values().next().value!);
  }
}
