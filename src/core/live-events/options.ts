export interface HubOptions {
  /**
   * Ids a subscriber may leave waiting before it is dropped as too slow. A bulk
   * insert notifies all its rows at commit, so this must exceed the largest burst
   * a healthy subscriber should absorb (a tenant-wide one sees every row).
   */
  maxQueuedIds: number;
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
  maxBatchSubscribers: 500,
  maxBatchIds: 5_000,
  readConcurrency: 4,
  tenantReadConcurrency: 2,
  heartbeatMs: 10_000,
  reconnectMinMs: 250,
  reconnectMaxMs: 30_000,
  catchUpMarginMs: 60_000,
};
