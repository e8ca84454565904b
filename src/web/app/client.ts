import { cacheExchange, Client, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import { offlineExchange } from './offline/exchange';

/**
 * The one GraphQL client of a session: queries and mutations over HTTP, live data over
 * graphql-ws, the token on both. `onUnauthenticated` runs when the API no longer accepts
 * the token (expired, revoked), so the app can send the person back to sign-in. `owner` (`tenantId:userId`)
 * names whose offline reads and outbox the client uses.
 */
export function createApiClient(
  token: string,
  owner: string,
  onUnauthenticated: () => void,
): { client: Client; close(): void } {
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 5,
    on: {
      closed: (event) => {
        // 4401/4403: the server refused the token on the socket.
        const code = (event as { code?: number }).code;
        if (code === 4401 || code === 4403) onUnauthenticated();
      },
    },
  });
  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated();
          if (error.response && (error.response as Response).status === 401) onUnauthenticated();
        },
      }),
      offlineExchange(owner),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, close: () => void ws.dispose() };
}
