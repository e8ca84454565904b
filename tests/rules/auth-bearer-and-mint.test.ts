import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken, createTokenVerifier, mintToken } from '../../src/core/auth.js';
import { SECRET, config, userId, tenantId } from './auth-fixtures.js';

/** Reading the Bearer header (bearerToken) and minting a token (mintToken). */

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
