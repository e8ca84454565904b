import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearerToken, createTokenVerifier, isUuid, mintToken } from '../../src/core/auth.js';
import type { AuthConfig } from '../../src/core/config.js';

/**
 * Token verification: HS256 with the shared secret and nothing else, RS256/ES256 against a JWKS
 * this test serves over real HTTP (with key rotation), issuer and audience when configured, and
 * the claims a token must carry.
 */

const SECRET = 'a-shared-secret-for-the-auth-rule-tests-0123456789';
const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'safety-training-api';

const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  jwtSecret: undefined,
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
  developmentSecret: false,
  ...overrides,
});

const userId = randomUUID();
const tenantId = randomUUID();
const claims = { sub: userId, tenant_id: tenantId, role: 'safety_officer' };

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
interface Signer {
  key: SigningKey;
  alg: string;
  kid?: string;
}

/** A signed token; `claims` may carry any JSON, including bad `sub` types, and iss/aud. */
function sign(signer: Signer, payload: JWTPayload = claims, expiresIn = '1h'): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, ...(signer.kid ? { kid: signer.kid } : {}) })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(signer.key);
}

const hmac = (alg: string): Signer => ({ key: new TextEncoder().encode(SECRET) as unknown as SigningKey, alg });

/** Resolves to the error message a verification fails with (the test fails if it succeeds). */
async function refusal(promise: Promise<unknown>): Promise<{ message: string; code?: string }> {
  const outcome = await promise.then(
    (identity) => ({ accepted: identity }),
    (error: { message: string; extensions?: { code?: string } }) => ({
      refused: { message: error.message, code: error.extensions?.code },
    }),
  );
  if ('accepted' in outcome) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.accepted)}`);
  return outcome.refused;
}

describe('HS256 with the shared secret', () => {
  it('accepts a token signed with the secret and returns the caller', async () => {
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));
    const token = await sign(hmac('HS256'), { ...claims, name: 'Ada', email: 'ada@example.com' });

    expect(await verify(token)).toEqual({
      userId,
      tenantId,
      role: 'safety_officer',
      name: 'Ada',
      email: 'ada@example.com',
    });
  });

  it.each(['HS384', 'HS512'])('refuses %s even when signed with the same secret', async (alg) => {
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));

    expect(await refusal(verify(await sign(hmac(alg))))).toEqual({ message: 'Invalid token', code: 'UNAUTHENTICATED' });
  });

  it('refuses a token signed with another secret', async () => {
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));
    const other = new TextEncoder().encode(`${SECRET}-other`) as unknown as SigningKey;

    expect((await refusal(verify(await sign({ key: other, alg: 'HS256' })))).message).toBe('Invalid token');
  });

  it('says so when the token has expired', async () => {
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));

    expect(await refusal(verify(await sign(hmac('HS256'), claims, '-1s')))).toEqual({
      message: 'Token expired',
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('verified tokens are remembered until they expire, never past exp', () => {
  afterEach(() => vi.useRealTimers());

  it('a remembered token is refused once its exp has passed; another signature is never taken for it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));
    const token = await sign(hmac('HS256'), claims, '60s');
    const caller = await verify(token);
    expect(await verify(token)).toEqual(caller);
    // Same header and claims, another signature: not the remembered token's text, so it is checked, and refused.
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    expect((await refusal(verify(forged))).message).toBe('Invalid token');
    vi.setSystemTime(Date.now() + 61_000);
    expect(await refusal(verify(token))).toEqual({ message: 'Token expired', code: 'UNAUTHENTICATED' });
  });
});

describe('token times: exp required, a bounded clock skew, a bounded lifetime', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** Exactly these claims: no iat or exp added. */
  const raw = (payload: JWTPayload) =>
    new SignJWT({ ...claims, ...payload }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  const verify = (overrides: Partial<AuthConfig> = {}) =>
    createTokenVerifier(config({ jwtSecret: SECRET, ...overrides }));

  it('refuses a token without exp', async () => {
    expect(await refusal(verify()(await raw({ iat: now() })))).toEqual({
      message: 'Invalid token: an exp (expiry) claim is required',
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses an exp that is not a number', async () => {
    expect((await refusal(verify()(await raw({ exp: 'tomorrow' as unknown as number })))).message).toBe(
      'Invalid token: exp must be a number',
    );
  });

  it('refuses a token expired one second ago, with no tolerance', async () => {
    expect((await refusal(verify()(await raw({ exp: now() - 1 })))).message).toBe('Token expired');
  });

  it.each([
    ['iat', 'Invalid token: issued in the future (iat is more than 60 s ahead of the server clock)'],
    ['nbf', 'Invalid token: not valid yet (nbf is in the future)'],
  ])('accepts %s up to 60 s ahead by default, refuses it further ahead', async (claim, message) => {
    const within = await raw({ [claim]: now() + 55, exp: now() + 3600 });
    const beyond = await raw({ [claim]: now() + 120, exp: now() + 3600 });

    expect((await verify()(within)).userId).toBe(userId);
    expect((await refusal(verify()(beyond))).message).toBe(message);
  });

  it('takes the skew from the configuration (JWT_CLOCK_SKEW_SECONDS)', async () => {
    const token = await raw({ iat: now() + 120, nbf: now() + 120, exp: now() + 3600 });

    expect((await verify({ clockSkewSeconds: 300 })(token)).userId).toBe(userId);
    expect(
      (await refusal(verify({ clockSkewSeconds: 0 })(await raw({ iat: now() + 5, exp: now() + 60 })))).message,
    ).toMatch(/issued in the future/);
  });

  it('refuses a lifetime over the maximum (30 days by default), counted from iat or, without it, from now', async () => {
    const day = 24 * 3600;
    expect((await verify()(await raw({ iat: now(), exp: now() + 30 * day }))).userId).toBe(userId);
    expect((await refusal(verify()(await raw({ iat: now(), exp: now() + 31 * day })))).message).toBe(
      'Invalid token: lifetime (exp - iat) longer than the maximum of 2592000 s',
    );
    expect((await refusal(verify()(await raw({ exp: now() + 31 * day })))).message).toMatch(/lifetime/);
    expect((await verify({ maxTokenLifetimeSeconds: 400 * day })(await raw({ exp: now() + 365 * day }))).userId).toBe(
      userId,
    );
  });
});

describe('profile claims are sanitised, never a refusal', () => {
  // Made per call, inside the test, so that a mutation run can tell which tests reach it.
  const identity = async (extra: JWTPayload) =>
    createTokenVerifier(config({ jwtSecret: SECRET }))(await sign(hmac('HS256'), { ...claims, ...extra }));

  it.each([
    ['control characters become one space', 'Ada\u0000\u0001Lovelace', 'Ada Lovelace'],
    ['C1 controls and DEL too', 'Ada\u007f\u0085King', 'Ada King'],
    ['a lone surrogate becomes U+FFFD', 'Ada \uD800', 'Ada \uFFFD'],
    ['surrounding space is trimmed', '  Ada  ', 'Ada'],
    ['only controls and spaces: no name', '\u0000 \u0007', undefined],
    ['not a string: no name', 42, undefined],
  ])('name: %s', async (_case, name, expected) => {
    expect((await identity({ name })).name).toBe(expected);
  });

  it('name: cut to 200 characters without splitting a character in two', async () => {
    expect((await identity({ name: 'x'.repeat(500) })).name).toBe('x'.repeat(200));
    const cut = (await identity({ name: `${'x'.repeat(199)}\u{1F9BA}` })).name!;
    expect(cut).toBe('x'.repeat(199));
  });

  it.each([
    ['a plain address is kept', ' ada@example.com ', 'ada@example.com'],
    ['254 characters are kept', `${'a'.repeat(242)}@example.com`, `${'a'.repeat(242)}@example.com`],
    ['255 characters are dropped', `${'a'.repeat(243)}@example.com`, undefined],
    ['a list is dropped', 'ada@example.com, spy@evil.example', undefined],
    ['a line break is dropped', 'ada@example.com\r\nBcc: spy@evil.example', undefined],
    ['a trailing line break is dropped', 'ada@example.com\n', undefined],
    ['a display name is dropped', 'Ada <ada@example.com>', undefined],
    ['a semicolon is dropped', 'ada@example.com;spy@evil.example', undefined],
    ['a domain without a dot is dropped', 'ada@example', undefined],
    ['localhost is kept', 'ada@localhost', 'ada@localhost'],
    ['NUL is dropped', 'ada\u0000@example.com', undefined],
    ['a control character is dropped', 'ada@example.com\u0085x', undefined],
    ['a lone surrogate is dropped', 'ada\uDC00@example.com', undefined],
    ['inner whitespace is dropped', 'ada lovelace@example.com', undefined],
    ['no @ is dropped', 'ada.example.com', undefined],
    ['two @ are dropped', 'ada@@example.com', undefined],
    ['empty is dropped', '   ', undefined],
    ['not a string is dropped', ['ada@example.com'], undefined],
  ])('email: %s', async (_case, email, expected) => {
    expect((await identity({ email })).email).toBe(expected);
  });
});

describe('issuer and audience, when configured', () => {
  const strict = () => createTokenVerifier(config({ jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE }));

  it('accept a token from that issuer for that audience', async () => {
    const token = await sign(hmac('HS256'), { ...claims, iss: ISSUER, aud: AUDIENCE });

    expect((await strict()(token)).userId).toBe(userId);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.com/', aud: AUDIENCE }],
    ['no issuer', { aud: AUDIENCE }],
    ['another audience', { iss: ISSUER, aud: 'another-api' }],
    ['no audience', { iss: ISSUER }],
  ])('refuse a token with %s', async (_case, extra) => {
    expect((await refusal(strict()(await sign(hmac('HS256'), { ...claims, ...extra })))).message).toBe('Invalid token');
  });

  it('are not required when not configured', async () => {
    const verify = createTokenVerifier(config({ jwtSecret: SECRET }));
    const token = await sign(hmac('HS256'), { ...claims, iss: 'anyone', aud: 'anything' });

    expect((await verify(token)).userId).toBe(userId);
  });
});

describe('RS256 and ES256 against a JWKS served over HTTP', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let published: JWK[] = [];
  let fetches = 0;
  const signers: Record<string, Signer> = {};

  async function signer(alg: 'RS256' | 'ES256' | 'ES384' | 'PS256', kid: string): Promise<Signer> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return Object.assign({ key: privateKey, alg, kid }, { jwk });
  }
  const jwkOf = (s: Signer) => (s as Signer & { jwk: JWK }).jwk;

  beforeAll(async () => {
    signers.rsa = await signer('RS256', 'rsa-2026');
    signers.ec = await signer('ES256', 'ec-2026');
    signers.next = await signer('RS256', 'rsa-2027');
    signers.es384 = await signer('ES384', 'ec384');
    signers.unpublished = await signer('RS256', 'unpublished');
    jwksServer = createServer((_request, response) => {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));
  afterEach(() => {
    vi.useRealTimers();
  });

  const jwksVerifier = (extra: Partial<AuthConfig> = {}) => createTokenVerifier(config({ jwksUrl, ...extra }));

  it('accepts RS256 and ES256 tokens signed by published keys', async () => {
    published = [jwkOf(signers.rsa!), jwkOf(signers.ec!)];
    const verify = jwksVerifier();

    expect((await verify(await sign(signers.rsa!))).userId).toBe(userId);
    expect((await verify(await sign(signers.ec!))).tenantId).toBe(tenantId);
  });

  it('refuses a token whose kid the JWKS does not publish', async () => {
    published = [jwkOf(signers.rsa!)];
    const verify = jwksVerifier();

    expect(await refusal(verify(await sign(signers.unpublished!)))).toEqual({
      message: 'Invalid token',
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses a published key with an algorithm other than RS256 or ES256', async () => {
    published = [jwkOf(signers.es384!)];
    const verify = jwksVerifier();

    expect((await refusal(verify(await sign(signers.es384!)))).message).toBe('Invalid token');
  });

  it('uses only the JWKS when a secret is configured too: an HS256 token is refused', async () => {
    published = [jwkOf(signers.rsa!)];
    const verify = jwksVerifier({ jwtSecret: SECRET });

    expect(await refusal(verify(await sign(hmac('HS256'))))).toEqual({
      message: 'Invalid token',
      code: 'UNAUTHENTICATED',
    });
  });

  it('follows a key rotation: a token from a newly published key is accepted once the JWKS is fetched again', async () => {
    published = [jwkOf(signers.rsa!)];
    const verify = jwksVerifier();
    expect((await verify(await sign(signers.rsa!))).userId).toBe(userId);
    const fetchesBefore = fetches;

    published = [jwkOf(signers.rsa!), jwkOf(signers.next!)];
    // The JWKS is fetched again for an unknown kid at most every 30 s; move the clock past that.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31_000);

    expect((await verify(await sign(signers.next!))).userId).toBe(userId);
    expect(fetches).toBe(fetchesBefore + 1);
  });

  it('enforces issuer and audience on JWKS tokens too', async () => {
    published = [jwkOf(signers.ec!)];
    const verify = jwksVerifier({ issuer: ISSUER, audience: AUDIENCE });

    expect((await verify(await sign(signers.ec!, { ...claims, iss: ISSUER, aud: AUDIENCE }))).userId).toBe(userId);
    expect(
      (await refusal(verify(await sign(signers.ec!, { ...claims, iss: 'https://evil.example.com/', aud: AUDIENCE }))))
        .message,
    ).toBe('Invalid token');
    expect(
      (await refusal(verify(await sign(signers.ec!, { ...claims, iss: ISSUER, aud: 'another-api' })))).message,
    ).toBe('Invalid token');
  });

  it('says so when a JWKS token has expired', async () => {
    published = [jwkOf(signers.rsa!)];

    expect((await refusal(jwksVerifier()(await sign(signers.rsa!, claims, '-1s')))).message).toBe('Token expired');
  });
});

describe('the claims a verified token must carry', () => {
  // The verifier is made inside each test (not while collecting them), so a mutation run can tell
  // which tests reach it.
  const withClaims = async (payload: JWTPayload) =>
    createTokenVerifier(config({ jwtSecret: SECRET }))(await sign(hmac('HS256'), payload));

  it('lower-cases the user and tenant ids', async () => {
    const identity = await withClaims({ ...claims, sub: userId.toUpperCase(), tenant_id: tenantId.toUpperCase() });

    expect(identity).toMatchObject({ userId, tenantId });
  });

  it('drops name and email claims that are not strings', async () => {
    const identity = await withClaims({ ...claims, name: 42, email: ['a@example.com'] });

    expect(identity.name).toBeUndefined();
    expect(identity.email).toBeUndefined();
  });

  it.each([
    ['a sub that is not a uuid', { sub: 'alice' }, 'Invalid token: sub must be a user id (uuid)'],
    ['a numeric sub', { sub: 42 as unknown as string }, 'Invalid token: sub must be a user id (uuid)'],
    ['no sub', { sub: undefined }, 'Invalid token: sub must be a user id (uuid)'],
    ['a tenant_id that is not a uuid', { tenant_id: 'acme' }, 'Invalid token: tenant_id must be a uuid'],
    ['a tenant_id that is a list holding a uuid', { tenant_id: [tenantId] }, 'Invalid token: tenant_id must be a uuid'],
    ['an unknown role', { role: 'root' }, 'Invalid token: role must be one of admin, safety_officer, worker, service'],
    ['no role', { role: undefined }, 'Invalid token: role must be one of admin, safety_officer, worker, service'],
  ])('refuses %s, saying which claim', async (_case, override, message) => {
    expect(await refusal(withClaims({ ...claims, ...override }))).toEqual({ message, code: 'UNAUTHENTICATED' });
  });

  it.each(['admin', 'safety_officer', 'worker', 'service'])('accepts the role %s', async (role) => {
    expect((await withClaims({ ...claims, role })).role).toBe(role);
  });
});

describe('isUuid', () => {
  const id = '6f0b1e4c-3a7d-4c1e-9f2a-8b5d7c9e0a11';

  it('accepts a version 1–8 UUID of the RFC variant, in either case', () => {
    for (const value of [
      id,
      id.toUpperCase(),
      '6f0b1e4c-3a7d-1c1e-8f2a-8b5d7c9e0a11',
      '6f0b1e4c-3a7d-8c1e-bf2a-8b5d7c9e0a11',
    ]) {
      expect(isUuid(value), value).toBe(true);
    }
  });

  it.each([
    ['text before it', `x${id}`],
    ['text after it', `${id}x`],
    ['version 0', '6f0b1e4c-3a7d-0c1e-9f2a-8b5d7c9e0a11'],
    ['version 9', '6f0b1e4c-3a7d-9c1e-9f2a-8b5d7c9e0a11'],
    ['another variant', '6f0b1e4c-3a7d-4c1e-cf2a-8b5d7c9e0a11'],
    ['a non-hex digit', '6f0b1e4g-3a7d-4c1e-9f2a-8b5d7c9e0a11'],
    ['a missing group', '6f0b1e4c-3a7d-4c1e-8b5d7c9e0a11'],
    ['short groups', '6f0b1e4-3a7d-4c1e-9f2a-8b5d7c9e0a11'],
    ['long groups', '6f0b1e4cc-3a7d-4c1e-9f2a-8b5d7c9e0a11'],
    ['no dashes', '6f0b1e4c3a7d4c1e9f2a8b5d7c9e0a11'],
  ])('refuses %s', (_case, value) => {
    expect(isUuid(value)).toBe(false);
  });

  it('refuses what is not a string, even when it reads as a uuid', () => {
    expect(isUuid([id])).toBe(false);
    expect(isUuid({ toString: () => id })).toBe(false);
    expect(isUuid(42)).toBe(false);
    expect(isUuid(undefined)).toBe(false);
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header, in any case, with spacing around it', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER   abc  ')).toBe('abc');
  });

  it('treats a missing or empty header as no credentials', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
  });

  it.each([
    'Basic YWRtaW46YWRtaW4=',
    'Bearer',
    'Bearer ',
    'Bearer abc def',
    'xBearer abc',
    'Token Bearer abc',
    'Bearerabc',
  ])('refuses %j', (header) => {
    let message: string | undefined;
    try {
      bearerToken(header);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('Malformed Authorization header: expected "Bearer <token>"');
  });
});

describe('mintToken', () => {
  it('mints an HS256 token valid for 12 hours with the caller claims, and profile claims only when given', async () => {
    const token = await mintToken({ secret: SECRET, userId, tenantId, role: 'worker' });

    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ sub: userId, tenant_id: tenantId, role: 'worker' });
    expect(payload.exp! - payload.iat!).toBe(12 * 3600);
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'role', 'sub', 'tenant_id']);
    expect(await createTokenVerifier(config({ jwtSecret: SECRET }))(token)).toMatchObject({ userId, role: 'worker' });
  });

  it('carries name, email and a given lifetime', async () => {
    const token = await mintToken({
      secret: SECRET,
      userId,
      tenantId,
      role: 'admin',
      name: 'Ada',
      email: 'ada@example.com',
      expiresIn: '5m',
    });

    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ name: 'Ada', email: 'ada@example.com' });
    expect(payload.exp! - payload.iat!).toBe(300);
  });
});
