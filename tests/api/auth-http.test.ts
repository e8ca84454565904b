import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server.js';

/**
 * The HTTP side of authentication, as GraphQL over HTTP servers answer it: a request refused for want of a
 * usable token is HTTP 401 with `WWW-Authenticate: Bearer` (RFC 6750; `error="invalid_token"` and why when a
 * token was sent), the body still a GraphQL response with `UNAUTHENTICATED`. What needs no token — `health`,
 * `verifyCertificate`, introspection and federation's `_service { sdl }` (which a gateway fetches without
 * one) — answers 200 without one.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const CHALLENGE = 'Bearer realm="safety-training-api"';

async function post(query: string, authorization?: string, variables?: Record<string, unknown>) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  return { status: response.status, challenge: response.headers.get('www-authenticate'), ...body };
}

describe('without a token', () => {
  it.each([
    ['health', '{ health }'],
    ['verifyCertificate', '{ verifyCertificate(code: "unknown-unknown-unknown-1") { status } }'],
    ['introspection', '{ __schema { queryType { name } } }'],
    ["federation's _service { sdl }", '{ _service { sdl } }'],
  ])('%s answers 200, with no challenge', async (_case, query) => {
    const response = await post(query);

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.challenge).toBeNull();
  });

  it('a query that needs a caller is 401 with WWW-Authenticate: Bearer, the body saying UNAUTHENTICATED', async () => {
    const response = await post('{ me { id } }');

    expect(response.status).toBe(401);
    expect(response.challenge).toBe(CHALLENGE);
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'Authentication required: send Authorization: Bearer <token>',
        extensions: { code: 'UNAUTHENTICATED' },
      }),
    ]);
  });

  it('a query mixing public and protected fields is 401 too, with the public part answered', async () => {
    const response = await post(`{ health trainingCourse(id: "${randomUUID()}") { id } }`);

    expect(response.status).toBe(401);
    expect(response.challenge).toBe(CHALLENGE);
    expect(response.data).toEqual({ health: 'ok', trainingCourse: null });
  });

  it('an entity look-up, a mutation and a GET query are 401 alike', async () => {
    const entities = await post(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id } } }',
      '',
      {
        r: [{ __typename: 'Course', id: randomUUID() }],
      },
    );
    const mutation = await post('mutation { sweepOverdueTrainingAssignments }');
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });

    expect([entities.status, mutation.status, get.status]).toEqual([401, 401, 401]);
    expect([entities.challenge, mutation.challenge, get.headers.get('www-authenticate')]).toEqual([
      CHALLENGE,
      CHALLENGE,
      CHALLENGE,
    ]);
  });
});

describe('with a token the server refuses', () => {
  const tenantId = randomUUID();
  const userId = randomUUID();

  it('is 401 whatever it asks (even { health }), the challenge saying invalid_token and why', async () => {
    const expired = await mintToken({ secret: TEST_JWT_SECRET, userId, tenantId, role: 'admin', expiresIn: '-1s' });

    for (const query of ['{ health }', '{ me { id } }']) {
      const response = await post(query, `Bearer ${expired}`);
      expect(response.status).toBe(401);
      expect(response.challenge).toBe(
        'Bearer realm="safety-training-api", error="invalid_token", error_description="Token expired"',
      );
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('quotes a reason holding quotes as a header quoted-string', async () => {
    const response = await post('{ me { id } }', 'Basic YWRtaW46YWRtaW4=');

    expect(response.status).toBe(401);
    expect(response.challenge).toBe(
      'Bearer realm="safety-training-api", error="invalid_token", ' +
        'error_description="Malformed Authorization header: expected \\"Bearer <token>\\""',
    );
  });
});

describe('with a good token', () => {
  it('answers 200 with no challenge, and FORBIDDEN (not 401) for what the role may not do', async () => {
    const token = await mintToken({
      secret: TEST_JWT_SECRET,
      userId: randomUUID(),
      tenantId: randomUUID(),
      role: 'worker',
    });

    const me = await post('{ me { id } }', `Bearer ${token}`);
    const refused = await post('mutation { sweepOverdueTrainingAssignments }', `Bearer ${token}`);

    expect([me.status, me.challenge, me.errors]).toEqual([200, null, undefined]);
    expect(refused.status).toBe(200);
    expect(refused.challenge).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
