import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import type { Metrics } from './metrics.js';

/** Times each GraphQL operation over HTTP by type and name, and counts the errors its response carries by code. */
export function operationMetrics(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      let type = 'unknown';
      let name: string | undefined;
      return {
        async didResolveOperation({ operation }) {
          type = operation?.operation ?? 'unknown';
          name = operation?.name?.value;
        },
        async willSendResponse({ response }) {
          metrics.graphqlOperation(type, name, (performance.now() - started) / 1000);
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) metrics.graphqlError(error.extensions?.code);
        },
      };
    },
  };
}

/** Names the operation's span (started around the request by src/core/apollo.ts) after the operation. */
export const operationSpans: ApolloServerPlugin = {
  async requestDidStart() {
    const span = trace.getActiveSpan();
    if (!span) return;
    return {
      async didResolveOperation({ operation }) {
        const type = operation?.operation ?? 'unknown';
        const name = operation?.name?.value;
        span.updateName(name ? `${type} ${name}` : type);
        span.setAttribute('graphql.operation.type', type);
        if (name) span.setAttribute('graphql.operation.name', name);
      },
    };
  },
};
