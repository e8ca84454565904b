import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  TrainingAssignmentsDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import { serverUrl } from '../support/database.js';
import { liveClient } from '../support/ws.js';
import {
  dayFromToday,
  errorCode,
  startTestServer,
  TEST_JWT_SECRET,
  type Actor,
  type GraphQLResponse,
  type TestServer,
} from '../support/server.js';

/**
 * Identity and errors: who may call at all, what a caller's token
 * writes into `profiles`, and what an error may tell a client.
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  await admin.request(TrainingCoursesDocument, {});
});
afterAll(() => server.stop());

/** Every row the API can write, fingerprinted: any insert, update or delete changes it. */
const everything = () =>
  server.owner.fingerprints([
    'profiles',
    'training_courses',
    'training_assignments',
    'training_completions',
    'predictive_scores',
  ]);

const profile = async (id: string) => (await server.owner.query('SELECT * FROM profiles WHERE id = $1', [id]))[0];

const token = (claims: { userId?: string; tenantId?: string; role?: string; name?: string; email?: string }) =>
  mintToken({
    secret: TEST_JWT_SECRET,
    userId: claims.userId ?? randomUUID(),
    tenantId: claims.tenantId ?? randomUUID(),
    role: (claims.role ?? 'admin') as 'admin',
    name: claims.name,
    email: claims.email,
  });

/**
 * A minimal valid call of a root field, built from the schema: placeholder
 * values for the required arguments, `__typename` for an object result.
 */
