import pg from 'pg';
import { APP_ROLE } from './caller.js';
import type { Database } from './db.js';
import { ApiError, ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Live events from PostgreSQL (SPEC §4 "Live assignments"). An AFTER INSERT
 * statement trigger on training_assignments NOTIFYs after commit (a rolled-back
 * insert announces nothing) on `training_assignment_created` with
 * `{"tenantId", "assignments": [[id, userId], …]}`, ≤ 80 per payload.
 *
 * Each API instance holds ONE listening session (a dedicated `pg.Client`, or
 * PGlite's in-process `listen`) and fans every payload out in memory to its own
 * subscribers, indexed by tenant and then user, so a notification costs
 * O(its ids + the subscribers it concerns), never O(all subscribers). Events
 * carry ids only: each subscriber reads the rows itself, under its own RLS.
 *
 * Backpressure: delivery to a subscriber is a synchronous push onto its own
 * bounded queue; nothing here ever awaits a subscriber. One that lets more than
 * `maxQueuedIds` pile up (a stalled or vanished socket stops pulling) is dropped:
 * its queue is freed and its subscription ends with an error telling the client
 * to subscribe again and refetch.
 *
 * Missed events: the PostgreSQL session is watched by a heartbeat and, when lost,
 * re-established with exponential backoff. NOTIFY has no replay, so after
 * reconnecting the listener reads (per tenant with subscribers here, as the
 * `service` role under RLS) the assignments created since its last confirmed
 * heartbeat minus `catchUpMarginMs` — the margin covers transactions that began
 * before the outage and committed during it, because created_at is the
 * transaction's start time — and delivers those it has not announced already
 * (recently announced ids are remembered for that purpose). An inserting
 * transaction that ran longer than the margin and committed during the outage can
 * still be missed; the outage window is logged either way.
 */

export const ASSIGNMENT_CREATED_CHANNEL = 'training_assignment_created';

/** The trigger's batch size, reused when the catch-up announces what it found. */
const NOTIFY_BATCH = 80;

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
  /** How far before the last heartbeat a catch-up looks (see above). */
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

export interface FeedFilter {
  tenantId: string;
  /** Only this user's assignments; null: the whole tenant's. */
  userId: string | null;
}

export interface HubStats {
  /** Open subscriptions on this instance. */
  subscribers: number;
  /** Whether the listening session is up. */
  listening: boolean;
  /** Subscribers dropped for falling too far behind, since start. */
  dropped: number;
  /** Assignments delivered by catch-ups after reconnecting, since start. */
  recovered: number;
}

/** One subscriber's ids of new assignments, in batches; `return()` unsubscribes. */
export interface AssignmentFeed extends AsyncIterableIterator<string[]> {
  /**
   * Runs the subscriber's read of what it was handed, at most `readConcurrency`
   * reads at a time across the hub; resolves with undefined, without running it,
   * if the feed ended while the read waited its turn.
   */
  read<T>(load: () => Promise<T>): Promise<T | undefined>;
}

export interface NotificationHub {
  assignmentsCreated(filter: FeedFilter): AssignmentFeed;
  stats(): HubStats;
  close(): Promise<void>;
}

export async function startNotificationHub(
  db: Database,
  logger: Logger,
  overrides: Partial<HubOptions> = {},
): Promise<NotificationHub> {
  const options = { ...DEFAULT_HUB_OPTIONS, ...overrides };
  const log = logger.child({ component: 'notifications' });
  const index = new SubscriberIndex();
  const reads = new Limiter(options.readConcurrency);
  let dropped = 0;
  let recovered = 0;

  const announce = (tenantId: string, pairs: AssignmentPair[]) => index.dispatch(tenantId, pairs);
  const onPayload = (payload: string) => {
    const event = parsePayload(payload);
    if (event) announce(event.tenantId, event.assignments);
    else log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed notification');
  };

  const listener: Listener =
    'pglite' in db.source
      ? await listenPglite(db.source.pglite, onPayload)
      : await PgListener.start(db.source.url, options, log, {
          announce,
          tenantIds: () => index.tenantIds(),
          recovered: (count) => (recovered += count),
        });

  return {
    assignmentsCreated(filter) {
      const feed = new Feed(filter, options, reads, {
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
    stats: () => ({ subscribers: index.size, listening: listener.listening(), dropped, recovered }),
    async close() {
      await listener.close();
      index.closeAll();
      await reads.idle(); // the database is closed next: let reads in flight finish
    },
  };
}

type AssignmentPair = [id: string, userId: string];

function parsePayload(payload: string): { tenantId: string; assignments: AssignmentPair[] } | undefined {
  try {
    const parsed = JSON.parse(payload) as { tenantId?: unknown; assignments?: unknown };
    const { tenantId, assignments } = parsed;
    const wellFormed =
      typeof tenantId === 'string' &&
      Array.isArray(assignments) &&
      assignments.every((pair) => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string');
    return wellFormed ? { tenantId, assignments: assignments as AssignmentPair[] } : undefined;
  } catch {
    return undefined;
  }
}

/** Subscribers by tenant, then by user (null: the whole tenant). */
class SubscriberIndex {
  private readonly tenants = new Map<string, { all: Set<Feed>; users: Map<string, Set<Feed>> }>();
  size = 0;

  add(feed: Feed): void {
    const { tenantId, userId } = feed.filter;
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = { all: new Set(), users: new Map() }));
    let set = tenant.all;
    if (userId !== null) {
      set = tenant.users.get(userId) ?? new Set();
      tenant.users.set(userId, set);
    }
    set.add(feed);
    this.size++;
  }

  remove(feed: Feed): void {
    const { tenantId, userId } = feed.filter;
    const tenant = this.tenants.get(tenantId);
    const set = userId === null ? tenant?.all : tenant?.users.get(userId);
    if (!tenant || !set?.delete(feed)) return;
    this.size--;
    if (userId !== null && set.size === 0) tenant.users.delete(userId);
    if (tenant.all.size === 0 && tenant.users.size === 0) this.tenants.delete(tenantId);
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  /** Pushes to every interested feed without waiting on any of them. */
  dispatch(tenantId: string, pairs: AssignmentPair[]): void {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || pairs.length === 0) return;
    if (tenant.all.size) {
      const ids = pairs.map(([id]) => id);
      for (const feed of tenant.all) feed.push(ids);
    }
    if (tenant.users.size === 0) return;
    const byUser = new Map<string, string[]>();
    for (const [id, userId] of pairs) {
      if (!tenant.users.has(userId)) continue;
      const ids = byUser.get(userId);
      if (ids) ids.push(id);
      else byUser.set(userId, [id]);
    }
    for (const [userId, ids] of byUser) for (const feed of tenant.users.get(userId)!) feed.push(ids);
  }

  closeAll(): void {
    for (const tenant of [...this.tenants.values()]) {
      for (const feed of [...tenant.all]) void feed.return();
      for (const set of [...tenant.users.values()]) for (const feed of [...set]) void feed.return();
    }
  }
}

const tooSlow = (limit: number) =>
  new ApiError(
    ErrorCode.INTERNAL_SERVER_ERROR,
    `Subscription dropped: this client fell more than ${limit} assignments behind. Subscribe again and refetch what you missed.`,
  );

/**
 * One subscriber's bounded queue of id batches. The hub pushes synchronously;
 * the subscription pulls. `return()` settles a pending pull at once, so an
 * unsubscribe never waits for the next event to arrive.
 */
class Feed implements AssignmentFeed {
  private batches: string[][] = [];
  private queued = 0;
  private waiting: ((result: IteratorResult<string[]>) => void) | undefined;
  private failure: Error | undefined;
  private done = false;

  constructor(
    readonly filter: FeedFilter,
    private readonly limits: Pick<HubOptions, 'maxQueuedIds' | 'maxBatchIds'>,
    private readonly reads: Limiter,
    private readonly events: { closed(feed: Feed): void; overflowed(feed: Feed): void },
  ) {}

  push(ids: string[]): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: ids, done: false });
      return;
    }
    if (this.queued + ids.length > this.limits.maxQueuedIds) {
      this.failure = tooSlow(this.limits.maxQueuedIds);
      this.finish();
      this.events.overflowed(this);
      return;
    }
    this.batches.push(ids);
    this.queued += ids.length;
  }

  next(): Promise<IteratorResult<string[]>> {
    if (this.batches.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<string[]>> {
    this.failure = undefined;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  read<T>(load: () => Promise<T>): Promise<T | undefined> {
    return this.reads.run(() => (this.done ? Promise.resolve(undefined) : load()));
  }

  /** Everything queued, up to maxBatchIds (a single batch is never split). */
  private take(): string[] {
    const first = this.batches.shift()!;
    let taken = first;
    while (this.batches.length && taken.length + this.batches[0]!.length <= this.limits.maxBatchIds) {
      if (taken === first) taken = [...first];
      taken.push(...this.batches.shift()!);
    }
    this.queued -= taken.length;
    return taken;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.batches = [];
    this.queued = 0;
    this.events.closed(this);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
  }
}

/** At most `max` tasks at once; the others start in arrival order. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idlers: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((start) => this.waiting.push(start));
    else this.running++;
    try {
      return await task();
    } finally {
      // A waiting task takes this slot over, so `running` stays the same.
      const next = this.waiting.shift();
      if (next) next();
      else if (--this.running === 0) for (const resolve of this.idlers.splice(0)) resolve();
    }
  }

  /** Resolves once no task runs or waits. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idlers.push(resolve));
  }
}

interface Listener {
  listening(): boolean;
  close(): Promise<void>;
}

/** PGlite is one in-process session: it cannot drop, so there is nothing to reconnect or catch up. */
async function listenPglite(
  pglite: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> },
  onPayload: (payload: string) => void,
): Promise<Listener> {
  const unlisten = await pglite.listen(ASSIGNMENT_CREATED_CHANNEL, onPayload);
  let listening = true;
  return {
    listening: () => listening,
    async close() {
      listening = false;
      await unlisten();
    },
  };
}

interface PgListenerHooks {
  announce(tenantId: string, pairs: AssignmentPair[]): void;
  /** Tenants that have subscribers now: the only ones a catch-up needs to read. */
  tenantIds(): string[];
  recovered(count: number): void;
}

/** Shows up in pg_stat_activity, so operators (and tests) can find the session. */
export const LISTENER_APPLICATION_NAME = 'safety-training-api:listener';

/** The dedicated PostgreSQL listening session, with heartbeat, reconnect and catch-up. */
class PgListener implements Listener {
  /** The established session; undefined while (re)connecting. */
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;
  private closed = false;
  /** The database's clock at the last moment we know we were listening. */
  private lastAlive: Date | undefined;
  private readonly recent: RecentIds;

  private constructor(
    private readonly url: string,
    private readonly options: HubOptions,
    private readonly log: Logger,
    private readonly hooks: PgListenerHooks,
  ) {
    this.recent = new RecentIds(options.catchUpMarginMs + 3 * options.heartbeatMs);
  }

  static async start(url: string, options: HubOptions, log: Logger, hooks: PgListenerHooks): Promise<PgListener> {
    const listener = new PgListener(url, options, log, hooks);
    await listener.connect();
    return listener;
  }

  listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.detach();
    await client?.end().catch(() => {});
  }

  /** One attempt; a failure schedules the next (or, on the very first start, fails start-up like migrations do). */
  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel === ASSIGNMENT_CREATED_CHANNEL && message.payload) this.receive(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${ASSIGNMENT_CREATED_CHANNEL}"`);
      const resumedAt = await this.now(client);
      // Listening again before reading the gap, so nothing falls between the two.
      if (this.lastAlive) await this.catchUp(client, this.lastAlive, resumedAt);
      if (this.closed) return void discard(client);
      this.client = client;
      this.lastAlive = resumedAt;
      this.attempts = 0;
      this.beat(client);
    } catch (error) {
      discard(client);
      if (!this.lastAlive) throw error;
      this.log.warn({ err: error, attempt: this.attempts }, 'reconnecting the LISTEN session failed');
      this.scheduleRetry();
    }
  }

  private receive(payload: string): void {
    const event = parsePayload(payload);
    if (!event) {
      this.log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed notification');
      return;
    }
    this.hooks.announce(event.tenantId, this.recent.keepUnseen(event.assignments));
  }

  /** The database's clock; also proves the session answers within a heartbeat. */
  private async now(client: pg.Client): Promise<Date> {
    const timeout = this.options.heartbeatMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const { rows } = await Promise.race([
        client.query<{ now: Date }>('SELECT clock_timestamp() AS now'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the LISTEN session did not answer within ${timeout} ms`)),
            timeout,
          );
        }),
      ]);
      return rows[0]!.now;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A half-open TCP connection raises no error: only a query that goes unanswered reveals it. */
  private beat(client: pg.Client): void {
    this.heartbeat = setTimeout(() => {
      this.now(client).then(
        (now) => {
          if (this.client !== client) return;
          this.lastAlive = now;
          this.beat(client);
        },
        (error: unknown) => this.lost(client, error),
      );
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The established session failed: drop it and reconnect. Failures while connecting are `connect`'s to handle. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.closed || this.client !== client) return;
    this.detach();
    discard(client);
    this.recent.holdEviction();
    this.log.warn(
      { err: error, lastAlive: this.lastAlive },
      'lost the LISTEN session: live assignment events are paused until it is back',
    );
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const backoff = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempts++);
    this.retry = setTimeout(
      () => {
        this.retry = undefined;
        void this.connect();
      },
      Math.round(backoff * (0.5 + Math.random() / 2)), // jitter: instances do not reconnect in lockstep
    );
    this.retry.unref();
  }

  private detach(): void {
    this.client = undefined;
    clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Announces the assignments committed while nobody was listening. Reads as
   * the `service` role, tenant by tenant, so RLS applies even when the
   * connecting user is a plain table owner. A query error is logged and
   * accepted (retrying could never succeed); a lost connection is thrown, so the
   * next attempt reads the same window again.
   */
  private async catchUp(client: pg.Client, lastAlive: Date, resumedAt: Date): Promise<void> {
    const tenants = this.hooks.tenantIds();
    const window = { from: lastAlive, to: resumedAt, tenants: tenants.length };
    const seconds = Math.round((resumedAt.getTime() - lastAlive.getTime()) / 1000);
    let recovered = 0;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(
        `SELECT set_config('role', $1, true), set_config('app.user_id', '', true), set_config('app.role', 'service', true)`,
        [APP_ROLE],
      );
      for (const tenantId of tenants) {
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        const { rows } = await client.query<{ id: string; user_id: string }>(
          `SELECT id::text, user_id::text FROM training_assignments
           WHERE tenant_id = $1::uuid AND created_at >= $2::timestamptz - make_interval(secs => $3)
           ORDER BY created_at, id`,
          [tenantId, lastAlive, this.options.catchUpMarginMs / 1000],
        );
        const missed = this.recent.keepUnseen(rows.map((row): AssignmentPair => [row.id, row.user_id]));
        for (let start = 0; start < missed.length; start += NOTIFY_BATCH) {
          this.hooks.announce(tenantId, missed.slice(start, start + NOTIFY_BATCH));
        }
        recovered += missed.length;
      }
      await client.query('COMMIT');
      this.log.warn(
        { ...window, recovered },
        `LISTEN session back after ~${seconds} s; delivered ${recovered} assignment(s) created meanwhile`,
      );
    } catch (error) {
      await client.query('ROLLBACK'); // throws when the session is gone: the caller retries
      this.log.error(
        { err: error, ...window, recovered },
        `LISTEN session back after ~${seconds} s, but the catch-up failed: assignments created in this window may not have been delivered live`,
      );
    } finally {
      this.hooks.recovered(recovered);
    }
    this.recent.resumeEviction();
  }
}

/** Ends a session we no longer use, without waiting on a peer that may be gone. */
function discard(client: pg.Client): void {
  client.removeAllListeners();
  client.on('error', () => {});
  void client.end().catch(() => {});
}

/**
 * Ids announced in the last `windowMs` of listening time, so a catch-up never
 * delivers an assignment twice. Eviction is held while the session is down (the
 * catch-up after it needs what came just before the outage).
 */
class RecentIds {
  private buckets: { startedAt: number; ids: Set<string> }[] = [];
  private held = false;
  private readonly bucketMs: number;

  constructor(private readonly windowMs: number) {
    this.bucketMs = Math.max(1_000, Math.ceil(windowMs / 8));
  }

  /** The pairs whose id was not seen yet; remembers them. */
  keepUnseen(pairs: AssignmentPair[]): AssignmentPair[] {
    const now = Date.now();
    if (!this.held) this.buckets = this.buckets.filter((bucket) => bucket.startedAt > now - this.windowMs);
    let current = this.buckets.at(-1);
    if (!current || current.startedAt <= now - this.bucketMs) {
      current = { startedAt: now, ids: new Set() };
      this.buckets.push(current);
    }
    const fresh = pairs.filter(([id]) => !this.buckets.some((bucket) => bucket.ids.has(id)));
    for (const [id] of fresh) current.ids.add(id);
    return fresh;
  }

  holdEviction(): void {
    this.held = true;
  }

  resumeEviction(): void {
    this.held = false;
  }
}
