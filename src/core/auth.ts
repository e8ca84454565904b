import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './config.js';
import type { Caller } from './caller.js';
import { ROLES, type Role } from './permissions.js';
import { invalidToken } from './errors.js';

/** What a verified token tells us: the caller plus the profile claims we mirror. */
export interface Identity extends Caller {
  name: string | undefined;
  email: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export type TokenVerifier = (token: string) => Promise<Identity>;

/** HS256 with a shared secret, or RS256/ES256 against a JWKS endpoint. */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const options = { issuer: config.issuer, audience: config.audience };
  let verify: (token: string) => ReturnType<typeof jwtVerify>;
  if (config.jwksUrl) {
    const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = (token) => jwtVerify(token, keys, { ...options, algorithms: ['RS256', 'ES256'] });
  } else {
    // A KeyObject made once: given raw bytes, jose imports the key again on every verification.
    const secret = createSecretKey(Buffer.from(config.jwtSecret ?? '', 'utf8'));
    verify = (token) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
  }
  return async (token) => {
    let payload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw invalidToken(expired ? 'Token expired' : 'Invalid token');
    }
    const { sub, tenant_id: tenantId, role, name, email } = payload as Record<string, unknown>;
    if (!isUuid(sub)) throw invalidToken('Invalid token: sub must be a user id (uuid)');
    if (!isUuid(tenantId)) throw invalidToken('Invalid token: tenant_id must be a uuid');
    if (!ROLES.includes(role as Role)) throw invalidToken(`Invalid token: role must be one of ${ROLES.join(', ')}`);
    return {
      userId: sub.toLowerCase(),
      tenantId: tenantId.toLowerCase(),
      role: role as Role,
      name: typeof name === 'string' ? name : undefined,
      email: typeof email === 'string' ? email : undefined,
    };
  };
}

/** Reads `Bearer <token>`; undefined when there is no header at all. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw invalidToken('Malformed Authorization header: expected "Bearer <token>"');
  return match[1];
}

export interface MintOptions {
  secret: string;
  userId: string;
  tenantId: string;
  role: Role;
  name?: string;
  email?: string;
  expiresIn?: string;
}

/** Mints an HS256 token (for `npm run token`, the demo seed and tests). */
export function mintToken(options: MintOptions): Promise<string> {
  const claims: Record<string, string> = { tenant_id: options.tenantId, role: options.role };
  if (options.name) claims.name = options.name;
  if (options.email) claims.email = options.email;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(options.secret));
}
