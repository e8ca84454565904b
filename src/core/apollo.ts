import type { Server } from 'node:http';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Disposable } from 'graphql-ws';
import type { Config } from './config.js';
import { requestContext, queryReadsShareOneTransaction, type AppServices, type Context } from './caller/index.js';
import { ApiError, createErrorFormatter, errorResponse } from './errors.js';
import type { GraphQLExecutor } from './http.js';
import { checkQueryText, costLimitPlugin, depthAndAliasRules, parseOptionsOf, type QueryLimits } from './limits.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  config: Config;
  services: AppServices;
  /** Drained (in-flight requests finish) when Apollo stops. */
  httpServer: Server;
  /** Closed (1001 Going Away) when Apollo stops. */
  subscriptions: Disposable;
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
    schema: options.schema,
    introspection: config.introspection,
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
    // The same limits as over graphql-ws (src/core/websocket.ts): src/core/limits.ts is the one policy.
    validationRules: depthAndAliasRules(config.queryLimits),
    plugins: [
      costLimitPlugin(config.queryLimits),
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // No HTTP caching of GraphQL responses here (they are per caller): skip its per-field hook.
      ApolloServerPluginCacheControlDisabled(),
      queryReadsShareOneTransaction,
      closeSubscriptions,
    ],
  });
  await apollo.start();
  return {
    execute: async (httpGraphQLRequest, authorization, clientAddress) => {
      const refused = refuseQueryText(httpGraphQLRequest, config.queryLimits);
      if (refused) return refused;
      return apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => requestContext(services, authorization, clientAddress),
      });
    },
    stop: () => apollo.stop(),
  };
}

/**
 * Query text nested past the limit is answered here, before Apollo parses it: the parser recurses per
 * level, and an error thrown from an Apollo plugin before parsing becomes a 500, not a client error.
 */
function refuseQueryText(request: HTTPGraphQLRequest, limits: QueryLimits) {
  const body = request.body as { query?: unknown } | null | undefined;
  const query =
    request.method === 'GET' ? request.search && new URLSearchParams(request.search).get('query') : body?.query;
  if (typeof query !== 'string') return undefined;
  try {
    checkQueryText(query, limits);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const { status, body: errors } = errorResponse(error);
    return {
      status,
      headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
      body: { kind: 'complete' as const, string: JSON.stringify(errors) },
    };
  }
}
