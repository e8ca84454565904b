import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { MAX_BODY_BYTES } from '../../src/core/http.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';

/** Limits against abusive queries: each tripped by the query that trips it; the server stays up. */

let server: TestServer;
let production: TestServer;
let admin: Actor;

beforeAll(async () => {
  [server, production] = await Promise.all([startTestServer(), startTestServer({ NODE_ENV: 'production' })]);
  admin = await server.actor('admin');
});
afterAll(() => Promise.all([server.stop(), production.stop()]));

async function post(target: TestServer, body: string, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(target.url, { method: 'POST', headers, body });
  return {
    status: response.status,
    body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown },
  };
}

async function stillServing() {
  const response = await admin.request('{ trainingCourses(first: 1) { totalCount } }');
  expect(response.errors).toBeUndefined();
}

describe('query limits', () => {
  it(`refuses a query deeper than ${DEFAULT_QUERY_LIMITS.maxDepth}`, async () => {
    let selection = 'id';
    for (let level = 0; level < 7; level++) selection = `course { id } completion { assignment { ${selection} } }`;
    const response = await admin.request(`{ trainingAssignments(first: 1) { nodes { ${selection} } } }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors![0]!.message).toMatch(/depth \d+ exceeds the limit/);
    await stillServing();
  });

  it(`refuses more than ${DEFAULT_QUERY_LIMITS.maxAliases} aliases`, async () => {
    const aliases = Array.from({ length: DEFAULT_QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: health`).join(' ');
    const response = await admin.request(`{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.message).toMatch(/aliases; the limit is/);
    await stillServing();
  });

  it('refuses a query whose estimated cost is too high, before running it', async () => {
    const response = await admin.request(
      '{ trainingAssignments(first: 500) { nodes { id completions { id course { id title category } assignment { id status course { id } } } course { id title } } } trainingCourses(first: 500) { nodes { id } } }',
    );
    expect(response.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors![0]!.message).toMatch(/cost \d+ exceeds the limit/);
    const variables = await admin.request(
      'query ($n: Int) { a: trainingAssignments(first: $n) { nodes { id completions { id course { id title category } assignment { id status course { id } } } } } }',
      { n: 500 },
    );
    expect(variables.errors![0]!.message).toMatch(/cost \d+ exceeds the limit/);
    await stillServing();
  });

  it('accepts an ordinary dashboard query', async () => {
    const response = await admin.request(
      '{ trainingAssignments(first: 100) { totalCount nodes { id status course { id title } completion { score } } } }',
    );
    expect(response.errors).toBeUndefined();
  });

  it('refuses batched (array) requests', async () => {
    const response = await post(
      server,
      JSON.stringify([{ query: '{ health }' }, { query: '{ health }' }]),
      admin.token,
    );
    expect(response.status).toBe(400);
    await stillServing();
  });

  it(`refuses a request body over ${MAX_BODY_BYTES} bytes with 413`, async () => {
    const response = await post(
      server,
      JSON.stringify({ query: `{ health } # ${'x'.repeat(MAX_BODY_BYTES)}` }),
      admin.token,
    );
    expect(response.status).toBe(413);
    await stillServing();
  });

  it('caps page size at 500', async () => {
    const response = await admin.request(
      '{ trainingCourses(first: 100000) { pageInfo { hasNextPage } nodes { id } } }',
    );
    expect(response.errors).toBeUndefined();
  });
});

describe('production mode', () => {
  it('turns introspection off', async () => {
    const prodAdmin = await production.actor('admin');
    const response = await prodAdmin.request('{ __schema { queryType { name } } }');
    expect(response.status).toBe(400);
    expect(response.errors).toEqual([
      {
        message:
          'GraphQL introspection (__schema, __type) is off on this server, as by default in production; ' +
          'start the server with GRAPHQL_INTROSPECTION=1 to allow it',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
  });

  it('does not serve the IDE: a browser gets a page saying so and naming GRAPHQL_IDE', async () => {
    const response = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'none'");
    const page = await response.text();
    expect(page).toContain('GraphiQL is off on this server');
    expect(page).toContain('<code>GRAPHQL_IDE=1</code>');
    expect(page).not.toContain('<script');
    const dev = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(await dev.text()).toContain('graphiql.min.js');
  });
});
