import type { ApolloServerPlugin, HTTPGraphQLRequest } from '@apollo/server';
import type { Metrics } from './metrics.js';
import type { Trace } from './tracing.js';

/** The operation spans of sampled requests, by the request Apollo runs (its `request.http`). */
const operationTraces = new WeakMap<HTTPGraphQLRequest, Trace>();

/** Marks `request`'s operation as traced by `trace` (a span started around it by src/core/apollo.ts). */
export const traceOperation = (request: HTTPGraphQLRequest, trace: Trace) => operationTraces.set(request, trace);

/**
 * Per GraphQL operation over HTTP: with metrics, its duration by type and name and the errors its response
 * carries by code; in a sampled trace, its span named after the operation. One plugin for both, doing nothing
 * for a request that neither needs (no metrics, not sampled).
 */
export function operationTelemetry(metrics: Metrics | undefined): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      const span = request.http && operationTraces.get(request.http)?.span;
      if (!metrics && !span) return;
      const started = performance.now();
      let type = 'unknown';
      let name: string | undefined;
      return {
        async didResolveOperation({ operation }) {
          type = operation?.operation ?? 'unknown';
          name = operation?.name?.value;
          if (!span) return;
          span.updateName(name ? `${type} ${name}` : type);
          span.setAttribute('graphql.operation.type', type);
          if (name) span.setAttribute('graphql.operation.name', name);
        },
        async willSendResponse({ response }) {
          if (!metrics) return;
          metrics.graphqlOperation(type, name, (performance.now() - started) / 1000);
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) metrics.graphqlError(error.extensions?.code);
        },
      };
    },
  };
}
