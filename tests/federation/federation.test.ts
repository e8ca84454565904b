import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { owner, uuid } from '../support/sql.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { startUsersSubgraph, USERS_TYPE_DEFS, type UsersSubgraph } from '../../scripts/federation/users-subgraph.js';

/**
 * The training API is a Federation v2 subgraph. It composes beside a
 * users subgraph that owns `User`, and a gateway over both answers a query that
 * starts in the users subgraph and crosses into ours, with the caller's token
 * passed along. Entity lookups (`_entities`) obey the same tenancy as queries.
 */

interface GatewayContext {
  authorization?: string;
}

let server: TestServer;
let users: UsersSubgraph;
let gateway: ApolloServer<GatewayContext>;
let gatewayUrl: string;
let supergraphSdl: string;
let admin: Actor;
const ada = { id: uuid(), name: 'Ada Lovelace', email: 'ada@example.com' };
const alan = { id: uuid(), name: 'Alan Turing', email: null };
const ids: { course: string; assignment: string; completion: string; otherTenantCourse: string } = {
  course: '',
  assignment: '',
  completion: '',
  otherTenantCourse: '',
};

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  const sql = owner(server.db);
  const tenant = admin.tenantId;
  for (const user of [ada, alan]) {
    await sql.insert('profiles', { id: user.id, tenant_id: tenant, role: 'worker', display_name: user.name });
  }
  const course = async (tenantId: string, title: string) =>
    (
      await sql.insert('training_courses', {
        tenant_id: tenantId,
        title,
        category: 'compliance',
        created_by: admin.userId,
      })
    ).id as string;
  ids.course = await course(tenant, 'Working at height');
  const secondCourse = await course(tenant, 'First aid');
  ids.otherTenantCourse = await course(uuid(), 'Another tenant’s course');
  const assignment = async (courseId: string, userId: string, status = 'assigned') =>
    (await sql.insert('training_assignments', { tenant_id: tenant, course_id: courseId, user_id: userId, status }))
      .id as string;
  ids.assignment = await assignment(ids.course, ada.id, 'completed');
  await assignment(secondCourse, ada.id);
  await assignment(secondCourse, alan.id);
  ids.completion = (
    await sql.insert('training_completions', {
      tenant_id: tenant,
      assignment_id: ids.assignment,
      course_id: ids.course,
      user_id: ada.id,
      score: 92,
      passed: true,
    })
  ).id as string;

  users = await startUsersSubgraph([ada, alan]);
  // The subgraph's SDL as a gateway's IntrospectAndCompose would read it: `_service`
  // answers without a token.
  const service = await server.request<{ _service: { sdl: string } }>('{ _service { sdl } }');
  const composition = composeServices([
    { name: 'users', typeDefs: USERS_TYPE_DEFS, url: users.url },
    { name: 'training', typeDefs: parse(service.data!._service.sdl), url: server.url },
  ]);
  if (composition.errors) throw new Error(composition.errors.map((error) => error.message).join('\n'));
  supergraphSdl = composition.supergraphSdl;

  gateway = new ApolloServer<GatewayContext>({
    gateway: new ApolloGateway({
      supergraphSdl,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<GatewayContext>({
          url,
          // Each subgraph authorizes the caller itself: the gateway forwards their token.
          willSendRequest({ request, context }) {
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          },
        }),
    }),
  });
  ({ url: gatewayUrl } = await startStandaloneServer(gateway, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  }));
});
afterAll(async () => {
  await gateway?.stop();
  await users?.stop();
  await server?.stop();
});

async function throughGateway(query: string, authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(gatewayUrl, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

const CROSSING_QUERY = `{
  people {
    id
    name
    trainingAssignments {
      totalCount
      nodes { course { title } }
    }
  }
}`;

describe('composition', () => {
  it('composes with a users subgraph: User joins their fields and our training', () => {
    expect(supergraphSdl).toMatch(
      /type User\s+@join__type\(graph: TRAINING, key: "id"\)\s+@join__type\(graph: USERS, key: "id"\)/,
    );
    for (const field of [
      'name: String! @join__field(graph: USERS)',
      'trainingAssignments(',
      'trainingCompletions(',
      'trainingProgress: Analytics! @join__field(graph: TRAINING)',
    ]) {
      expect(supergraphSdl).toContain(field);
    }
    for (const entity of ['Course', 'Assignment', 'Completion']) {
      expect(supergraphSdl).toMatch(new RegExp(`type ${entity}\\s+@join__type\\(graph: TRAINING, key: "id"\\)`));
    }
  });
});

describe('a gateway over both subgraphs', () => {
  it('answers a query that starts in the users subgraph and crosses into ours, with the token passed on', async () => {
    const result = await throughGateway(CROSSING_QUERY, `Bearer ${admin.token}`);

    expect(result.errors).toBeUndefined();
    const byName = (a: { title: string }, b: { title: string }) => a.title.localeCompare(b.title);
    const people = (
      result.data!.people as {
        id: string;
        name: string;
        trainingAssignments: { totalCount: number; nodes: { course: { title: string } }[] };
      }[]
    ).map((user) => ({ ...user, titles: user.trainingAssignments.nodes.map((node) => node.course).sort(byName) }));
    expect(people).toEqual([
      expect.objectContaining({
        id: ada.id,
        name: 'Ada Lovelace',
        trainingAssignments: expect.objectContaining({ totalCount: 2 }),
        titles: [{ title: 'First aid' }, { title: 'Working at height' }],
      }),
      expect.objectContaining({
        id: alan.id,
        name: 'Alan Turing',
        trainingAssignments: expect.objectContaining({ totalCount: 1 }),
        titles: [{ title: 'First aid' }],
      }),
    ]);
  });

  it('refuses our part without the Authorization header', async () => {
    const result = await throughGateway(CROSSING_QUERY);

    expect(result.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(JSON.stringify(result.data ?? null)).not.toContain('Working at height');
  });

  it('keeps a worker to their own training even through the gateway', async () => {
    const worker = await server.actor('worker', { tenantId: admin.tenantId, userId: ada.id });

    const result = await throughGateway(CROSSING_QUERY, `Bearer ${worker.token}`);

    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(result.data ?? null)).not.toContain(alan.id);
  });
});

describe('entity lookups (_entities)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Course { id title }
      ... on Assignment { id status }
      ... on Completion { id passed }
      ... on User { id }
    }
  }`;
  const representations = () => [
    { __typename: 'Course', id: ids.course },
    { __typename: 'Assignment', id: ids.assignment },
    { __typename: 'Completion', id: ids.completion },
    { __typename: 'User', id: ada.id },
  ];

  it('refuses an anonymous caller (UNAUTHENTICATED) for every entity', async () => {
    for (const representation of representations()) {
      const result = await server.request<{ _entities: unknown[] }>(ENTITIES, { representations: [representation] });
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(result.data?._entities ?? null).toBeNull();
    }
  });

  it('resolves the caller’s own tenant’s entities, and another tenant’s to null', async () => {
    const result = await admin.request<{ _entities: unknown[] }, { representations: unknown[] }>(ENTITIES, {
      representations: [...representations(), { __typename: 'Course', id: ids.otherTenantCourse }],
    });

    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { __typename: 'Course', id: ids.course, title: 'Working at height' },
      { __typename: 'Assignment', id: ids.assignment, status: 'COMPLETED' },
      { __typename: 'Completion', id: ids.completion, passed: true },
      { __typename: 'User', id: ada.id },
      null,
    ]);
  });
});
