import { subscriptionDropped } from '../errors.js';
import type { HubOptions } from './options.js';
import type { Preshaped } from './preshaped.js';
import type { Shaping } from './shaping.js';

export interface FeedFilter {
  tenantId: string;
  /** Only the keys announced for this user; null: the whole tenant's. */
  userId: string | null;
}

/**
 * Delivers announced keys to a batch of one tenant's feeds: decides which of its
 * keys each feed may see, shapes the payloads (through `shaping`, which
 * serializes each once and meters it) and `push`es them. Provided by the
 * domain; the hub only schedules it. A delivery that throws is retried later
 * with the same keys (nothing was pushed: push only once everything is shaped).
 */
export type Delivery = (tenantId: string, batch: PendingDelivery[], shaping: Shaping) => Promise<void>;

export interface PendingDelivery {
  feed: Feed;
  /** The keys announced to this feed since its last delivery, in announcement order. */
  keys: string[];
  /** When the first of them was announced (performance.now()). */
  since: number;
}

/** One subscriber's stream of preshaped payloads; `return()` unsubscribes. */
export type LiveFeed = AsyncIterableIterator<Preshaped>;

/**
 * One subscriber: the keys announced to it but not delivered yet (the hub's
 * side), and the bounded queue of payloads delivered but not yet pulled by the
 * socket. Nothing here ever awaits the subscriber. One that lets more than
 * `maxQueuedIds` payloads or `maxQueuedBytes` bytes pile up (a stalled socket
 * stops pulling) is dropped with the documented error — checked when a push
 * finds payloads still unread, so one large delivery into a drained queue
 * drops no one. `return()` settles a pending pull at once.
 */
export class Feed implements LiveFeed {
  /** Announced, not delivered yet; taken by the scheduler. */
  pending: string[] = [];
  /** When the oldest of `pending` was announced (performance.now()), for the commit-to-delivery lag. */
  pendingSince = 0;
  /** A delivery of this feed is running: the next waits, so payloads keep their order. */
  inFlight = false;
  /** Bytes of every payload pushed so far: the scheduler charges a delivery the difference. */
  pushedBytes = 0;
  private queue: Preshaped[] = [];
  private queuedBytes = 0;
  private waiting: { resolve(result: IteratorResult<Preshaped>): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;
  done = false;

  constructor(
    readonly filter: FeedFilter,
    /** The domain's data about this subscriber (viewer, selection); the delivery reads it. */
    readonly subscriber: unknown,
    readonly deliver: Delivery,
    private readonly limits: Pick<HubOptions, 'maxQueuedIds' | 'maxQueuedBytes'>,
    private readonly events: { closed(feed: Feed): void; overflowed(feed: Feed): void },
  ) {}

  /** The hub hands over announced keys; false when the feed is closed. */
  announce(keys: readonly string[]): boolean {
    if (this.done) return false;
    if (this.pending.length === 0) this.pendingSince = performance.now();
    for (const key of keys) this.pending.push(key);
    return true;
  }

  /** A delivery that failed gives its keys back, ahead of what was announced since. */
  restore(keys: string[], since: number): void {
    if (this.done) return;
    this.pending = keys.concat(this.pending);
    this.pendingSince = since;
  }

  /** Preshaped payloads, in order, from a delivery. */
  push(items: Preshaped[]): void {
    if (this.done || items.length === 0) return;
    const behind = this.queue.length > 0;
    let start = 0;
    for (const item of items) this.pushedBytes += item.payload.length;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: items[0]!, done: false });
      start = 1;
    }
    for (let index = start; index < items.length; index++) {
      this.queue.push(items[index]!);
      this.queuedBytes += items[index]!.payload.length;
    }
    if (behind) this.checkBacklog();
  }

  /** Ends the subscription with `error` (e.g. its deliveries kept failing). */
  fail(error: Error): void {
    if (this.done) return;
    this.failure = error;
    this.finish();
  }

  next(): Promise<IteratorResult<Preshaped>> {
    const item = this.queue.shift();
    if (item) {
      this.queuedBytes -= item.payload.length;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Preshaped>> {
    this.failure = undefined;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<Preshaped>> {
    this.finish();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Only what the subscriber has not pulled counts: keys the hub has yet to deliver are the hub's backlog. */
  private checkBacklog(): void {
    const { maxQueuedIds, maxQueuedBytes } = this.limits;
    if (this.queue.length > maxQueuedIds)
      this.failure = subscriptionDropped(`fell more than ${maxQueuedIds} events behind`);
    else if (this.queuedBytes > maxQueuedBytes) {
      this.failure = subscriptionDropped(`fell more than ${maxQueuedBytes} bytes behind`);
    } else return;
    this.finish();
    this.events.overflowed(this);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    this.queue = [];
    this.queuedBytes = 0;
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
