import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';
import { runAsAppRole, type CallerTransaction } from '../core/caller/index.js';
import type { Json } from './rules.js';

/**
 * cmi5 launch tokens. The LMS (content) mints one per launch, scoped to its tenant, actor and registration,
 * and puts `fetchUrl(secret)` in the launch URL; the AU POSTs to it once and gets `{"auth-token": …}`, which it
 * sends as `Authorization: Basic <auth-token>` to the LRS. Only hashes are stored.
 */

export const FETCH_PATH = '/xapi/cmi5/fetch/';
/** How long a launch may use its token (a long course is taken in one sitting of at most this). */
export const LAUNCH_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

export const sha256 = (secret: string) => createHash('sha256').update(secret).digest();

export interface LaunchScope {
  actor: Json;
  registration: string;
  activityId: string;
}

/** Mints a launch token in `tx` (as a caller of `tenantId`); returns the fetch URL's path (append it to the public URL). */
export async function createLaunchToken(
  tx: CallerTransaction,
  tenantId: string,
  scope: LaunchScope,
  ttlMs = LAUNCH_TOKEN_TTL_MS,
): Promise<{ fetchPath: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  await tx.$executeRaw`
    INSERT INTO xapi_launch_tokens (tenant_id, fetch_hash, actor, registration, activity_id, expires_at)
    VALUES (${tenantId}::uuid, ${sha256(secret)}, ${JSON.stringify(scope.actor)}::jsonb, ${scope.registration}::uuid,
      ${scope.activityId}, ${expiresAt})`;
  return { fetchPath: `${FETCH_PATH}${secret}`, expiresAt };
}

/**
 * The fetch URL's answer: the auth token the first time (its secret's hash recorded), null after (cmi5: a
 * fetch URL answers once) or once expired.
 */
export async function fetchAuthToken(prisma: PrismaClient, fetchSecret: string): Promise<string | null> {
  const secret = randomBytes(32).toString('base64url');
  const [row] = await runAsAppRole(
    prisma,
    (tx) =>
      tx.$queryRaw<
        { id: string | null }[]
      >`SELECT xapi_launch_fetch(${sha256(fetchSecret)}, ${sha256(secret)})::text AS id`,
  );
  return row?.id ? Buffer.from(`${row.id}:${secret}`).toString('base64') : null;
}

/** Who a Basic credential is: an LRS credential, or a fetched launch token (with its scope). */
export interface LrsIdentity {
  tenantId: string;
  id: string;
  name: string;
  launch?: { actor: Json; registration: string };
}

/**
 * Verified credentials, by the hash of their Authorization header, for a few seconds: a tool sends a batch after
 * another, and looking the credential up each time would cost a transaction per request. A launch token expiring
 * is refused at most this much later; a revoked credential at once (`forgetCredential`).
 */
const VERIFIED_FOR_MS = 10_000;
const MAX_VERIFIED = 1_000;
const verified = new Map<string, { identity: LrsIdentity; until: number }>();

/** Drops a credential (by its id, the Basic user name) from the cache; none given: every one. */
export function forgetCredential(id?: string): void {
  for (const [key, entry] of verified) if (id === undefined || entry.identity.id === id) verified.delete(key);
}

export async function authenticateBasic(prisma: PrismaClient, authorization: string | undefined) {
  const cacheKey = sha256(authorization ?? '').toString('base64');
  const hit = verified.get(cacheKey);
  if (hit && hit.until > Date.now()) return hit.identity;
  const identity = await lookUpBasic(prisma, authorization);
  if (identity) {
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(cacheKey, { identity, until: Date.now() + VERIFIED_FOR_MS });
  }
  return identity;
}

async function lookUpBasic(prisma: PrismaClient, authorization: string | undefined): Promise<LrsIdentity | null> {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = decoded.slice(0, colon);
  if (colon < 0 || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const [row] = await runAsAppRole(
    prisma,
    (tx) => tx.$queryRaw<{ tenant_id: string; name: string; actor: Json | null; registration: string | null }[]>`
      SELECT tenant_id::text, name, actor, registration::text FROM lrs_authenticate(${id}::uuid, ${sha256(decoded.slice(colon + 1))})`,
  );
  if (!row) return null;
  const identity: LrsIdentity = { tenantId: row.tenant_id, id: id.toLowerCase(), name: row.name };
  if (row.actor && row.registration) identity.launch = { actor: row.actor, registration: row.registration };
  return identity;
}
