import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENTITIES,
  fanOut,
  introspectionTrees,
  QUERY_HOST,
  repeated,
  repeatedBelow,
  representation,
  SUBSCRIPTION_HOST,
  type Host,
} from '../support/abuse.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, subscriptionErrors, type LiveClient } from '../support/ws.js';
import { setupTimeout } from '../support/citus.js';

/**
 * One anonymous request cannot stall the server: each class of abusive document is refused with its code
 * and HTTP 400 — never a 500 — over HTTP POST and GET, and over graphql-ws as a subscription, before any
 * expensive work (the shape before graphql-js validation, the cost and `_entities` before execution).
 */

let server: TestServer;
let admin: Actor;
let live: LiveClient;
const statements: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  admin = await server.actor('admin');
  live = liveClient(server.url, admin.token);
}, setupTimeout(120_000));
afterAll(async () => {
  await live.dispose();
  await server.stop();
});

interface Answer {
  status: number;
  errors: GraphQLFormattedError[];
}

/** The request as an anonymous client sends it, by POST or by GET (with the header Apollo asks of GETs). */
async function send(method: 'POST' | 'GET', query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const response =
    method === 'POST'
      ? await fetch(server.url, {
          method,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        })
      : await fetch(`${server.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables ?? {}) })}`, {
          headers: { 'apollo-require-preflight': 'true' },
        });
  const body = (await response.json()) as { errors?: GraphQLFormattedError[] };
  return { status: response.status, errors: body.errors ?? [] };
}

/** Refused with one error of `code` whose message matches `message`, HTTP 400, over POST and GET. */
async function refusedOverHttp(query: string, code: string, message: RegExp, variables?: Record<string, unknown>) {
  for (const method of ['POST', 'GET'] as const) {
    const answer = await send(method, query, variables);
    expect({ method, status: answer.status }).toEqual({ method, status: 400 });
    expect(answer.errors.map((error) => error.extensions?.code)).toEqual([code]);
    expect(answer.errors[0]!.message).toMatch(message);
  }
}

async function refusedOverWebSocket(query: string, code: string, message: RegExp) {
  const errors = await subscriptionErrors(live, query);
  expect(errors.map((error) => error.extensions?.code)).toEqual([code]);
  expect(errors[0]!.message).toMatch(message);
}

const SPREAD_IN_PLACE = /^Query has \d+ selections with its fragments spread in place; the limit is 1000$/;

describe.each([
  ['HTTP', QUERY_HOST],
  ['graphql-ws', SUBSCRIPTION_HOST],
] as [string, Host][])('fragment fan-out over %s', (transport, host) => {
  const refused = (query: string) =>
    transport === 'HTTP'
      ? refusedOverHttp(query, 'GRAPHQL_VALIDATION_FAILED', SPREAD_IN_PLACE)
      : refusedOverWebSocket(query, 'GRAPHQL_VALIDATION_FAILED', SPREAD_IN_PLACE);

  it.each([
    [2, 17],
    [2, 30],
    [4, 20],
    [5, 12],
    [6, 8],
  ])('refuses %i spreads of the next fragment per level over %i levels', async (spreads, levels) => {
    await refused(fanOut(host, spreads, levels));
  });

  it.each(['inline', 'nested', 'aliased'] as const)('refuses a fan-out whose spreads are %s', async (placement) => {
    await refused(fanOut(host, 3, 12, { placement }));
  });
});

describe('quadratic validation', () => {
  const PER_SET = /^A selection set holds \d+ selections; the limit is 50$/;
  const MERGED = /^Query selects "\w+" \d+ times at one place; the limit is 10$/;

  it('refuses 1,000 copies of a field in one selection set (POST; GET cannot carry 10 KB)', async () => {
    const answer = await send('POST', repeated(QUERY_HOST, 1_000));
    expect(answer.status).toBe(400);
    expect(answer.errors.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.errors[0]!.message).toMatch(PER_SET);
  });

  it.each([
    ['side by side', (host: Host) => repeated(host, 60), PER_SET],
    ['with one alias', (host: Host) => repeated(host, 60, { alias: 'x: ' }), PER_SET],
    ['each in its own fragment', (host: Host) => repeated(host, 40, { inFragments: true }), MERGED],
    ['merged below merged fields', (host: Host) => repeatedBelow(host, 8), MERGED],
  ])('refuses copies of a field %s, over HTTP and graphql-ws', async (_label, build, message) => {
    await refusedOverHttp(build(QUERY_HOST), 'GRAPHQL_VALIDATION_FAILED', message);
    await refusedOverWebSocket(build(SUBSCRIPTION_HOST), 'GRAPHQL_VALIDATION_FAILED', message);
  });

  it('refuses copies spread over inline fragments', async () => {
    const inline = `{ ${Array(8)
      .fill(`... on Query { ${'me { id } '.repeat(8)}}`)
      .join(' ')} }`;
    await refusedOverHttp(inline, 'GRAPHQL_VALIDATION_FAILED', MERGED);
  });
});

describe('introspection amplification', () => {
  it('prices aliased `__schema` trees by their answers and refuses 30 of them', async () => {
    await refusedOverHttp(
      introspectionTrees(30),
      'GRAPHQL_VALIDATION_FAILED',
      /^Query cost \d+ exceeds the limit of 25000; ask for smaller pages$/,
    );
    const one = await send('POST', introspectionTrees(1));
    expect(one.status).toBe(200);
  });

  it('refuses a `__type` tree that nests deeper than the depth limit', async () => {
    const nested = `{ __type(name: "Assignment") { ${'fields { type { '.repeat(6)} name ${'} } '.repeat(6)} } }`;
    await refusedOverHttp(nested, 'GRAPHQL_VALIDATION_FAILED', /^Query depth 14 exceeds the limit of 12$/);
  });
});

describe('`_entities` with a type that is no entity', () => {
  it.each(['Profile', 'Query', 'CourseConnection', 'NoSuchType'])(
    'refuses %s with BAD_USER_INPUT naming the representation, before any SQL, tokens or not',
    async (typename) => {
      statements.length = 0;
      const variables = { r: [representation('Course'), representation(typename)] };
      const message =
        /^representations\[1\]\.__typename: expected an entity type: Assignment, Completion, Course, User$/;
      await refusedOverHttp(ENTITIES, 'BAD_USER_INPUT', message, variables);
      const withToken = await admin.request(ENTITIES, variables);
      expect(withToken.status).toBe(400);
      expect(withToken.errors).toEqual([
        expect.objectContaining({
          extensions: {
            code: 'BAD_USER_INPUT',
            field: 'representations[1].__typename',
            rule: 'unknownType',
            params: {},
          },
        }),
      ]);
      expect(statements.filter((sql) => /training_(courses|assignments|completions)/.test(sql))).toEqual([]);
    },
  );
});

describe('after every attack', () => {
  it('still serves an ordinary request', async () => {
    const answer = await admin.request('{ trainingCourses(first: 10) { totalCount } }');
    expect(answer.errors).toBeUndefined();
  });
});
