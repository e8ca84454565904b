import { autoAssign } from './auto-assign/index.js';
import { analytics } from './analytics/index.js';
import { http } from './http/index.js';
import { soak } from './soak/index.js';
import { subscriptions } from './subscriptions/index.js';

/** Every benchmark `npm run bench` runs, in order. Each returns its BENCHMARKS.md section (markdown). */
export interface Benchmark {
  name: string;
  run(): Promise<string>;
}

export const benchmarks: Benchmark[] = [http, analytics, autoAssign, subscriptions];

// The soak takes SOAK_SECONDS (default 10 minutes), so a plain `npm run bench` leaves it out:
// it runs when named (`npm run bench -- soak`) or when SOAK_SECONDS is set.
if (process.env.SOAK_SECONDS || process.argv.slice(2).includes(soak.name)) benchmarks.push(soak);
