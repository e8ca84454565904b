import { type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, isUuid } from '../../src/core/auth.js';
import { SECRET, config, userId, tenantId, claims, sign, hmac, refusal } from './auth-fixtures.js';

/** The claims a verified token yields: profile claims sanitised, the ids it must carry, and isUuid. */

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
