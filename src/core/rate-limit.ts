/**
 * A fixed-window counter per key (a client address), in this process's memory: each key may
 * take `limit` times per window. Behind a load balancer each instance counts on its own, so
 * the effective limit is per instance.
 */
export interface RateLimiter {
  /** Counts one use by `key`: 0 when allowed, otherwise the seconds until the key may try again. */
  take(key: string): number;
}

/** Keys are forgotten once their window has passed; the map is swept when it grows past this. */
const SWEEP_ABOVE = 10_000;

export function createRateLimiter(options: { limit: number; windowMs: number; now?: () => number }): RateLimiter {
  const { limit, windowMs } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    take(key) {
      const time = now();
      if (windows.size > SWEEP_ABOVE) {
        for (const [k, w] of windows) if (w.resetAt <= time) windows.delete(k);
      }
      let window = windows.get(key);
      if (!window || window.resetAt <= time) {
        window = { count: 0, resetAt: time + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count <= limit) return 0;
      return Math.max(1, Math.ceil((window.resetAt - time) / 1000));
    },
  };
}
