import type { Feed, PendingDelivery } from './feed.js';
import type { HubOptions } from './options.js';

type Limits = Pick<HubOptions, 'readConcurrency' | 'tenantReadConcurrency' | 'maxBatchSubscribers' | 'maxBatchIds'>;

interface TenantQueue {
  /** Feeds with announced ids, in announcement order. */
  pending: Set<Feed>;
  running: number;
}

/**
 * Runs deliveries fairly between tenants. Each delivery takes a batch of one
 * tenant's feeds that have ids waiting (up to `maxBatchSubscribers` feeds and
 * `maxBatchIds` ids), so a burst becomes a few batched statements, not one read
 * per subscriber. At most `readConcurrency` deliveries run at once, at most
 * `tenantReadConcurrency` of them for one tenant, and a freed slot goes to the
 * next tenant in turn (round robin), so a tenant flooding its subscribers
 * delays its own events, not another tenant's. A feed is never in two
 * deliveries at once: its payloads stay in order.
 */
export class FairScheduler {
  private readonly tenants = new Map<string, TenantQueue>();
  private running = 0;
  private idlers: (() => void)[] = [];
  private pumpScheduled = false;

  constructor(
    private readonly limits: Limits,
    private readonly failed: (error: unknown, batch: PendingDelivery[]) => void,
  ) {}

  enqueue(feed: Feed): void {
    const tenantId = feed.filter.tenantId;
    let queue = this.tenants.get(tenantId);
    if (!queue) this.tenants.set(tenantId, (queue = { pending: new Set(), running: 0 }));
    queue.pending.add(feed);
    this.pumpSoon();
  }

  /**
   * Starts deliveries once the current turn of the event loop is over: a bulk
   * insert arrives as many notifications (80 ids each) read together, and
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

  /** Resolves once no delivery runs. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idlers.push(resolve));
  }

  private pump(): void {
    while (this.running < this.limits.readConcurrency) {
      const next = this.nextBatch();
      if (!next) return;
      void this.run(next.tenantId, next.queue, next.batch);
    }
  }

  /** The first tenant in turn that may start a delivery, moved to the back of the line. */
  private nextBatch(): { tenantId: string; queue: TenantQueue; batch: PendingDelivery[] } | undefined {
    for (const [tenantId, queue] of this.tenants) {
      if (queue.running >= this.limits.tenantReadConcurrency) continue;
      const batch = this.take(queue);
      if (queue.pending.size === 0 && queue.running === 0 && batch.length === 0) {
        this.tenants.delete(tenantId);
        continue;
      }
      if (batch.length === 0) continue;
      this.tenants.delete(tenantId);
      this.tenants.set(tenantId, queue); // round robin: this tenant waits behind the others now
      return { tenantId, queue, batch };
    }
    return undefined;
  }

  private take(queue: TenantQueue): PendingDelivery[] {
    const batch: PendingDelivery[] = [];
    let ids = 0;
    for (const feed of queue.pending) {
      if (batch.length >= this.limits.maxBatchSubscribers || ids >= this.limits.maxBatchIds) break;
      if (feed.done) {
        queue.pending.delete(feed);
        continue;
      }
      if (feed.inFlight) continue;
      const room = this.limits.maxBatchIds - ids;
      const taken = feed.pending.length <= room ? feed.pending : feed.pending.slice(0, room);
      feed.pending = taken === feed.pending ? [] : feed.pending.slice(room);
      if (feed.pending.length === 0) queue.pending.delete(feed);
      feed.inFlight = true;
      ids += taken.length;
      batch.push({ feed, ids: taken });
    }
    return batch;
  }

  private async run(tenantId: string, queue: TenantQueue, batch: PendingDelivery[]): Promise<void> {
    this.running++;
    queue.running++;
    try {
      // Feeds of one batch share their delivery function (there is one per kind of subscription).
      const byDelivery = new Map<PendingDelivery['feed']['deliver'], PendingDelivery[]>();
      for (const entry of batch) {
        const list = byDelivery.get(entry.feed.deliver);
        if (list) list.push(entry);
        else byDelivery.set(entry.feed.deliver, [entry]);
      }
      for (const [deliver, entries] of byDelivery) {
        try {
          await deliver(tenantId, entries);
        } catch (error) {
          this.failed(error, entries);
        }
      }
    } finally {
      for (const { feed } of batch) feed.inFlight = false;
      this.running--;
      queue.running--;
      if (queue.pending.size === 0 && queue.running === 0) this.tenants.delete(tenantId);
      this.pump();
      if (this.running === 0) for (const resolve of this.idlers.splice(0)) resolve();
    }
  }
}
