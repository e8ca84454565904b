/**
 * What a domain declares to have its events delivered live: the NOTIFY channels
 * the hub's one session listens to. The hub knows no table; each domain says how
 * to read its own payloads and, for announced keys, what it committed while the
 * session was down.
 */

/** A key (a row's id) and the user it is for: a subscriber follows a tenant's keys, or one user's. */
export type AnnouncedKey = [key: string, userId: string];

/** What one payload announces. */
export interface Announcement {
  tenantId: string;
  keys: AnnouncedKey[];
}

/** One statement on the hub's session, in a read-only transaction as the tenant's `service` role (RLS applies). */
export type TenantReader = <Row>(text: string, values: unknown[]) => Promise<Row[]>;

export interface MissedWindow {
  tenantId: string;
  /** The last moment the session was known to listen, less the catch-up margin (long transactions). */
  since: Date;
}

/**
 * A channel whose payloads announce keys, delivered to subscribers through
 * `LiveEventHub.subscribe` (batched, fair between tenants, exactly once).
 */
export interface AnnouncedChannel {
  kind: 'announced';
  /** The NOTIFY channel (an identifier: letters, digits and underscores). */
  name: string;
  /** The announcement a payload carries; undefined when it is malformed (logged and ignored). */
  parse(payload: string): Announcement | undefined;
  /**
   * The keys committed in `window` (a superset is fine: what was announced
   * already is filtered out), read after the session comes back, since NOTIFY
   * has no replay.
   */
  readMissed(read: TenantReader, window: MissedWindow): Promise<AnnouncedKey[]>;
}

/**
 * A channel whose raw payloads go to followers (`LiveEventHub.follow`), who are
 * also told when payloads may have been lost (the session was down).
 */
export interface FollowedChannel {
  kind: 'followed';
  name: string;
}

export type LiveChannel = AnnouncedChannel | FollowedChannel;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Channel names go into LISTEN as identifiers (no bind parameters there): refuse anything else at start. */
export function checkChannels(channels: readonly LiveChannel[]): void {
  const names = new Set<string>();
  for (const { name } of channels) {
    if (!IDENTIFIER.test(name)) throw new Error(`live channel "${name}" is not a lower-case identifier`);
    if (names.has(name)) throw new Error(`live channel "${name}" is declared twice`);
    names.add(name);
  }
}
