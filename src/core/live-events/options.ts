export interface HubOptions {
  /**
   * Ids a subscriber may leave waiting before it is dropped as too slow. A bulk
   * insert notifies all its rows at commit, so this must exceed the largest burst
   * a healthy subscriber should absorb (a tenant-wide one sees every row).
   */
  maxQueuedIds: number;
  /** Most ids handed to a subscriber per read: a lagging subscriber reads several notifications in one query. */
  maxBatchIds: number;
  /**
   * Subscriber reads run at once; the rest wait their turn here, in order. Left
   * to the connection pool, a notification that wakes thousands of subscribers
   * would queue them all on it, and Prisma gives up on a transaction that waits
   * longer than DB_ACQUIRE_TIMEOUT_MS for a connection. Keep it below the pool size, so requests
   * still find connections while a burst is delivered.
   */
  readConcurrency: number;
  /** How often the PostgreSQL listening session proves it is alive (and how long it may take to answer). */
  heartbeatMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How far before the last heartbeat a catch-up looks (see PgListener). */
  catchUpMarginMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxQueuedIds: 10_000,
  maxBatchIds: 500,
  readConcurrency: 4,
  heartbeatMs: 10_000,
  reconnectMinMs: 250,
  reconnectMaxMs: 30_000,
  catchUpMarginMs: 60_000,
};
