import { subscriptionDropped } from '../errors.js';
import type { HubOptions } from './options.js';

export interface FeedFilter {
  tenantId: string;
  /** Only this user's assignments; null: the whole tenant's. */
  userId: string | null;
}

/**
 * Delivers announced ids to a batch of one tenant's feeds: decides which of its
 * ids each feed may see, shapes the payloads and `push`es them. Provided by the
 * domain (src/assignments/live.ts); the hub only schedules it.
 */
export type Delivery = (tenantId: string, batch: PendingDelivery[]) => Promise<void>;

export interface PendingDelivery {
  feed: Feed;
  /** The ids announced to this feed since its last delivery, in announcement order. */
  ids: string[];
}

/** One subscriber's stream of shaped payloads; `return()` unsubscribes. */
export type AssignmentFeed = AsyncIterableIterator<unknown>;

/**
 * One subscriber: the ids announced to it but not delivered yet (the hub's side),
 * and the bounded queue of payloads delivered but not yet pulled by the socket.
 * Nothing here ever awaits the subscriber. One that lets more than
 * `maxQueuedIds` pile up (a stalled socket stops pulling) is dropped with the
 * documented error. `return()` settles a pending pull at once.
 */
export class Feed implements AssignmentFeed {
  /** Announced, not delivered yet; taken by the scheduler. */
  pending: string[] = [];
  /** A delivery of this feed is running: the next waits, so payloads keep their order. */
  inFlight = false;
  private queue: unknown[] = [];
  private waiting: { resolve(result: IteratorResult<unknown>): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;
  done = false;

  constructor(
    readonly filter: FeedFilter,
    /** The domain's data about this subscriber (viewer, selection); the delivery reads it. */
    readonly subscriber: unknown,
    readonly deliver: Delivery,
    private readonly limits: Pick<HubOptions, 'maxQueuedIds'>,
    private readonly events: { closed(feed: Feed): void; overflowed(feed: Feed): void },
  ) {}

  /** The hub hands over announced ids; false when the feed is closed. */
  announce(ids: string[]): boolean {
    if (this.done) return false;
    for (const id of ids) this.pending.push(id);
    return true;
  }

  /** Shaped payloads, in order, from a delivery. */
  push(items: unknown[]): void {
    if (this.done || items.length === 0) return;
    let start = 0;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: items[0], done: false });
      start = 1;
    }
    for (let index = start; index < items.length; index++) this.queue.push(items[index]);
    this.checkBacklog();
  }

  /** Ends the subscription with `error` (e.g. its delivery failed). */
  fail(error: Error): void {
    if (this.done) return;
    this.failure = error;
    this.finish();
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift(), done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<unknown>> {
    this.failure = undefined;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<unknown>> {
    this.finish();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Only what the subscriber has not pulled counts: ids the hub has yet to deliver are the hub's backlog. */
  private checkBacklog(): void {
    if (this.queue.length <= this.limits.maxQueuedIds) return;
    this.failure = subscriptionDropped(this.limits.maxQueuedIds);
    this.finish();
    this.events.overflowed(this);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    this.queue = [];
    this.events.closed(this);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    // A pull is parked: it gets the error (or the end) now, not on a next pull that would never come.
    const failure = this.failure;
    this.failure = undefined;
    if (failure) waiting.reject(failure);
    else waiting.resolve({ value: undefined, done: true });
  }
}
