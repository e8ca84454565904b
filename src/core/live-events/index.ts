import type { Database } from '../db.js';
import type { Logger } from '../logger.js';
import { Feed, type AssignmentFeed, type Delivery, type FeedFilter } from './feed.js';
import { FairScheduler } from './scheduler.js';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from './options.js';
import { parsePayload, type AssignmentPair, type SideChannel } from './payload.js';
import { PgListener } from './pg-listener.js';
import { listenPglite, type Listener } from './pglite-listener.js';
import { SubscriberIndex } from './subscriber-index.js';

/**
 * The live-event hub: new assignments, announced by PostgreSQL LISTEN/NOTIFY
 * (see payload.ts), delivered to this instance's GraphQL subscribers.
 *
 * Each API instance holds ONE listening session (a dedicated `pg.Client`, or
 * PGlite's in-process `listen`) and fans every payload out in memory to its own
 * subscribers, indexed by tenant and then user (subscriber-index.ts), so a
 * notification costs O(its ids + the subscribers it concerns), never
 * O(all subscribers). Events carry ids only. The ids a notification hands to
 * its subscribers wait on those feeds; the fair scheduler (scheduler.ts) takes
 * them in batches of many subscribers of one tenant and runs the domain's
 * `Delivery` for each batch — one visibility statement for the whole batch and
 * one read and shaping per selection, not one read per subscriber
 * (src/assignments/live.ts) — tenants taking turns for the connections.
 *
 * Backpressure: the shaped payloads are pushed onto each subscriber's own
 * bounded queue (feed.ts); nothing here ever awaits a subscriber. One that lets
 * more than `maxQueuedIds` pile up (a stalled or vanished socket stops pulling) is
 * dropped: its queue is freed and its subscription ends with an error telling the
 * client to subscribe again and refetch.
 *
 * Missed events: the PostgreSQL session is watched by a heartbeat and, when lost,
 * re-established with exponential backoff; after reconnecting it reads what was
 * created meanwhile (pg-listener.ts).
 */

export type { AssignmentFeed, Delivery, Feed, FeedFilter, PendingDelivery } from './feed.js';
export { preshaped, subscribeWithPreshaped } from './preshaped.js';
export type { HubOptions } from './options.js';
export { ASSIGNMENT_CREATED_CHANNEL, SIDE_CHANNELS, type SideChannel } from './payload.js';
export { LISTENER_APPLICATION_NAME } from './pg-listener.js';

export interface HubStats {
  /** Open subscriptions on this instance. */
  subscribers: number;
  /** Followers of side channels (other subscriptions) on this instance. */
  followers: number;
  /** Whether the listening session is up. */
  listening: boolean;
  /** Subscribers dropped for falling too far behind, since start. */
  dropped: number;
  /** Assignments delivered by catch-ups after reconnecting, since start. */
  recovered: number;
}

/** A follower of a side channel: every payload, and a call when payloads may have been lost (after an outage). */
export interface SideChannelFollower {
  payload(payload: string): void;
  resumed(): void;
}

export interface LiveEventHub {
  /**
   * A new subscriber: `deliver` turns the ids announced to it (with many other
   * subscribers' at once) into payloads; `subscriber` is what it needs to know
   * about this one.
   */
  assignmentsCreated(filter: FeedFilter, subscriber: unknown, deliver: Delivery): AssignmentFeed;
  /** Follows one of SIDE_CHANNELS on the hub's session; returns the unfollow. */
  follow(channel: SideChannel, follower: SideChannelFollower): () => void;
  stats(): HubStats;
  close(): Promise<void>;
}

export async function startLiveEventHub(
  db: Database,
  logger: Logger,
  overrides: Partial<HubOptions> = {},
): Promise<LiveEventHub> {
  const options = { ...DEFAULT_HUB_OPTIONS, ...overrides };
  if (overrides.tenantReadConcurrency === undefined) {
    options.tenantReadConcurrency = Math.max(
      1,
      Math.min(DEFAULT_HUB_OPTIONS.tenantReadConcurrency, options.readConcurrency - 1),
    );
  }
  const log = logger.child({ component: 'live-events' });
  const index = new SubscriberIndex();
  const scheduler = new FairScheduler(options, (error, batch) => {
    log.error({ err: error, subscribers: batch.length }, 'delivering live assignments failed');
    for (const { feed } of batch) feed.fail(error instanceof Error ? error : new Error(String(error)));
  });
  let dropped = 0;
  let recovered = 0;

  const announce = (tenantId: string, pairs: AssignmentPair[]) => {
    for (const feed of index.dispatch(tenantId, pairs)) scheduler.enqueue(feed);
  };
  const onPayload = (payload: string) => {
    const event = parsePayload(payload);
    if (event) announce(event.tenantId, event.assignments);
    else log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed notification');
  };

  const followers = new Map<SideChannel, Set<SideChannelFollower>>();
  const side = (channel: SideChannel, payload: string) => {
    for (const follower of followers.get(channel) ?? []) follower.payload(payload);
  };
  const resumed = () => {
    for (const set of followers.values()) for (const follower of set) follower.resumed();
  };

  const listener: Listener =
    'pglite' in db.source
      ? await listenPglite(db.source.pglite, onPayload, side)
      : await PgListener.start(db.source.url, options, log, {
          announce,
          tenantIds: () => index.tenantIds(),
          recovered: (count) => (recovered += count),
          side,
          resumed,
        });

  return {
    assignmentsCreated(filter, subscriber, deliver) {
      const feed = new Feed(filter, subscriber, deliver, options, {
        closed: (self) => index.remove(self),
        overflowed: (self) => {
          dropped++;
          log.warn(
            { tenantId: self.filter.tenantId, limit: options.maxQueuedIds },
            'dropped a subscriber that fell behind',
          );
        },
      });
      index.add(feed);
      return feed;
    },
    follow(channel, follower) {
      let set = followers.get(channel);
      if (!set) followers.set(channel, (set = new Set()));
      set.add(follower);
      return () => void set.delete(follower);
    },
    stats: () => ({
      followers: [...followers.values()].reduce((sum, set) => sum + set.size, 0),
      subscribers: index.size,
      listening: listener.listening(),
      dropped,
      recovered,
    }),
    async close() {
      await listener.close();
      index.closeAll();
      await scheduler.idle(); // the database is closed next: let deliveries in flight finish
    },
  };
}
