import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { AuthConfig } from '../../src/core/config.js';

/**
 * Shared by the auth-*.test.ts rule files (token verification: HS256 with the shared secret and nothing else,
 * RS256/ES256 against a JWKS served over real HTTP, issuer and audience when configured, and the claims a token
 * must carry): the configuration, the caller's claims, and signing and refusal helpers.
 */

export const SECRET = 'a-shared-secret-for-the-auth-rule-tests-0123456789';
export const ISSUER = 'https://login.example.com/';
export const AUDIENCE = 'safety-training-api';

export const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  jwtSecret: undefined,
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
  developmentSecret: false,
  ...overrides,
});

export const userId = randomUUID();
export const tenantId = randomUUID();
export const claims = { sub: userId, tenant_id: tenantId, role: 'safety_officer' };

export type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
export interface Signer {
  key: SigningKey;
  alg: string;
  kid?: string;
}

/** A signed token; `claims` may carry any JSON, including bad `sub` types, and iss/aud. */
export function sign(signer: Signer, payload: JWTPayload = claims, expiresIn = '1h'): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, ...(signer.kid ? { kid: signer.kid } : {}) })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(signer.key);
}

export const hmac = (alg: string): Signer => ({ key: new TextEncoder().encode(SECRET) as unknown as SigningKey, alg });

/** Resolves to the error message a verification fails with (the test fails if it succeeds). */
export async function refusal(promise: Promise<unknown>): Promise<{ message: string; code?: string }> {
  const outcome = await promise.then(
    (identity) => ({ accepted: identity }),
    (error: { message: string; extensions?: { code?: string } }) => ({
      refused: { message: error.message, code: error.extensions?.code },
    }),
  );
  if ('accepted' in outcome) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.accepted)}`);
  return outcome.refused;
}