function minimalCall(operation: 'query' | 'mutation', fieldName: string): string {
  const field = (operation === 'query' ? schema.getQueryType() : schema.getMutationType())!.getFields()[fieldName]!;
  const args = field.args
    .filter((arg) => arg.type.toString().endsWith('!') && arg.defaultValue === undefined)
    .map((arg) => `${arg.name}: ${placeholder(arg.type.toString())}`);
  const named = schema.getType(field.type.toString().replace(/[[\]!]/g, ''))!;
  const selection = 'getFields' in named || 'getTypes' in named ? ' { __typename }' : '';
  return `${operation} { ${fieldName}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
}

function placeholder(typeName: string): string {
  const type = typeName.replace(/!$/, '');
  if (type.startsWith('[')) return `[${placeholder(type.slice(1, -1))}]`;
  const scalars: Record<string, string> = {
    ID: '"6f0b1e4c-3a7d-4c1e-9f2a-8b5d7c9e0a11"',
    String: '"x"',
    Int: '1',
    Float: '1',
    Boolean: 'true',
    Date: `"${dayFromToday(30)}"`,
    DateTime: '"2030-01-01T00:00:00.000Z"',
  };
  if (scalars[type]) return scalars[type];
  const named = schema.getType(type)!;
  if ('getValues' in named) return named.getValues()[0]!.name;
  if ('getFields' in named) {
    const fields = Object.values(named.getFields()).filter(
      (field) =>
        field.type.toString().endsWith('!') && (field as { defaultValue?: unknown }).defaultValue === undefined,
    );
    return `{ ${fields.map((field) => `${field.name}: ${placeholder(field.type.toString())}`).join(', ')} }`;
  }
  return '"x"';
}

const PROTECTED = [
  ...Object.keys(schema.getQueryType()!.getFields()).map((name) => ['query', name] as const),
  ...Object.keys(schema.getMutationType()!.getFields()).map((name) => ['mutation', name] as const),
  // Public by design: health, and certificate verification by code (tests/api/certificates.test.ts).
].filter(([, name]) => name !== 'health' && name !== 'verifyCertificate' && !name.startsWith('_'));

describe('without an Authorization header', () => {
  it('{ health } answers', async () => {
    const response = await server.request<{ health: string }>('{ health }');

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ health: 'ok' });
  });

  it('{ verifyCertificate } answers (null for an unknown code)', async () => {
    const response = await server.request<{ verifyCertificate: null }>(
      '{ verifyCertificate(code: "unknown-unknown-unknown-1") { status } }',
    );

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ verifyCertificate: null });
  });

  it.each(PROTECTED)('%s %s is UNAUTHENTICATED and writes nothing', async (operation, field) => {
    const before = await everything();

    const response = await server.request(minimalCall(operation, field));

    expect(response.status).toBe(401);
    expect(errorCode(response), JSON.stringify(response.errors)).toBe('UNAUTHENTICATED');
    expect(response.errors![0]!.message).toMatch(/Authorization: Bearer/);
    expect((response.data as Record<string, unknown> | null | undefined)?.[field] ?? null).toBeNull();
    expect(await everything()).toEqual(before);
  });

  it('federation entity look-ups are UNAUTHENTICATED too', async () => {
    const course = (
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'Secret', category: 'OTHER' } })
    ).data!.createTrainingCourse;

    const response = await server.request(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id title } } }',
      { r: [{ __typename: 'Course', id: course.id }] },
    );

    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(response)).not.toContain('Secret');
  });

  it('an empty Authorization header counts as none', async () => {
    const response = await server.request(TrainingCoursesDocument, {}, '');

    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  });
});

describe('bad credentials are UNAUTHENTICATED with a clear message, and write nothing', () => {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['a non-Bearer scheme', async () => `Token ${await token({ userId, tenantId })}`, /Malformed Authorization header/],
    ['Basic credentials', async () => 'Basic YWRtaW46YWRtaW4=', /Malformed Authorization header/],
    ['"Bearer" without a token', async () => 'Bearer', /Malformed Authorization header/],
    ['a token with spaces', async () => 'Bearer abc def', /Malformed Authorization header/],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt', /^Invalid token$/],
    [
      'a token signed with another secret',
      async () =>
        `Bearer ${await mintToken({ secret: 'another-secret-of-sufficient-length-0123456789', userId, tenantId, role: 'admin' })}`,
      /^Invalid token$/,
    ],
    [
      'an unsigned token (alg: none)',
      async () =>
        `Bearer ${new UnsecuredJWT({ tenant_id: tenantId, role: 'admin' }).setSubject(userId).setExpirationTime('1h').encode()}`,
      /^Invalid token$/,
    ],
    [
      'an expired token',
      async () =>
        `Bearer ${await mintToken({ secret: TEST_JWT_SECRET, userId, tenantId, role: 'admin', expiresIn: '-1s' })}`,
      /^Token expired$/,
    ],
    ['a sub that is not a uuid', async () => `Bearer ${await token({ userId: 'alice', tenantId })}`, /sub must be/],
    [
      'a tenant_id that is not a uuid',
      async () => `Bearer ${await token({ userId, tenantId: 'acme-corp' })}`,
      /tenant_id must be a uuid/,
    ],
    [
      'no tenant_id claim',
      async () =>
        `Bearer ${await new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(userId)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      /tenant_id must be a uuid/,
    ],
    [
      'a token without exp',
      async () => `Bearer ${await signed({ sub: userId, tenant_id: tenantId })}`,
      /exp \(expiry\) claim is required/,
    ],
    [
      'a token issued more than the clock skew in the future (iat)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${await signed({ sub: userId, tenant_id: tenantId, iat: now + 3600, exp: now + 7200 })}`;
      },
      /issued in the future/,
    ],
    [
      'a token not valid until later (nbf beyond the clock skew)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${await signed({ sub: userId, tenant_id: tenantId, nbf: now + 3600, exp: now + 7200 })}`;
      },
      /not valid yet/,
    ],
    [
      'a token living longer than the maximum lifetime (31 days)',
      async () =>
        `Bearer ${await mintToken({ secret: TEST_JWT_SECRET, userId, tenantId, role: 'admin', expiresIn: '31d' })}`,
      /lifetime .* longer than the maximum of 2592000 s/,
    ],
    [
      'an unknown role',
      async () => `Bearer ${await token({ userId, tenantId, role: 'superuser' })}`,
      /role must be one of admin, safety_officer, worker, service/,
    ],
    [
      'no role claim',
      async () =>
        `Bearer ${await new SignJWT({ tenant_id: tenantId })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(userId)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      /role must be one of/,
    ],
  ];

  it.each(cases)('%s', async (_case, authorization, message) => {
    const header = await authorization();
    const before = await everything();

    const response = await server.request(
      CreateTrainingCourseDocument,
      { input: { title: 'Should not exist', category: 'OTHER' } },
      header,
    );

    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(response.errors![0]!.message).toMatch(message);
    expect(response.data ?? null).toBeNull();
    expect(await everything()).toEqual(before);
    expect(await profile(userId)).toBeUndefined();
  });
});

/** An HS256 token with exactly these claims (role admin unless given): no exp, iat or nbf unless listed. */
const signed = (claims: Record<string, unknown>) =>
  new SignJWT({ role: 'admin', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));

describe('token times', () => {
  const me = (authorization: string) => server.request<{ me: { id: string } }>('{ me { id } }', {}, authorization);

  it('iat and nbf a little ahead (within the 60 s clock skew) are accepted', async () => {
    const userId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: userId, tenant_id: randomUUID(), iat: now + 30, nbf: now + 30, exp: now + 3600 };

    const response = await me(`Bearer ${await signed(claims)}`);

    expect(response.errors).toBeUndefined();
    expect(response.data?.me.id).toBe(userId);
  });

  it('a token expired a second ago is refused at once (no tolerance on exp)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const response = await me(`Bearer ${await signed({ sub: randomUUID(), tenant_id: randomUUID(), exp: now - 1 })}`);

    expect(response.status).toBe(401);
    expect(response.errors![0]!.message).toBe('Token expired');
  });
});

describe("the caller's profile, from the token's claims", () => {
  const me = (authorization: string) => server.request<{ me: { id: string } }>('{ me { id } }', {}, authorization);

  it('is created on first use, with name, email and role', async () => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    expect(await profile(userId)).toBeUndefined();

    const response = await me(
      `Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada Lovelace', email: 'ada@example.com' })}`,
    );

    expect(response.data?.me.id).toBe(userId);
    expect(await profile(userId)).toMatchObject({
      id: userId,
      tenant_id: tenantId,
      display_name: 'Ada Lovelace',
      email: 'ada@example.com',
      role: 'worker',
    });
  });

  it('is refreshed when the claims change, and kept when a claim is absent', async () => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    await me(
      `Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada Lovelace', email: 'ada@example.com' })}`,
    );

    await me(
      `Bearer ${await token({ userId, tenantId, role: 'safety_officer', name: 'Ada King', email: 'ada.king@example.com' })}`,
    );
    expect(await profile(userId)).toMatchObject({
      display_name: 'Ada King',
      email: 'ada.king@example.com',
      role: 'safety_officer',
    });

    await me(`Bearer ${await token({ userId, tenantId, role: 'safety_officer' })}`);
    expect(await profile(userId)).toMatchObject({ display_name: 'Ada King', email: 'ada.king@example.com' });
  });

  it('is stored from sanitised claims: control characters and lone surrogates replaced, lengths capped', async () => {
    const userId = randomUUID();
    const name = `Ada\u0000Love\u0007\u001b[31mlace \uD800 ${'x'.repeat(400)}`;

    const response = await me(`Bearer ${await token({ userId, role: 'worker', name, email: 'ada@example.com' })}`);

    expect(response.errors).toBeUndefined();
    const stored = (await profile(userId)) as { display_name: string; email: string };
    expect(stored.display_name).toHaveLength(200);
    expect(stored.display_name.startsWith('Ada Love [31mlace \uFFFD xxx')).toBe(true);
    expect([...stored.display_name].some((character) => character.charCodeAt(0) < 0x20)).toBe(false);
    expect(stored.email).toBe('ada@example.com');
  });

  it.each([
    ['a NUL character', 'ada\u0000@example.com'],
    ['a control character', 'ada@exa\u0001mple.com'],
    ['a lone surrogate', 'ada\uD800@example.com'],
    ['no @', 'ada.example.com'],
    ['over 254 characters', `${'a'.repeat(243)}@example.com`],
    ['a second address after a comma', 'ada@example.com, spy@evil.example'],
  ])('drops an email claim with %s: the request succeeds and the stored email is kept', async (_case, email) => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    await me(`Bearer ${await token({ userId, tenantId, role: 'worker', email: 'ada@example.com' })}`);

    const response = await me(`Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada\u0000', email })}`);

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(await profile(userId)).toMatchObject({ display_name: 'Ada', email: 'ada@example.com' });
  });

  it('a NUL in the claims does not close a subscription socket (no 1013): it connects', async () => {
    const userId = randomUUID();
    const live = liveClient(
      server.url,
      await token({ userId, role: 'worker', name: 'Nul\u0000Name', email: 'nul\u0000@example.com' }),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        live.client.on('connected', () => resolve());
        void live.closed.then((close) => reject(new Error(`closed ${close.code} ${close.reason}`)));
      });
      expect(await profile(userId)).toMatchObject({ display_name: 'Nul Name', email: null });
    } finally {
      await live.dispose();
    }
  });

  it('is what makes a user assignable: unknown until they have signed in once', async () => {
    const course = (
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'Induction', category: 'COMPLIANCE' } })
    ).data!.createTrainingCourse;
    const newcomer = await server.actor('worker', { tenantId: admin.tenantId, name: 'New Starter' });
    const assign = () =>
      admin.request(AssignTrainingCourseDocument, {
        input: { courseId: course.id, userId: newcomer.userId, dueDate: dayFromToday(7) },
      });

    expect(errorCode(await assign())).toBe('NOT_FOUND');
    await newcomer.request(TrainingAssignmentsDocument, {});
    const assigned = await assign();

    expect(assigned.errors).toBeUndefined();
    expect(assigned.data?.assignTrainingCourse.user.id).toBe(newcomer.userId);
  });
});

