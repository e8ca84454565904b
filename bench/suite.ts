import { autoAssign } from './auto-assign/index.js';
import { content } from './content/index.js';
import { riskLoop } from './auto-assign/risk-loop.js';
import { qualifications } from './auto-assign/qualifications.js';
import { analytics } from './analytics/index.js';
import { fairness } from './fairness/index.js';
import { http } from './http/index.js';
import { offline } from './offline/index.js';
import { quiz } from './quiz/index.js';
import { quizzes } from './quizzes/index.js';
import { records } from './records/index.js';
import { httpLimits } from './http/limits.js';
import { soak } from './soak/index.js';
import { subscriptions } from './subscriptions/index.js';
import { subscriptionsInstances } from './subscriptions/instances.js';
import { trend } from './trend/index.js';
import { xapi } from './xapi/index.js';

/** A benchmark returns its BENCHMARKS.md section (markdown). */
export interface Benchmark {
  name: string;
  run(): Promise<string>;
  /** Why this run is not the published one (say, a subset for profiling), if so: it is printed, not written. */
  unpublished?(): string | undefined;
}

/** Every benchmark, in the order of BENCHMARKS.md. */
export const allBenchmarks: Benchmark[] = [
  http,
  httpLimits,
  fairness,
  analytics,
  autoAssign,
  riskLoop,
  qualifications,
  trend,
  quizzes,
  quiz,
  xapi,
  records,
  content,
  offline,
  subscriptions,
  subscriptionsInstances,
  soak,
];

// The soak takes SOAK_SECONDS (default 10 minutes), so a plain `npm run bench` leaves it out:
// it runs when named (`npm run bench -- soak`) or when SOAK_SECONDS is set.
export const benchmarks = allBenchmarks.filter((bench) => bench !== soak || Boolean(process.env.SOAK_SECONDS));
