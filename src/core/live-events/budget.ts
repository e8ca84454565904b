import type { HubOptions } from './options.js';

type Limits = Pick<HubOptions, 'tenantBytesPerSecond' | 'tenantShapingMsPerSecond' | 'maxBatchIds' | 'maxQueuedBytes'>;

/**
 * A tenant may bank this much budget while idle (seconds' worth), so an ordinary
 * burst is not paced: one event each for 5,000 subscribed workers costs about
 * 1.5 s of the default budget (BENCHMARKS.md "Subscriptions").
 */
const CAPACITY_SECONDS = 3;
/** Pairs (subscriber, key) of a tenant's first deliveries, before their cost is known. */
const FIRST_BATCH_PAIRS = 200;

/** What one delivery cost. */
export interface DeliveryCost {
  /** Bytes serialized, once per payload. */
  serializedBytes: number;
  /** Bytes pushed, once per subscriber. */
  pushedBytes: number;
  /** Time spent shaping (executing and serializing). */
  shapingMs: number;
  /** (subscriber, key) pairs it served. */
  pairs: number;
}

/**
 * A tenant's share of the live-delivery work, as a token bucket measured in
 * seconds of budget: a delivery costs its bytes over `tenantBytesPerSecond`
 * plus its shaping time over `tenantShapingMsPerSecond`; the bucket refills one
 * second per second up to CAPACITY_SECONDS. A tenant with no credit waits
 * (its keys stay pending, nothing is dropped) while other tenants go first.
 * The cost is known once a delivery ran, so the batch a tenant may take next is
 * sized from its last cost per pair, to about the bucket's capacity, and what
 * one feed may take from its last bytes per pair, to a quarter of what a feed
 * may hold; until they are known its deliveries are small and one at a time.
 */
export class TenantBudget {
  private credit = CAPACITY_SECONDS;
  private updatedAt = Date.now();
  private costPerPair: number | undefined;
  private bytesPerPair: number | undefined;

  constructor(private readonly limits: Limits) {}

  /** Whether a first delivery's cost is still unknown (then only one runs at a time). */
  get unmeasured(): boolean {
    return this.costPerPair === undefined;
  }

  /** When this tenant may start a delivery (now or earlier: at once). */
  readyAt(now: number): number {
    this.refill(now);
    return this.credit > 0 ? now : now + Math.ceil(-this.credit * 1000) + 1;
  }

  /** Whether the bucket is full again (the tenant's state may be forgotten). */
  full(now: number): boolean {
    this.refill(now);
    return this.credit >= CAPACITY_SECONDS;
  }

  /** Most (subscriber, key) pairs the next delivery should take. */
  pairLimit(): number {
    const { maxBatchIds } = this.limits;
    if (this.costPerPair === undefined) return Math.min(maxBatchIds, FIRST_BATCH_PAIRS);
    return Math.max(1, Math.min(maxBatchIds, Math.floor(CAPACITY_SECONDS / this.costPerPair)));
  }

  /** Most keys one feed should take in the next delivery (no bound before one is measured). */
  keysPerFeed(): number {
    if (this.bytesPerPair === undefined) return Infinity;
    return Math.max(1, Math.floor(this.limits.maxQueuedBytes / 4 / this.bytesPerPair));
  }

  charge(cost: DeliveryCost, now: number): void {
    this.refill(now);
    const { tenantBytesPerSecond, tenantShapingMsPerSecond } = this.limits;
    const seconds =
      (cost.serializedBytes + cost.pushedBytes) / tenantBytesPerSecond + cost.shapingMs / tenantShapingMsPerSecond;
    this.credit -= seconds;
    if (cost.pairs === 0) return;
    this.costPerPair = seconds / cost.pairs;
    this.bytesPerPair = Math.max(1, cost.pushedBytes / cost.pairs);
  }

  private refill(now: number): void {
    this.credit = Math.min(CAPACITY_SECONDS, this.credit + (now - this.updatedAt) / 1000);
    this.updatedAt = now;
  }
}