describe('errors tell the client what went wrong, and nothing more', () => {
  /** What must never reach a client: stack traces, SQL, driver names, database object names. */
  function expectNothingLeaked(response: GraphQLResponse<unknown>, foreign: string[] = []): void {
    const raw = JSON.stringify(response);
    expect(response.errors?.length, raw).toBeGreaterThan(0);
    expect(raw).not.toMatch(/stacktrace|exception/i);
    expect(raw).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET|WHERE)\b/i);
    expect(raw).not.toMatch(/prisma|pglite|postgres|node_modules|\.ts:\d+|\.js:\d+/i);
    expect(raw).not.toMatch(
      /duplicate key|violates|constraint|relation "|row-level security|training_(courses|assignments|completions)/i,
    );
    for (const value of foreign) expect(raw).not.toContain(value);
  }

  let other: Actor;
  let theirCourse: { id: string; title: string };
  beforeAll(async () => {
    other = await server.actor('admin', { name: 'Other Tenant Admin' });
    theirCourse = (
      await other.request(CreateTrainingCourseDocument, {
        input: { title: 'Their confidential course', category: 'OTHER' },
      })
    ).data!.createTrainingCourse;
  });
  const foreign = () => [other.tenantId, other.userId, theirCourse.title];

  it('CONFLICT from the database (duplicate active assignment) hides the constraint', async () => {
    const course = (await admin.request(CreateTrainingCourseDocument, { input: { title: 'Twice', category: 'OTHER' } }))
      .data!.createTrainingCourse;
    const input = { courseId: course.id, userId: admin.userId, dueDate: dayFromToday(5) };
    expect((await admin.request(AssignTrainingCourseDocument, { input })).errors).toBeUndefined();

    const response = await admin.request(AssignTrainingCourseDocument, { input });

    expect(errorCode(response)).toBe('CONFLICT');
    expectNothingLeaked(response);
  });

  it("NOT_FOUND for another tenant's course tells nothing about that tenant", async () => {
    const update = await admin.request(UpdateTrainingCourseDocument, { id: theirCourse.id, input: { title: 'x' } });
    const assign = await admin.request(AssignTrainingCourseDocument, {
      input: { courseId: theirCourse.id, userId: admin.userId, dueDate: dayFromToday(5) },
    });

    expect(errorCode(update)).toBe('NOT_FOUND');
    expect(errorCode(assign)).toBe('NOT_FOUND');
    expectNothingLeaked(update, foreign());
    expectNothingLeaked(assign, foreign());
  });

  it('FORBIDDEN, UNAUTHENTICATED and BAD_USER_INPUT responses are clean', async () => {
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    const responses = [
      await worker.request(CreateTrainingCourseDocument, { input: { title: 'No', category: 'OTHER' } }),
      await worker.request(TrainingAssignmentsDocument, { filter: { userId: admin.userId } }),
      await server.request(TrainingCoursesDocument, {}, 'Bearer not-a-jwt'),
      await admin.request(CreateTrainingCourseDocument, { input: { title: '', category: 'OTHER' } }),
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'x', category: 'WRONG' as 'OTHER' } }),
      await admin.request('{ trainingCourses { nodes { id secretColumn } } }'),
      await admin.request('{ trainingCourses {'),
    ];

    for (const response of responses) expectNothingLeaked(response, foreign());
  });

  it('malformed values that reach the database or the pager are not echoed with internals', async () => {
    const responses = [
      // PostgreSQL text cannot hold NUL.
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'Nul\u0000byte', category: 'OTHER' } }),
      await admin.request(TrainingCoursesDocument, { after: 'not-a-cursor' }),
      await admin.request(TrainingCoursesDocument, { first: -1 }),
    ];

    for (const response of responses) expectNothingLeaked(response, foreign());
  });
});

describe('an unexpected internal error', () => {
  it('is masked as INTERNAL_SERVER_ERROR "Internal server error" (database closed under a running server)', async () => {
    // A throwaway server, so this file's server keeps its database.
    const broken = await startTestServer();
    try {
      const caller = await broken.actor('admin');
      expect((await caller.request(TrainingCoursesDocument, {})).errors).toBeUndefined();
      await broken.app.db.close();

      const response = await caller.request(TrainingCoursesDocument, {});

      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(Object.keys(response.errors![0]!.extensions!)).toEqual(['code']);
      expectNoInternals(JSON.stringify(response));
    } finally {
      await broken.app.stop().catch(() => {});
      if (broken.db.url) await dropDatabase(broken.db.url);
    }
  });
});

function expectNoInternals(raw: string): void {
  expect(raw).not.toMatch(/stacktrace|prisma|pglite|pool|closed|SELECT|\.ts:\d+|\.js:\d+/i);
}

/** The throwaway server's database is closed, so its own `stop()` cannot drop it. */
async function dropDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
