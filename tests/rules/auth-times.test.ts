import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, lifetimeProblem, mintToken } from '../../src/core/auth.js';
import type { AuthConfig } from '../../src/core/config.js';

/**
 * The edges of the token time rules, on a stopped clock: `exp` (refused at the second it names), `iat` (at
 * most the clock skew ahead), the lifetime (at most the maximum plus the skew, counted from the earlier of
 * `iat` and now), and the verified-token memory (a remembered token is not checked again until its `exp`,
 * and the memory is emptied when it holds 10,000 tokens). Verifiers are made inside each test, so a
 * mutation run can tell which tests reach them.
 */

const SECRET = 'a-shared-secret-for-the-auth-time-tests-0123456789';
const KEY = new TextEncoder().encode(SECRET);
const DAY = 24 * 3600;
const MAX = 30 * DAY;
/** The stopped clock, in seconds. */
const T = 1_900_000_000;

const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  jwtSecret: SECRET,
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
  developmentSecret: false,
  ...overrides,
});

/** A token with exactly these times (and no others). */
const token = (times: JWTPayload) =>
  new SignJWT({ sub: randomUUID(), tenant_id: randomUUID(), role: 'worker', ...times })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(KEY);

/** "accepted", or the refusal's message. */
const outcome = (verify: (token: string) => Promise<unknown>, text: string) =>
  verify(text).then(
    () => 'accepted',
    (error: Error) => error.message,
  );

const at = (seconds: number) => vi.setSystemTime(seconds * 1000);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(T);
});
afterEach(() => vi.useRealTimers());

describe('exp', () => {
  it('is refused the second it names, accepted the second before', async () => {
    const verify = createTokenVerifier(config());

    expect(await outcome(verify, await token({ iat: T, exp: T }))).toBe('Token expired');
    expect(await outcome(verify, await token({ iat: T, exp: T + 1 }))).toBe('accepted');
  });

  it('long past (beyond the clock skew, where the JWT library refuses it first) is "Token expired" too', async () => {
    expect(await outcome(createTokenVerifier(config()), await token({ iat: T - 7200, exp: T - 3600 }))).toBe(
      'Token expired',
    );
  });
});

describe('iat', () => {
  const future = (skew: number) =>
    `Invalid token: issued in the future (iat is more than ${skew} s ahead of the server clock)`;

  it('may be exactly the skew ahead (60 s by default), not a second more', async () => {
    const verify = createTokenVerifier(config());

    expect(await outcome(verify, await token({ iat: T + 60, exp: T + 3600 }))).toBe('accepted');
    expect(await outcome(verify, await token({ iat: T + 61, exp: T + 3600 }))).toBe(future(60));
  });

  it('with no skew, may be now and not a second later', async () => {
    const verify = createTokenVerifier(config({ clockSkewSeconds: 0 }));

    expect(await outcome(verify, await token({ iat: T, exp: T + 3600 }))).toBe('accepted');
    expect(await outcome(verify, await token({ iat: T + 1, exp: T + 3600 }))).toBe(future(0));
  });
});

