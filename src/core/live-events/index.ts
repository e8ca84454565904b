import type { Database } from '../db.js';
import type { Logger } from '../logger.js';
import { checkChannels, type AnnouncedChannel, type FollowedChannel, type LiveChannel } from './channel.js';
import { Feed, type Delivery, type FeedFilter, type LiveFeed } from './feed.js';
import { listenPglite, type Listener, type ListenerHooks } from './listener.js';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from './options.js';
import { PgListener } from './pg-listener.js';
import { FairScheduler } from './scheduler.js';
import { ShapingMeter, type FormatError } from './shaping.js';
import { SubscriberIndex } from './subscriber-index.js';
import { subscriptionDropped } from '../errors.js';

/**
 * The live-event hub: events announced by PostgreSQL LISTEN/NOTIFY on the
 * channels the domains declare (channel.ts), delivered to this instance's
 * GraphQL subscribers. It knows no table: each channel says how to read its
 * payloads and what was committed while the session was down.
 *
 * Each API instance holds ONE listening session (a dedicated `pg.Client`, or
 * PGlite's in-process `listen`) and fans every payload out in memory to its own
 * subscribers, indexed by channel, tenant and then user (subscriber-index.ts),
 * so a notification costs O(its keys + the subscribers it concerns), never
 * O(all subscribers). Events carry keys only. The keys a notification hands to
 * its subscribers wait on those feeds; the fair scheduler (scheduler.ts) takes
 * them in batches of many subscribers of one tenant and runs the domain's
 * `Delivery` for each batch — one visibility statement for the whole batch and
 * one read and shaping per selection, not one read per subscriber — tenants
 * taking turns for the connections, each within a budget of bytes and shaping
 * time (budget.ts). A payload is serialized once per selection (shaping.ts) and
 * that buffer written to every socket that receives it (preshaped.ts).
 *
 * Backpressure: the payloads are pushed onto each subscriber's own bounded
 * queue (feed.ts); nothing here ever awaits a subscriber. One that lets more
 * than `maxQueuedIds` payloads or `maxQueuedBytes` bytes pile up (a stalled or
 * vanished socket stops pulling) is dropped: its queue is freed and its
 * connection closed with the documented "subscribe again and refetch" signal.
 *
 * Missed events: a delivery that fails (the database went away) is retried with
 * the same keys; the PostgreSQL session is watched by a heartbeat and, when
 * lost, re-established with exponential backoff, after which it reads what was
 * committed meanwhile (pg-listener.ts).
 */

export type { AnnouncedChannel, AnnouncedKey, FollowedChannel, LiveChannel, TenantReader } from './channel.js';
export type { Delivery, Feed, FeedFilter, LiveFeed, PendingDelivery } from './feed.js';
export { Preshaped, subscribeWithPreshaped, type Outlet } from './preshaped.js';
export type { Shaping, FormatError } from './shaping.js';
export type { HubOptions } from './options.js';
export { LISTENER_APPLICATION_NAME } from './pg-listener.js';

export interface HubStats {
  /** Open subscriptions on this instance. */
  subscribers: number;
  /** Followers of followed channels (other subscriptions) on this instance. */
  followers: number;
  /** Whether the listening session is up. */
  listening: boolean;
  /** Subscribers dropped for falling too far behind, since start. */
  dropped: number;
  /** Keys delivered by catch-ups after reconnecting, since start. */
  recovered: number;
  /** Deliveries that failed (the database went away) and were retried, since start. */
  retried: number;
  /** Payloads serialized, since start: one per row and distinct selection, whatever the subscribers. */
  shaped: number;
}

/** A follower of a followed channel: every payload, and a call when payloads may have been lost (after an outage). */
export interface ChannelFollower {
  payload(payload: string): void;
  resumed(): void;
}

export interface LiveEventHub {
  /**
   * A new subscriber of `channel`: `deliver` turns the keys announced to it
   * (with many other subscribers' at once) into payloads; `subscriber` is
   * what it needs to know about this one.
   */
  subscribe(channel: AnnouncedChannel, filter: FeedFilter, subscriber: unknown, deliver: Delivery): LiveFeed;
  /** Follows a followed channel on the hub's session; returns the unfollow. */
  follow(channel: FollowedChannel, follower: ChannelFollower): () => void;
  stats(): HubStats;
  close(): Promise<void>;
}

