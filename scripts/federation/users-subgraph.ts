import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/**
 * A minimal identity subgraph that owns `User` (name, email), standing in for the real users service the
 * training subgraph is composed with (the federation test and `npm run gateway:demo`). The training
 * subgraph also resolves `displayName` and `email` from its profiles, so both sides declare them `@shareable`.
 */

export interface UserRecord {
  id: string;
  name: string;
  email: string | null;
}

export const USERS_TYPE_DEFS = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  type User @key(fields: "id") {
    id: ID!
    name: String!
    displayName: String @shareable
    email: String @shareable
  }

  type Query {
    people: [User!]!
  }
`);

export interface UsersSubgraph {
  url: string;
  stop(): Promise<void>;
}

/** Listens on `port` (default: a free one) of 127.0.0.1. */
export async function startUsersSubgraph(users: UserRecord[], port = 0): Promise<UsersSubgraph> {
  const byId = new Map(users.map((user) => [user.id, user]));
  const server = new ApolloServer({
    // As a subgraph of the gateway demo: no stack traces in its errors, no landing page from Apollo's CDN.
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    schema: buildSubgraphSchema({
      typeDefs: USERS_TYPE_DEFS,
      resolvers: {
        Query: { people: () => users },
        User: {
          __resolveReference: (reference: { id: string }) => byId.get(reference.id) ?? null,
          displayName: (user: UserRecord) => user.name,
        },
      },
    }),
  });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}
