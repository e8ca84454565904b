import { subscriptionDropped } from '../errors.js';
import type { Limiter } from './limiter.js';
import type { HubOptions } from './options.js';

export interface FeedFilter {
  tenantId: string;
  /** Only this user's assignments; null: the whole tenant's. */
  userId: string | null;
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

/**
 * One subscriber's bounded queue of id batches. The hub pushes synchronously;
 * the subscription pulls. `return()` settles a pending pull at once, so an
 * unsubscribe never waits for the next event to arrive.
 */
export class Feed implements AssignmentFeed {
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
      this.failure = subscriptionDropped(this.limits.maxQueuedIds);
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
