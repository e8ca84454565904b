import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import { CreateTrainingCourseDocument, TrainingCoursesDocument } from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import { dayFromToday, errorCode, TEST_JWT_SECRET } from '../support/server.js';
import { server, admin, useAuthServer, profile, token, signed } from './auth-fixtures.js';

/** Who may call at all: calls without credentials, bad credentials, and token times. */

useAuthServer();

/** Every row the API can write, fingerprinted: any insert, update or delete changes it. */
const everything = () =>
  server.owner.fingerprints([
    'profiles',
    'training_courses',
    'training_assignments',
    'training_completions',
    'predictive_scores',
  ]);

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
  // Public by design: health, and certificate verification by code (tests/api/certificates-verification.test.ts).
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
