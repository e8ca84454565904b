import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
  type Signer,
  sign,
  hmac,
  refusal,
} from './auth-fixtures.js';

/** RS256 and ES256 against a JWKS this test serves over real HTTP, with key rotation. */

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