describe('lifetime', () => {
  const tooLong = `Invalid token: lifetime (exp - iat) longer than the maximum of ${MAX} s`;

  it('may be the maximum plus the skew, not a second more', async () => {
    const verify = createTokenVerifier(config());

    expect(await outcome(verify, await token({ iat: T, exp: T + MAX + 60 }))).toBe('accepted');
    expect(await outcome(verify, await token({ iat: T, exp: T + MAX + 61 }))).toBe(tooLong);
  });

  it('is counted from now without iat', async () => {
    const verify = createTokenVerifier(config());

    expect(await outcome(verify, await token({ exp: T + MAX + 60 }))).toBe('accepted');
    expect(await outcome(verify, await token({ exp: T + MAX + 61 }))).toBe(tooLong);
  });

  it('is counted from iat when it is past: what is left of a too-long token does not make it acceptable', async () => {
    expect(await outcome(createTokenVerifier(config()), await token({ iat: T - 10 * DAY, exp: T + 25 * DAY }))).toBe(
      tooLong,
    );
  });

  it('is counted from now when iat is ahead (within the skew)', async () => {
    const verify = createTokenVerifier(config());

    expect(await outcome(verify, await token({ iat: T + 30, exp: T + MAX + 60 }))).toBe('accepted');
    expect(await outcome(verify, await token({ iat: T + 30, exp: T + MAX + 61 }))).toBe(tooLong);
  });

  it('follows JWT_MAX_LIFETIME_SECONDS', async () => {
    const verify = createTokenVerifier(config({ maxTokenLifetimeSeconds: 3600, clockSkewSeconds: 0 }));

    expect(await outcome(verify, await token({ iat: T, exp: T + 3600 }))).toBe('accepted');
    expect(await outcome(verify, await token({ iat: T, exp: T + 3601 }))).toBe(
      'Invalid token: lifetime (exp - iat) longer than the maximum of 3600 s',
    );
  });

  it('lifetimeProblem, the rule npm run token shares: at most the maximum plus the skew', () => {
    expect(lifetimeProblem(100, 100, 0)).toBeUndefined();
    expect(lifetimeProblem(101, 100, 0)).toBe('lifetime (exp - iat) longer than the maximum of 100 s');
    expect(lifetimeProblem(160, 100, 60)).toBeUndefined();
    expect(lifetimeProblem(161, 100, 60)).toBe('lifetime (exp - iat) longer than the maximum of 100 s');
  });
});

describe('verified tokens are remembered until their exp', () => {
  const future = 'Invalid token: issued in the future (iat is more than 60 s ahead of the server clock)';

  it('a remembered token is accepted without a second check; a verifier that never saw it checks and refuses', async () => {
    const verify = createTokenVerifier(config());
    const first = await token({ iat: T, exp: T + 3600 });
    const second = await token({ iat: T, exp: T + 3600 });
    expect(await outcome(verify, first)).toBe('accepted');
    expect(await outcome(verify, second)).toBe('accepted');

    // The clock set back an hour: checked again, both would now be issued in the future.
    at(T - 3600);
    expect(await outcome(verify, first)).toBe('accepted');
    expect(await outcome(verify, second)).toBe('accepted');
    expect(await outcome(createTokenVerifier(config()), first)).toBe(future);
  });

  it('until the second its exp names, not that second', async () => {
    const verify = createTokenVerifier(config());
    const remembered = await token({ iat: T, exp: T + 60 });
    expect(await outcome(verify, remembered)).toBe('accepted');

    at(T + 59);
    expect(await outcome(verify, remembered)).toBe('accepted');
    at(T + 60);
    expect(await outcome(verify, remembered)).toBe('Token expired');
  });

  it('the memory is emptied when it holds 10,000 tokens: the 10,001st makes it forget the first', async () => {
    const verify = createTokenVerifier(config());
    const tokens = await Promise.all(Array.from({ length: 10_001 }, () => token({ iat: T, exp: T + 3600 })));
    for (const text of tokens.slice(0, 10_000)) await verify(text);
    at(T - 3600);
    expect(await outcome(verify, tokens[0]!)).toBe('accepted');

    at(T);
    await verify(tokens[10_000]!);
    at(T - 3600);
    expect(await outcome(verify, tokens[10_000]!)).toBe('accepted');
    expect(await outcome(verify, tokens[1]!)).toBe(future);
  });
});

describe('mintToken', () => {
  it('leaves out an empty name or email', async () => {
    const minted = await mintToken({
      secret: SECRET,
      userId: randomUUID(),
      tenantId: randomUUID(),
      role: 'worker',
      name: '',
      email: '',
    });

    expect(Object.keys(decodeJwt(minted)).sort()).toEqual(['exp', 'iat', 'role', 'sub', 'tenant_id']);
  });
});
