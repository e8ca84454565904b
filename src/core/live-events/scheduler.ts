import { TenantBudget } from './budget.js';
import type { Feed, PendingDelivery } from './feed.js';
import type { HubOptions } from './options.js';
import type { ShapingMeter } from './shaping.js';

type Limits = Pick<
  HubOptions,
  | 'readConcurrency'
  | 'tenantReadConcurrency'
  | 'maxBatchSubscribers'
  | 'maxBatchIds'
  | 'tenantBytesPerSecond'
  | 'tenantShapingMsPerSecond'
  | 'deliveryRetryMs'
  | 'maxQueuedBytes'
>;

/** A failed delivery is retried after this, doubling per failure in a row up to the maximum. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

interface TenantState {
  /** Feeds with announced keys, in announcement order. */
  pending: Set<Feed>;
  running: number;
  budget: TenantBudget;
  /** Deliveries failed in a row, since when, and when the next may start. */
  failures: number;
  failingSince: number;
  retryAt: number;
}

export interface SchedulerEvents {
  /** A fresh meter for one delivery's shaping. */
  shaping(): ShapingMeter;
  /**
   * A delivery failed. Unless `gaveUp`, its keys are pending again and retried;
   * with `gaveUp` (failing for `deliveryRetryMs`) the hub ends those feeds.
   */
  failed(error: unknown, entries: PendingDelivery[], gaveUp: boolean): void;
  /** A delivery handed its payloads to these subscribers. */
  delivered?(entries: PendingDelivery[]): void;
}

/**
 * Runs deliveries fairly between tenants. Each delivery takes a batch of one
 * tenant's feeds that have keys waiting (up to `maxBatchSubscribers` feeds and
 * `maxBatchIds` keys, fewer when its payloads are costly: budget.ts), so a burst
 * becomes a few batched statements, not one read per subscriber. At most
 * `readConcurrency` deliveries run at once, at most `tenantReadConcurrency` of
 * them for one tenant, a tenant over its budget of bytes and shaping time waits,
 * and a freed slot goes to the next tenant in turn (round robin): a tenant
 * flooding its subscribers delays its own events, not another tenant's, nor
 * another tenant's requests. A feed is never in two deliveries at once: its
 * payloads stay in order. A delivery that fails (the database went away) gives
 * its keys back to its feeds and the tenant waits with backoff, so nothing is
 * lost nor delivered twice.
 */
export class FairScheduler {
  private readonly tenants = new Map<string, TenantState>();
  private running = 0;
  private idlers: (() => void)[] = [];
  private pumpScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(
    private readonly limits: Limits,
    private readonly events: SchedulerEvents,
  ) {}

  enqueue(feed: Feed): void {
    this.state(feed.filter.tenantId).pending.add(feed);
    this.pumpSoon();
  }

  /** Resolves once no delivery runs. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idlers.push(resolve));
  }

  /** No delivery starts from now on; resolves once those running are over. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    return this.idle();
  }

  private state(tenantId: string): TenantState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = {
        pending: new Set(),
        running: 0,
        budget: new TenantBudget(this.limits),
        failures: 0,
        failingSince: 0,
        retryAt: 0,
      };
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  /**
   * Starts deliveries once the current turn of the event loop is over: a bulk
   * insert arrives as many notifications (80 keys each) read together, and
   * starting a delivery on the first would take its few subscribers alone,
   * then make the rest wait behind it. Deferred, they become full batches.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    while (this.running < this.limits.readConcurrency) {
      const next = this.nextBatch(now);
      if (!next) break;
      void this.run(next.tenantId, next.state, next.batch);
    }
    this.wakeForWaitingTenants(now);
  }

  /** The first tenant in turn that may start a delivery, moved to the back of the line. */
  private nextBatch(now: number): { tenantId: string; state: TenantState; batch: PendingDelivery[] } | undefined {
    for (const [tenantId, state] of this.tenants) {
      if (state.running >= this.limits.tenantReadConcurrency) continue;
      if (state.running > 0 && state.budget.unmeasured) continue;
      if (state.retryAt > now || state.budget.readyAt(now) > now) continue;
      const batch = this.take(state);
      if (batch.length === 0) {
        if (state.running === 0 && state.failures === 0 && state.budget.full(now)) this.tenants.delete(tenantId);
        continue;
      }
      this.tenants.delete(tenantId);
      this.tenants.set(tenantId, state); // round robin: this tenant waits behind the others now
      return { tenantId, state, batch };
    }
    return undefined;
  }

