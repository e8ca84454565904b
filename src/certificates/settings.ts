import type { AppServices } from '../core/caller/index.js';
import { createRateLimiter, type RateLimiter } from '../core/rate-limit.js';
import { defineSettings } from '../core/settings.js';

export const certificateSettings = defineSettings('certificates', (setting) => ({
  /** Public certificate lookups (PDF, verify page, `verifyCertificate`) allowed per client address per minute. */
  lookupsPerMinute: setting.integer('CERTIFICATE_LOOKUPS_PER_MINUTE', 60),
}));

const limiters = new WeakMap<AppServices, RateLimiter>();

/** The app's per-address limit on public lookups (one per running app, so tests' servers do not share counts). */
export function lookupLimiter(services: AppServices): RateLimiter {
  let limiter = limiters.get(services);
  if (!limiter) {
    limiter = createRateLimiter({ limit: certificateSettings.of(services.config).lookupsPerMinute, windowMs: 60_000 });
    limiters.set(services, limiter);
  }
  return limiter;
}
