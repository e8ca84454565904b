import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './config.js';
import { ROLES, type Role } from './permissions.js';
import { invalidToken } from './errors.js';
import { supportedLocale } from './i18n/index.js';
import { claimEmail, claimText, DISPLAY_NAME_MAX, isUuid } from './validate.js';

export { isUuid };

/** What a verified token tells us: who calls (a `Caller` of caller.ts) plus the profile claims we mirror. */
export interface Identity {
  tenantId: string;
  userId: string;
  role: Role;
  name: string | undefined;
  email: string | undefined;
  /** The `locale` claim when it names a language the product speaks (a BCP-47 tag, canonical). */
  locale?: string | undefined;
}

/** How far ahead of ours the issuer's clock may run (`iat`, `nbf`), unless configured. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** Longest lifetime (`exp` − `iat`) a token may have, unless configured: 30 days. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

export type TokenVerifier = (token: string) => Promise<Identity>;

/**
 * HS256 with a shared secret, or RS256/ES256 against a JWKS endpoint. Every token must carry `exp` and
 * be unexpired (exactly: no tolerance); `iat` and `nbf` may be at most the clock skew in the future; and
 * the lifetime `exp` − `iat` (or what is left of it, without `iat`) is at most the configured maximum.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const skew = config.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const maxLifetime = config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  // The tolerance lets `nbf` be up to `skew` ahead; `exp` is checked again below without it.
  const options = { issuer: config.issuer, audience: config.audience, clockTolerance: skew, requiredClaims: ['exp'] };
  let verify: (token: string) => ReturnType<typeof jwtVerify>;
  if (config.jwksUrl) {
    const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = (token) => jwtVerify(token, keys, { ...options, algorithms: ['RS256', 'ES256'] });
  } else {
    // A KeyObject made once: given raw bytes, jose imports the key again on every verification.
    const secret = createSecretKey(Buffer.from(config.jwtSecret ?? '', 'utf8'));
    verify = (token) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
  }
  // Verified tokens, by their exact text: a dashboard sends the same token with every request, and the
  // signature check (WebCrypto HMAC, a key import and a job per call) was ≈ 4 % of a list read's CPU.
  // Only with the shared secret (it cannot change while the process runs; a JWKS key can be withdrawn), only
  // successes, and each entry is checked for expiry again on every use.
  const verified = config.jwksUrl ? undefined : new Map<string, { identity: Identity; exp: number }>();
  const check = checkToken(verify, skew, maxLifetime);
  if (!verified) return check;
  return async (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp > Math.floor(Date.now() / 1000)) return hit.identity;
      verified.delete(token);
    }
    const { identity, exp } = await check.withExpiry(token);
    if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
    verified.set(token, { identity, exp });
    return identity;
  };
}

/** Distinct verified tokens remembered at once; the map is emptied when full. */
const MAX_VERIFIED_TOKENS = 10_000;

function checkToken(
  verify: (token: string) => ReturnType<typeof jwtVerify>,
  skew: number,
  maxLifetime: number,
): TokenVerifier & { withExpiry(token: string): Promise<{ identity: Identity; exp: number }> } {
  const withExpiry = async (token: string) => {
    let payload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw invalidToken(refusal(error as { code?: string; claim?: string; reason?: string }));
    }
    const now = Math.floor(Date.now() / 1000);
    // jose has checked that exp is present (requiredClaims) and that exp and iat, when present, are numbers.
    const exp = payload.exp!;
    const iat = payload.iat ?? now;
    if (exp <= now) throw invalidToken('Token expired');
    if (iat > now + skew)
      throw invalidToken(`Invalid token: issued in the future (iat is more than ${skew} s ahead of the server clock)`);
    const tooLong = lifetimeProblem(exp - Math.min(iat, now), maxLifetime, skew);
    if (tooLong) throw invalidToken(`Invalid token: ${tooLong}`);
    const { sub, tenant_id: tenantId, role, name, email, locale } = payload as Record<string, unknown>;
    if (!isUuid(sub)) throw invalidToken('Invalid token: sub must be a user id (uuid)');
    if (!isUuid(tenantId)) throw invalidToken('Invalid token: tenant_id must be a uuid');
    if (!ROLES.includes(role as Role)) throw invalidToken(`Invalid token: role must be one of ${ROLES.join(', ')}`);
    const identity: Identity = {
      userId: sub.toLowerCase(),
      tenantId: tenantId.toLowerCase(),
      role: role as Role,
      // Sanitised and bounded like upsertProfiles' input; a bad email is dropped. Never a refusal.
      name: claimText(name, DISPLAY_NAME_MAX),
      email: claimEmail(email),
      // A language the product does not speak is ignored like a bad email: the user reads English.
      locale: typeof locale === 'string' && locale.length <= 35 ? supportedLocale(locale) : undefined,
    };
    return { identity, exp };
  };
  return Object.assign(async (token: string) => (await withExpiry(token)).identity, { withExpiry });
}

/**
 * The lifetime rule, shared with `npm run token` so it never mints a token the server refuses: at most
 * `maxLifetime` seconds (plus the clock skew the issuer's clock may run ahead by), else why not.
 */
export function lifetimeProblem(lifetime: number, maxLifetime: number, skew: number): string | undefined {
  if (lifetime <= maxLifetime + skew) return undefined;
  return `lifetime (exp - iat) longer than the maximum of ${maxLifetime} s`;
}

const MISSING_EXP = 'Invalid token: an exp (expiry) claim is required';

/** The message for a token jose refused; only whether it expired, lacks exp or is not yet valid is told. */
function refusal(error: { code?: string; claim?: string; reason?: string }): string {
  if (error.code === 'ERR_JWT_EXPIRED') return 'Token expired';
  // Only claim validation failures name a claim (besides expiry, above).
  if (error.claim === 'exp') return error.reason === 'missing' ? MISSING_EXP : 'Invalid token: exp must be a number';
  if (error.claim === 'nbf') return 'Invalid token: not valid yet (nbf is in the future)';
  return 'Invalid token';
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
  locale?: string;
  expiresIn?: string;
}

/** Mints an HS256 token (for `npm run token`, the demo seed and tests). */
export function mintToken(options: MintOptions): Promise<string> {
  // An undefined claim is not serialised: name and email only when given (and not empty).
  return new SignJWT({
    tenant_id: options.tenantId,
    role: options.role,
    name: options.name || undefined,
    email: options.email || undefined,
    locale: options.locale || undefined,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(options.secret));
}
