// `npm run gateway:demo`: a federated graph on this machine — a small users subgraph that owns `User`, this
// training subgraph (on its own in-memory database, filled with the demo tenant) and an Apollo Gateway in front
// that forwards each caller's `Authorization` header. Prints the gateway URL and a ready curl; Ctrl-C stops it.
// `npm run gateway:demo -- --check` runs the query that crosses both subgraphs once, prints it, and exits 0 or 1.
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { graphiqlAssets } from '../src/core/graphiql/assets.js';
import { GRAPHQL_PATH, serveHttp } from '../src/core/http.js';
import { createLogger } from '../src/core/logger.js';
import { mintDemoTokens, seedDemoTenant } from '../src/web/demo-data.js';
import { DEMO_ADMIN, DEMO_USERS, DEMO_WORKERS } from '../src/web/demo-tenant.js';
import { startUsersSubgraph } from './federation/users-subgraph.js';
import { startLocalApi } from './local-api.js';

/** Starts in the users subgraph (`people`) and crosses into this one for each user's training. */
const CROSSING_QUERY = `{
  people {
    name
    email
    trainingAssignments(first: 5) {
      totalCount
      nodes { status dueDate course { title } }
    }
    trainingProgress { completionRate overdueCount }
  }
}`;

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.GATEWAY_PORT ?? '4100' },
  },
});

interface GatewayContext {
  authorization?: string;
}

// Its own throwaway database, so the demo never touches the data of `npm start`.
const { app: training, config } = await startLocalApi({ DATABASE_URL: '', PGLITE_DATA_DIR: 'memory://' });
// The app names itself `localhost` but listens on 127.0.0.1 only, which `localhost` may not resolve to first.
const trainingUrl = training.url.replace('//localhost:', '//127.0.0.1:');
const users = await startUsersSubgraph(DEMO_USERS.map(({ id, name, email }) => ({ id, name, email })));
const gateway = new ApolloServer<GatewayContext>({
  // No stack traces in errors (Apollo adds them outside production), and no landing page from Apollo's CDN:
  // the page is the API's own GraphiQL, served below from node_modules, so the demo works offline.
  includeStacktraceInErrorResponses: false,
  plugins: [ApolloServerPluginLandingPageDisabled()],
  gateway: new ApolloGateway({
    // Each subgraph's SDL from `{ _service { sdl } }`, which answers without a token.
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: [
        { name: 'users', url: users.url },
        { name: 'training', url: trainingUrl },
      ],
    }),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url,
        // The training subgraph authorizes every caller itself: without their token every field is UNAUTHENTICATED.
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  }),
});

/** The gateway behind the API's own HTTP layer: GraphQL and, for a browser, GraphiQL at /graphql. */
async function listen(port: number): Promise<string> {
  await gateway.start();
  serveHttp(httpServer, {
    graphql: (httpGraphQLRequest, authorization) =>
      gateway.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => ({ authorization }) }),
    databaseAnswers: async () => {},
    routes: [],
    ide: graphiqlAssets(),
    corsOrigins: [],
    trustProxy: false,
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn'),
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${GRAPHQL_PATH}`;
}
const httpServer = createServer();

async function stopAll(): Promise<void> {
  httpServer.close();
  await gateway.stop().catch(() => {});
  await users.stop().catch(() => {});
  await training.stop();
}

let exitCode = 0;
try {
  const tokens = await mintDemoTokens(config.auth.jwtSecret!, '12h');
  console.log(await seedDemoTenant(training, tokens));
  const url = await listen(values.check ? 0 : Number(values.port));
  const token = tokens.get(DEMO_ADMIN.id)!;
  const body = JSON.stringify({ query: CROSSING_QUERY.replace(/\s+/g, ' ') });

  if (values.check) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const result = (await response.json()) as {
      data?: { people: { name: string; trainingAssignments: { totalCount: number } }[] };
      errors?: unknown[];
    };
    console.log(JSON.stringify(result, null, 2));
    const workers = new Set(DEMO_WORKERS.map((worker) => worker.name));
    const crossed = result.data?.people.filter(
      (user) => workers.has(user.name) && user.trainingAssignments.totalCount > 0,
    );
    if (response.status !== 200 || result.errors || crossed?.length !== workers.size) {
      console.error('gateway:demo --check: the crossing query did not return every worker with their training');
      exitCode = 1;
    } else {
      console.log(`gateway:demo --check: ${crossed.length} workers joined with their training through the gateway`);
    }
  } else {
    console.log(`
Gateway (users + training subgraphs) at ${url} (open it in a browser for GraphiQL)
  users subgraph    ${users.url}
  training subgraph ${trainingUrl} (its own in-memory database with the demo tenant)

Try the query that crosses both (as ${DEMO_ADMIN.name}, admin of the demo tenant):

curl -s ${url} -H 'content-type: application/json' \\
  -H 'authorization: Bearer ${token}' \\
  -d '${body}'

Ctrl-C stops everything.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (error) {
  console.error(`gateway:demo: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
