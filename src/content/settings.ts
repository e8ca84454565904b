import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { defineSettings } from '../core/settings.js';

export const contentSettings = defineSettings('content', (setting) => ({
  /** Largest upload, and largest a cmi5 package may expand to (bytes). */
  maxBytes: setting.integer('CONTENT_MAX_BYTES', 500 * 1024 * 1024),
  /** Where uploaded files are kept: a folder of the data directory by default. */
  directory: path.resolve(setting.text('CONTENT_DIR', '.data/content')),
  /** How long a signed content URL (a `<video src>`, a launched AU's files) stays usable. */
  urlTtlSeconds: setting.integer('CONTENT_URL_TTL_SECONDS', 4 * 3600, 60, 7 * 24 * 3600),
  /**
   * Signs content URLs; several instances must share it. Defaults to one derived from JWT_SECRET (or, with a
   * JWKS only, one made up per process: set it then when running more than one instance).
   */
  urlSecret: setting.optionalText('CONTENT_URL_SECRET'),
}));

export type ContentSettings = ReturnType<typeof contentSettings.read>;

const processSecret = randomBytes(32).toString('hex');
const keys = new WeakMap<object, Buffer>();

/** The key content URLs are signed with, kept apart from the token key by hashing it with a label. */
function signingKey(config: Config): Buffer {
  let key = keys.get(config);
  if (!key) {
    const secret = contentSettings.of(config).urlSecret ?? config.auth.jwtSecret ?? processSecret;
    key = createHash('sha256').update(`content-url:${secret}`).digest();
    keys.set(config, key);
  }
  return key;
}

/** Who a signed URL was made for: it opens one file (or package) of one tenant until `expires` (epoch seconds). */
export interface UrlGrant {
  tenantId: string;
  userId: string;
  contentId: string;
  expires: number;
}

const mac = (config: Config, grant: UrlGrant) =>
  createHmac('sha256', signingKey(config))
    .update(`${grant.tenantId}\n${grant.userId}\n${grant.contentId}\n${grant.expires}`)
    .digest('base64url');

/** The path segment a signed URL carries: `<tenant>.<user>.<expires>.<mac>` (no secret in it). */
export function signGrant(config: Config, grant: Omit<UrlGrant, 'expires'>, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + contentSettings.of(config).urlTtlSeconds;
  const full = { ...grant, expires };
  return `${grant.tenantId}.${grant.userId}.${expires}.${mac(config, full)}`;
}

/** The grant a segment carries for `contentId`, or null when forged, for another file, or expired. */
export function verifyGrant(config: Config, contentId: string, segment: string, now = Date.now()): UrlGrant | null {
  const [tenantId, userId, expiresText, given] = segment.split('.');
  if (!tenantId || !userId || !expiresText || !given || !/^\d{1,12}$/.test(expiresText)) return null;
  const grant = { tenantId, userId, contentId, expires: Number(expiresText) };
  const expected = Buffer.from(mac(config, grant));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return grant.expires * 1000 > now ? grant : null;
}
