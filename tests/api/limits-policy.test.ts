import { createHash, randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { appliesCallerSettings } from '../support/sql.js';
import { liveClient, subscriptionErrors, type LiveClient } from '../support/ws.js';

/**
 * One cost and validation policy for every entry point: HTTP, graphql-ws and `_entities` get the same
 * limits, checked before any database work, and every refusal carries `extensions.code` — never
 * INTERNAL_SERVER_ERROR, never no code at all.
 */

let server: TestServer;
let production: TestServer;
let admin: Actor;
let productionAdmin: Actor;
const statements: string[] = [];

beforeAll(async () => {
  [server, production] = await Promise.all([
    startTestServer({}, { onQuery: (sql) => statements.push(sql) }),
    startTestServer({ NODE_ENV: 'production' }),
  ]);
  admin = await server.actor('admin');
  productionAdmin = await production.actor('admin');
});
afterAll(() => Promise.all([server.stop(), production.stop()]));

interface Answer {
  status: number;
  body: { data?: unknown; errors?: GraphQLFormattedError[] };
}

/** Posts `body` (JSON text as it is, anything else as JSON). */
async function post(target: TestServer, token: string, body: unknown): Promise<Answer> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const codes = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code);

/** Statements sent to the database while `run` runs (the caller's transaction set-up excluded). */
async function queriesDuring(run: () => Promise<unknown>): Promise<string[]> {
  statements.length = 0;
  await run();
  return statements.filter((sql) => /\bFROM\b/i.test(sql) && !appliesCallerSettings(sql));
}

const nested = (levels: number) => `{${' trainingCourses { nodes {'.repeat(levels)} id ${'} }'.repeat(levels)}}`;

describe('query text, before it is parsed', () => {
  it('refuses text nested thousands of levels deep with GRAPHQL_PARSE_FAILED, and the server stays up', async () => {
    for (const query of [nested(5_000), `{ health(x: ${'['.repeat(20_000)}${']'.repeat(20_000)}) }`]) {
      const answer = await post(server, admin.token, { query });
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(answer.body.errors![0]!.message).toContain(`more than ${DEFAULT_QUERY_LIMITS.maxNesting} levels`);
    }
    expect((await admin.request('{ health }')).errors).toBeUndefined();
  });

  it(`refuses a document of more than ${DEFAULT_QUERY_LIMITS.maxTokens} tokens with GRAPHQL_PARSE_FAILED`, async () => {
    const answer = await post(server, admin.token, { query: `{ ${'__typename '.repeat(20_000)}}` });
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('refuses an automatic persisted query whose hash is not that of the query (BAD_REQUEST)', async () => {
    const query = '{ health }';
    const wrong = await post(server, admin.token, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('other').digest('hex') } },
    });
    expect(wrong.status).toBe(400);
    expect(codes(wrong)).toEqual(['BAD_REQUEST']);
    const notAHash = await post(server, admin.token, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: { not: 'x' } } },
    });
    expect(codes(notAHash)).toEqual(['BAD_REQUEST']);
    const right = await post(server, admin.token, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } },
    });
    expect(right.body.errors).toBeUndefined();
  });
});

describe('arguments, before anything runs', () => {
  it('refuses a cursor that decodes but holds no id of the list (BAD_USER_INPUT)', async () => {
    for (const inner of ['GPC:S:not-a-uuid', 'GPC:N:1', 'GPC:J:[1]', `GPC:S:${randomUUID()}x`]) {
      const after = Buffer.from(inner).toString('base64');
      const answer = await post(server, admin.token, {
        query: 'query ($after: String) { trainingCourses(first: 2, after: $after) { nodes { id } } }',
        variables: { after },
      });
      expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body.errors![0]!.message).toBe('after: not a cursor of this list; use a pageInfo cursor');
    }
  });

  it.each(['2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00', '2026-13-01T00:00:00Z', '2026'])(
    'refuses the impossible instant %s: as a variable BAD_USER_INPUT, as a literal GRAPHQL_VALIDATION_FAILED',
    async (instant) => {
      const asVariable = await post(server, admin.token, {
        query: 'query ($t: DateTime) { trainingCompletions(first: 1, filter: { completedAfter: $t }) { totalCount } }',
        variables: { t: instant },
      });
      expect(codes(asVariable)).toEqual(['BAD_USER_INPUT']);
      const asLiteral = await post(server, admin.token, {
        query: `{ trainingCompletions(first: 1, filter: { completedAfter: "${instant}" }) { totalCount } }`,
      });
      // A literal is checked while the document is validated: Apollo codes that GRAPHQL_VALIDATION_FAILED.
      expect(codes(asLiteral)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(asLiteral.body.errors![0]!.message).toContain('DateTime: expected an ISO 8601 date-time');
    },
  );

  it('accepts instants with an offset, fractions and no seconds', async () => {
    for (const instant of ['2026-02-28T23:59:59Z', '2026-02-28T23:59:59.123456+02:00', '2026-02-28T12:00Z']) {
      const answer = await post(server, admin.token, {
        query: 'query ($t: DateTime) { trainingCompletions(first: 1, filter: { completedAfter: $t }) { totalCount } }',
        variables: { t: instant },
      });
      expect(answer.body.errors).toBeUndefined();
    }
  });

  it('refuses a list without `first` priced at a whole page, under which a large page is asked for', async () => {
    const answer = await post(server, admin.token, {
      query:
        '{ trainingAnalytics { byCourse { course { createdBy { trainingAssignments(first: 500) { nodes { id } } } } } } }',
    });
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.body.errors![0]!.message).toMatch(/^Query cost \d+ exceeds the limit of 25000/);
  });
});