  /** One timer, for the earliest moment a tenant with keys waiting may start again (budget or backoff). */
  private wakeForWaitingTenants(now: number): void {
    let earliest = Infinity;
    for (const state of this.tenants.values()) {
      if (state.pending.size === 0 || state.running >= this.limits.tenantReadConcurrency) continue;
      const at = Math.max(state.retryAt, state.budget.readyAt(now));
      if (at > now) earliest = Math.min(earliest, at);
    }
    if (earliest === Infinity || (this.timer && this.timerAt <= earliest)) return;
    clearTimeout(this.timer);
    this.timerAt = earliest;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, earliest - now);
    this.timer.unref();
  }

  /**
   * Up to `maxBatchSubscribers` feeds, each with an equal share of the batch's
   * keys: subscribers of a tenant mostly wait for the same keys (the same
   * announcements), so a batch of many feeds with their first keys shapes each
   * row once for all of them, where a few feeds with all their keys would shape
   * the same rows again in every later batch.
   */
  private take(state: TenantState): PendingDelivery[] {
    const batch: PendingDelivery[] = [];
    const maxKeys = state.budget.pairLimit();
    const feeds = Math.min(state.pending.size, this.limits.maxBatchSubscribers);
    const share = Math.min(state.budget.keysPerFeed(), Math.max(1, Math.floor(maxKeys / Math.max(1, feeds))));
    let keys = 0;
    for (const feed of state.pending) {
      if (batch.length >= this.limits.maxBatchSubscribers || keys >= maxKeys) break;
      if (feed.done) {
        state.pending.delete(feed);
        continue;
      }
      if (feed.inFlight) continue;
      const room = Math.min(share, maxKeys - keys);
      const taken = feed.pending.length <= room ? feed.pending : feed.pending.slice(0, room);
      feed.pending = taken === feed.pending ? [] : feed.pending.slice(room);
      state.pending.delete(feed);
      // Keys left: to the back of the line (this loop skips it as in flight), so feeds beyond one batch get turns.
      if (feed.pending.length) state.pending.add(feed);
      feed.inFlight = true;
      keys += taken.length;
      batch.push({ feed, keys: taken, since: feed.pendingSince });
    }
    return batch;
  }

  private async run(tenantId: string, state: TenantState, batch: PendingDelivery[]): Promise<void> {
    this.running++;
    state.running++;
    const shaping = this.events.shaping();
    let pushedBefore = 0;
    let pairs = 0;
    for (const { feed, keys } of batch) {
      pushedBefore += feed.pushedBytes;
      pairs += keys.length;
    }
    const failed: PendingDelivery[] = [];
    let failure: unknown;
    try {
      // Feeds of one batch share their delivery function (there is one per kind of subscription).
      const byDelivery = new Map<Feed['deliver'], PendingDelivery[]>();
      for (const entry of batch) {
        const list = byDelivery.get(entry.feed.deliver);
        if (list) list.push(entry);
        else byDelivery.set(entry.feed.deliver, [entry]);
      }
      for (const [deliver, entries] of byDelivery) {
        try {
          await deliver(tenantId, entries, shaping);
        } catch (error) {
          failed.push(...entries);
          failure ??= error;
        }
      }
    } finally {
      const now = Date.now();
      let pushedAfter = 0;
      for (const { feed } of batch) {
        pushedAfter += feed.pushedBytes;
        feed.inFlight = false;
      }
      const cost = {
        serializedBytes: shaping.serializedBytes,
        pushedBytes: pushedAfter - pushedBefore,
        shapingMs: shaping.shapingMs,
        pairs,
      };
      state.budget.charge(cost, now);
      if (failed.length) this.retryLater(state, failed, failure, now);
      else state.failures = 0;
      if (failed.length < batch.length)
        this.events.delivered?.(failed.length ? batch.filter((e) => !failed.includes(e)) : batch);
      this.running--;
      state.running--;
      this.pump();
      if (this.running === 0) for (const resolve of this.idlers.splice(0)) resolve();
    }
  }

  /** Gives the keys back for a retry with backoff, or reports the feeds to drop once failing for too long. */
  private retryLater(state: TenantState, failed: PendingDelivery[], error: unknown, now: number): void {
    if (state.failures++ === 0) state.failingSince = now;
    const gaveUp = now - state.failingSince >= this.limits.deliveryRetryMs;
    this.events.failed(error, failed, gaveUp);
    if (gaveUp) {
      state.failures = 0;
      return;
    }
    for (const { feed, keys, since } of failed) {
      feed.restore(keys, since);
      if (!feed.done) state.pending.add(feed);
    }
    state.retryAt = now + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (state.failures - 1));
  }
}