export interface HubSettings extends Partial<HubOptions> {
  /** The channels the domains declare (a plain list: each module brings its own). */
  channels: readonly LiveChannel[];
  /** Formats the errors of a payload, once per payload (the app's error formatter: masks and logs). */
  formatError: FormatError;
  /** Seconds from each notification's arrival (it is sent at commit) to its payload handed to the subscriber. */
  deliveryLag?: (seconds: number) => void;
}

export async function startLiveEventHub(db: Database, logger: Logger, settings: HubSettings): Promise<LiveEventHub> {
  const { channels, formatError, deliveryLag, ...overrides } = settings;
  checkChannels(channels);
  const options = { ...DEFAULT_HUB_OPTIONS, ...overrides };
  if (overrides.tenantReadConcurrency === undefined) {
    options.tenantReadConcurrency = Math.max(
      1,
      Math.min(DEFAULT_HUB_OPTIONS.tenantReadConcurrency, options.readConcurrency - 1),
    );
  }
  const log = logger.child({ component: 'live-events' });
  const indexes = new Map<AnnouncedChannel, SubscriberIndex>();
  const followers = new Map<FollowedChannel, Set<ChannelFollower>>();
  for (const channel of channels) {
    if (channel.kind === 'announced') indexes.set(channel, new SubscriberIndex());
    else followers.set(channel, new Set());
  }
  let dropped = 0;
  let recovered = 0;
  let shaped = 0;
  let retried = 0;
  const shapingSettings = { formatError, maxMessageBytes: options.maxMessageBytes, shaped: () => void shaped++ };

  const scheduler = new FairScheduler(options, {
    shaping: () => new ShapingMeter(shapingSettings),
    delivered: deliveryLag
      ? (entries) => {
          const now = performance.now();
          for (const { since } of entries) deliveryLag((now - since) / 1000);
        }
      : undefined,
    failed(error, entries, gaveUp) {
      const tenantId = entries[0]?.feed.filter.tenantId;
      if (!gaveUp) {
        retried++;
        log.warn({ err: error, tenantId, subscribers: entries.length }, 'delivering live events failed; retrying');
        return;
      }
      const seconds = Math.round(options.deliveryRetryMs / 1000);
      log.error({ err: error, tenantId, subscribers: entries.length }, `live delivery kept failing for ${seconds} s`);
      const drop = subscriptionDropped(`its events could not be delivered for ${seconds} s`);
      for (const { feed } of entries) feed.fail(drop);
    },
  });

  const registered = (channel: LiveChannel) => {
    if (!channels.includes(channel)) throw new Error(`live channel "${channel.name}" was not declared to the hub`);
  };
  const hooks: ListenerHooks = {
    announce(channel, tenantId, keys) {
      if (keys.length === 0) return;
      for (const feed of indexes.get(channel)!.dispatch(tenantId, keys)) scheduler.enqueue(feed);
    },
    follow(channel, payload) {
      for (const follower of followers.get(channel)!) follower.payload(payload);
    },
    malformed(channel, payload) {
      log.warn({ channel: channel.name, payload: payload.slice(0, 200) }, 'ignored a malformed notification');
    },
  };
  const listener: Listener =
    'pglite' in db.source
      ? await listenPglite(db.source.pglite, channels, hooks)
      : await PgListener.start(db.source.url, channels, options, log, {
          ...hooks,
          tenantIds: (channel) => indexes.get(channel)!.tenantIds(),
          recovered: (count) => (recovered += count),
          resumed: () => {
            for (const set of followers.values()) for (const follower of set) follower.resumed();
          },
        });

  return {
    subscribe(channel, filter, subscriber, deliver) {
      registered(channel);
      const index = indexes.get(channel)!;
      const feed = new Feed(filter, subscriber, deliver, options, {
        closed: (self) => index.remove(self),
        overflowed: (self) => {
          dropped++;
          log.warn(
            { tenantId: self.filter.tenantId, maxIds: options.maxQueuedIds, maxBytes: options.maxQueuedBytes },
            'dropped a subscriber that fell behind',
          );
        },
      });
      index.add(feed);
      return feed;
    },
    follow(channel, follower) {
      registered(channel);
      const set = followers.get(channel)!;
      set.add(follower);
      return () => void set.delete(follower);
    },
    stats: () => ({
      followers: [...followers.values()].reduce((sum, set) => sum + set.size, 0),
      subscribers: [...indexes.values()].reduce((sum, index) => sum + index.size, 0),
      listening: listener.listening(),
      dropped,
      recovered,
      retried,
      shaped,
    }),
    async close() {
      await listener.close();
      for (const index of indexes.values()) index.closeAll();
      await scheduler.close(); // the database is closed next: let deliveries in flight finish
    },
  };
}