describe('_entities', () => {
  const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Course { id title } } }';

  it.each([
    ['an object that would be a Prisma filter', `{"not":"${randomUUID()}"}`],
    ['an `in` list', `{"in":["${randomUUID()}"]}`],
    // As JSON text: a value this deep overflows JSON.stringify in the test itself.
    ['a deeply nested object', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
    ['a number', '123'],
    ['null', 'null'],
    ['a string that is no UUID', '"x"'],
  ])('refuses a representation whose id is %s (BAD_USER_INPUT), before any database work', async (_label, id) => {
    let answer: Answer | undefined;
    const queries = await queriesDuring(async () => {
      answer = await post(
        server,
        admin.token,
        `{"query":${JSON.stringify(ENTITIES)},"variables":{"r":[{"__typename":"Course","id":${id}}]}}`,
      );
    });
    expect(answer!.status).toBe(400);
    expect(codes(answer!)).toEqual(['BAD_USER_INPUT']);
    expect(answer!.body.errors![0]!.message).toBe('representations[0].id: expected a UUID string');
    expect(answer!.body.data).toBeUndefined();
    expect(queries.filter((sql) => sql.includes('training_courses'))).toEqual([]);
  });

  it(`refuses more than ${DEFAULT_QUERY_LIMITS.maxRepresentations} representations`, async () => {
    const r = Array.from({ length: DEFAULT_QUERY_LIMITS.maxRepresentations + 1 }, () => ({
      __typename: 'Course',
      id: randomUUID(),
    }));
    const answer = await post(server, admin.token, { query: ENTITIES, variables: { r } });
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('prices each representation: many users with a large page each are refused', async () => {
    const r = Array.from({ length: 100 }, () => ({ __typename: 'User', id: randomUUID() }));
    const answer = await post(server, admin.token, {
      query:
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { trainingAssignments(first: 500) { nodes { id } } } } }',
      variables: { r },
    });
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('loads 2 or 200 representations of one type in the same few statements', async () => {
    const ids = (
      await server.owner.query<{ id: string }>(
        `INSERT INTO training_courses (tenant_id, title, category, created_by)
         SELECT $1::uuid, 'Entity ' || n, 'compliance', $2::uuid FROM generate_series(1, 200) n RETURNING id`,
        [admin.tenantId, admin.userId],
      )
    ).map((row) => row.id);
    const lookUp = async (some: string[]) => {
      let answer: Answer | undefined;
      const queries = await queriesDuring(async () => {
        answer = await post(server, admin.token, {
          query: ENTITIES,
          variables: { r: some.map((id) => ({ __typename: 'Course', id })) },
        });
      });
      expect(answer!.body.errors).toBeUndefined();
      expect((answer!.body.data as { _entities: { id: string }[] })._entities.map((entity) => entity.id)).toEqual(some);
      return queries.filter((sql) => sql.includes('training_courses')).length;
    };
    const few = await lookUp(ids.slice(0, 2));
    const many = await lookUp(ids);
    // The rows by id in one statement, then what the selection asks of them (plugin-prisma) in one more.
    expect(many).toBe(few);
    expect(many).toBeLessThanOrEqual(2);
  });
});

describe('graphql-ws: the same limits and coded errors as HTTP', () => {
  let live: LiveClient;
  let productionLive: LiveClient;
  beforeAll(() => {
    live = liveClient(server.url, admin.token);
    productionLive = liveClient(production.url, productionAdmin.token);
  });
  afterAll(() => Promise.all([live.dispose(), productionLive.dispose()]));

  it('refuses a subscription over the cost limit, as HTTP does', async () => {
    const errors = await subscriptionErrors(
      live,
      'subscription { trainingAssignmentCreated { user { trainingAssignments(first: 500) { nodes { user { trainingAssignments(first: 500) { nodes { id } } } } } } } }',
    );
    expect(errors.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(errors[0]!.message).toMatch(/^Query cost \d+ exceeds the limit of 25000/);
    expect(errors[0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('refuses a cost given through variables', async () => {
    const errors = await subscriptionErrors(
      live,
      'subscription ($n: Int) { trainingAssignmentCreated { user { trainingAssignments(first: $n) { nodes { user { trainingAssignments(first: $n) { nodes { id } } } } } } } }',
      { n: 400 },
    );
    expect(errors.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it.each([
    ['unparsable text', 'subscription {', 'GRAPHQL_PARSE_FAILED'],
    ['text nested past the limit', `subscription ${nested(3_000)}`, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', 'subscription { trainingAssignmentCreatd { id } }', 'GRAPHQL_VALIDATION_FAILED'],
    [
      'a depth over the limit',
      `subscription { trainingAssignmentCreated { ${'completion { assignment { '.repeat(7)} id ${'} } '.repeat(7)} } }`,
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['a query', '{ health }', 'BAD_REQUEST'],
    [
      'a bad cursor',
      `subscription { trainingAssignmentCreated { user { trainingAssignments(after: "eA==") { totalCount } } } }`,
      'BAD_USER_INPUT',
    ],
  ])('codes %s', async (_label, query, code) => {
    const errors = await subscriptionErrors(live, query);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((error) => error.extensions?.code)).toEqual(errors.map(() => code));
  });

  it('codes an operation it cannot pick and a variable of the wrong type', async () => {
    const operation = await subscriptionErrors(
      live,
      'subscription A { trainingAssignmentCreated { id } } subscription B { trainingAssignmentCreated { id } }',
    );
    expect(operation.map((error) => error.extensions?.code)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    const variable = await subscriptionErrors(
      live,
      'subscription ($u: ID) { trainingAssignmentCreated(userId: $u) { id } }',
      {
        u: { not: 'x' },
      },
    );
    expect(variable.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('suggests no schema names in production, over HTTP and WebSocket alike', async () => {
    const typo = 'subscription { trainingAssignmentCreatd { id } }';
    const overWs = await subscriptionErrors(productionLive, typo);
    expect(overWs[0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(overWs[0]!.message).not.toContain('Did you mean');
    const overHttp = await post(production, productionAdmin.token, { query: '{ trainingCourse { totalCount } }' });
    expect(new Set(codes(overHttp))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(overHttp.body.errors!.map((error) => error.message).join(' ')).not.toContain('Did you mean');
    // Outside production the hint stays, for developers.
    const developing = await subscriptionErrors(live, typo);
    expect(developing[0]!.message).toContain('Did you mean');
  });
});

describe('course search', () => {
  it('is served by the trigram indexes (pg_trgm), on PGlite and PostgreSQL', async () => {
    // SET LOCAL, which Citus also applies on the node that plans each shard's part.
    const plan = await server.db.withConnection(async (connection) => {
      await connection.query('BEGIN');
      try {
        await connection.query('SET LOCAL enable_seqscan = off');
        const rows = await connection.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT id FROM training_courses WHERE title ILIKE '%height%' OR description ILIKE '%height%'`,
        );
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await connection.query('ROLLBACK');
      }
    });
    expect(plan).toContain('training_courses_title_trgm_idx');
    expect(plan).toContain('training_courses_description_trgm_idx');
  });

  it('still finds courses by a fragment of their title', async () => {
    await server.owner.query(
      `INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, 'Working at Height', 'compliance', $2)`,
      [admin.tenantId, admin.userId],
    );
    const result = await admin.request<{ trainingCourses: { nodes: { title: string }[] } }, Record<string, never>>(
      '{ trainingCourses(first: 5, filter: { search: "at heig" }) { nodes { title } } }',
    );
    expect(result.data?.trainingCourses.nodes.map((node) => node.title)).toEqual(['Working at Height']);
  });
});
