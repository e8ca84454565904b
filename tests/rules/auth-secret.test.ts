import { SignJWT, type JWTPayload } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier } from '../../src/core/auth.js';
import type { AuthConfig } from '../../src/core/config.js';
import {
  SECRET,
  ISSUER,
  AUDIENCE,
  config,
  userId,
  tenantId,
  claims,
  type SigningKey,
  sign,
  hmac,
  refusal,
} from './auth-fixtures.js';

/**
 * Verification with the shared secret: HS256, verified tokens remembered until exp, token times, and issuer and
 * audience when configured.
 */

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
