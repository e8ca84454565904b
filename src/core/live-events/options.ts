export interface HubOptions {
  /**
   * Ids a subscriber may leave waiting before it is dropped as too slow. A bulk
   * insert notifies all its rows at commit, so this must exceed the largest burst
   * a healthy subscriber should absorb (a tenant-wide one sees every row).
   */
  maxQueuedIds: number;
  /** Bytes of payloads a subscriber may leave waiting before it is dropped as too slow. */
  maxQueuedBytes: number;
  /** Largest response of one live event; a larger one is replaced by a MESSAGE_TOO_LARGE error for that event. */
  maxMessageBytes: number;
  /**
   * A tenant's delivery budget (budget.ts): bytes per second (serialized once per
   * payload, plus sent once per subscriber) and milliseconds of shaping per
   * second. Over it, the tenant's deliveries wait while other tenants' go first.
   */
  tenantBytesPerSecond: number;
  tenantShapingMsPerSecond: number;
  /**
   * How long a tenant's failing deliveries are retried (with backoff, keys kept
   * pending) before their subscriptions are dropped with the refetch signal.
   */
  deliveryRetryMs: number;
  /** Most subscribers one delivery serves (one visibility statement, one read per selection). */
  maxBatchSubscribers: number;
  /** Most (subscriber, id) pairs one delivery serves: a lagging subscriber gets several notifications at once. */
  maxBatchIds: number;
  /**
   * Deliveries running at once (each holds one pooled connection); the rest wait
   * their turn, tenant by tenant in turn (scheduler.ts). Keep it below the pool
   * size, so requests still find connections while a burst is delivered.
   */
  readConcurrency: number;
  /**
   * Deliveries of one tenant running at once: below `readConcurrency`, so another
   * tenant always finds a slot. Two by default: shaping is CPU work on the one event
   * loop, so a third or fourth delivery of the same burst only interleaves with the
   * others and makes them all finish late; two let one's database round trips
   * overlap the other's shaping (BENCHMARKS.md "Subscriptions").
   */
  tenantReadConcurrency: number;
  /** How often the PostgreSQL listening session proves it is alive (and how long it may take to answer). */
  heartbeatMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How far before the last heartbeat a catch-up looks (see PgListener). */
  catchUpMarginMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxQueuedIds: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxMessageBytes: 1_000_000,
  tenantBytesPerSecond: 8 * 1024 * 1024,
  tenantShapingMsPerSecond: 400,
  deliveryRetryMs: 120_000,
  maxBatchSubscribers: 500,
  maxBatchIds: 5_000,
  readConcurrency: 4,
  tenantReadConcurrency: 2,
  heartbeatMs: 10_000,
  reconnectMinMs: 250,
  reconnectMaxMs: 30_000,
  catchUpMarginMs: 60_000,
};
