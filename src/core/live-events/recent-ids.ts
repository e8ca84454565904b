import type { AnnouncedKey } from './channel.js';

/**
 * Keys of one channel announced in the last `windowMs` of listening time, so a
 * catch-up never delivers a key twice. Eviction is held while the session is down (the
 * catch-up after it needs what came just before the outage).
 */
export class RecentIds {
  private buckets: { startedAt: number; ids: Set<string> }[] = [];
  private held = false;
  private readonly bucketMs: number;

  constructor(private readonly windowMs: number) {
    this.bucketMs = Math.max(1_000, Math.ceil(windowMs / 8));
  }

  /** The pairs whose id was not seen yet; remembers them. */
  keepUnseen(pairs: AnnouncedKey[]): AnnouncedKey[] {
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
