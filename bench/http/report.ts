import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fmt, median, table } from '../../tests/support/report.js';
import type { SeedCounts } from '../../tests/support/seed.js';
import {
  CONNECTIONS,
  PROBE_REQUESTS,
  QUERIES,
  QUERY_LABEL,
  ROUNDS,
  SECONDS,
  TARGET_LABEL,
  TARGETS,
  WARMUP_SECONDS,
  type Measured,
  type PostGraphileNames,
  type QueryName,
  type TargetName,
} from './settings.js';
import { overheadReport } from './telemetry.js';

/** The BENCHMARKS.md section of one run. */
export function report(input: {
  counts: SeedCounts;
  seedSeconds: number;
  results: Map<string, Measured[]>;
  names: PostGraphileNames;
  loadAverage: number;
  measuredSeconds: number;
  xactsPerRequest: Map<string, number>;
  exported: { batches: number; bytes: number };
}): string {
  const { counts, results, names } = input;
  const summary = (target: TargetName, query: QueryName) => {
    const runs = results.get(`${target}/${query}`) ?? [];
    return {
      rps: median(runs.map((run) => run.rps)),
      p50: median(runs.map((run) => run.p50)),
      p97_5: median(runs.map((run) => run.p97_5)),
      p99: median(runs.map((run) => run.p99)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      requests: runs.reduce((sum, run) => sum + run.requests, 0),
      cpu: median(runs.map((run) => run.serverCpuMsPerRequest)),
      xacts: input.xactsPerRequest.get(`${target}/${query}`) ?? Number.NaN,
      load: median(runs.map((run) => run.loadAverage)),
      all: runs.map((run) => fmt(run.rps, 0)).join(' / '),
    };
  };
  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  for (const query of QUERIES) {
    const ours = summary('ours', query);
    for (const target of TARGETS) {
      if (target === 'telemetry' || target === 'control') continue;
      const s = summary(target, query);
      rows.push([
        `${query}: ${TARGET_LABEL[target]}`,
        fmt(s.rps, 0),
        s.all,
        fmt(s.p50, 1),
        fmt(s.p97_5, 1),
        fmt(s.p99, 1),
        `${s.errors} / ${s.requests.toLocaleString('en-US')}`,
        fmt(s.cpu, 2),
        fmt(s.xacts, 2),
        fmt(s.load, 1),
      ]);
    }
    const pg = summary('postgraphile', query);
    const floor = summary('floor', query);
    ratios.push([
      query,
      `${fmt(ours.rps / pg.rps, 2)}×`,
      `${fmt(ours.rps / floor.rps, 2)}×`,
      `${fmt(pg.rps / floor.rps, 2)}×`,
      `${fmt(ours.cpu / pg.cpu, 1)}×`,
      `${fmt(ours.cpu / floor.cpu, 1)}×`,
    ]);
  }
  return `## HTTP throughput: our API vs PostGraphile vs a bare pg handler

Two reads, each served by three servers on the same PostgreSQL database under the same RLS
(\`training_app\`, \`app.tenant_id/user_id/role\` set per transaction from the same verified HS256 JWT):

- **courses** — ${QUERY_LABEL.courses}: \`trainingCourses(first: 50) { totalCount nodes { id title category riskThreshold } }\`.
- **assignments** — ${QUERY_LABEL.assignments}: \`userTrainingAssignments(userId, first: 50) { nodes { id status dueDate course { id title category } completion { score passed completedAt expiresAt } } }\`.

Targets: **our API** (\`node --import tsx src/main.ts\`, NODE_ENV=production, LOG_LEVEL=warn, scheduler timers and the e-mail deliverer off, pool 10);
**PostGraphile v4** (library, \`pgSettings\` from the JWT claims, pool 10; the equivalent query uses
\`${names.courses}(condition: {tenantId}, orderBy: [CREATED_AT_DESC, ID_ASC])\`, \`${names.assignments}(condition: {tenantId, userId})\`,
\`${names.assignmentCourse}\`, \`${names.assignmentCompletions}(first: 1, orderBy: COMPLETED_AT_DESC)\` and a computed column
\`${names.effectiveStatus}\` (a one-line SQL function added to the bench database only) so it returns the same on-read overdue status
as ours — names found by introspection; in its process every \`require('graphql')\` is pinned to PostGraphile's own graphql 15,
because this install hoists our graphql 16 where PostGraphile's helper \`graphql-parse-resolve-info\` finds it); **floor**: a bare Node \`http\` + \`pg\` handler that verifies the same JWT, runs
BEGIN, the caller's settings (\`set_config\`), the equivalent hand-written SQL (list + count; one join with a lateral
latest-completion), COMMIT, and writes the JSON. Each server runs in **its own child process** so it does not share an
event loop with the load generator (autocannon, in the benchmark process); on this ${os.cpus().length}-core machine the
load generator, the server and PostgreSQL still compete for cores, which is why only ratios from the same run mean anything
(load average at start: ${fmt(input.loadAverage, 1)}).

Data: one throwaway database, migrated by our runner and seeded set-based as the owner in ${fmt(input.seedSeconds, 1)} s —
3 tenants × 200 courses, ${counts.profiles.toLocaleString('en-US')} profiles, ${counts.assignments.toLocaleString('en-US')} assignments,
${counts.completions.toLocaleString('en-US')} completions (the benchmark worker has 50 assignments), then VACUUM ANALYZE.
Before any load each target's sample response was checked: no \`errors\`, 50 nodes (totalCount 200), and the same ids and
statuses in the same order on all three. Under load every response body must equal that verified sample byte for byte,
otherwise it counts as an error (as do connection errors, timeouts and non-2xx).

Method: ${WARMUP_SECONDS} s warm-up per target and query, then ${ROUNDS} rounds × ${QUERIES.length} queries × ${TARGETS.length} targets × ${SECONDS} s,
${CONNECTIONS} connections, the target order rotated every round (${fmt(input.measuredSeconds / 60, 1)} min measured).
Reported: the median over rounds of req/s (each round's value listed) and of the p50/p97.5/p99 latency; errors summed over all
rounds; server CPU = user+system CPU time of the server process per request (from /proc/<pid>/stat; excludes PostgreSQL and
the load generator) — the figure least disturbed by other work on the machine; transactions/request = database transactions
(pg_stat_database) per request, measured before the timed runs over ${PROBE_REQUESTS} sequential requests per target and query
(our API's listener heartbeat adds ≈ 0.01); load = the machine's 1-minute load average after each run (median).

${table(
  [
    'query: target',
    'req/s (median)',
    'req/s per round',
    'p50 ms',
    'p97.5 ms',
    'p99 ms',
    'errors / requests',
    'server CPU ms/req',
    'transactions/req',
    'load',
  ],
  rows,
)}

Ratios (median req/s; server CPU per request):

${table(
  [
    'query',
    'req/s ours / PostGraphile',
    'req/s ours / floor',
    'req/s PostGraphile / floor',
    'CPU/req ours / PostGraphile',
    'CPU/req ours / floor',
  ],
  ratios,
)}

${TARGETS.includes('telemetry') && TARGETS.includes('control') ? overheadReport(QUERIES, (target, query) => results.get(`${target}/${query}`) ?? [], input.exported) : ''}

${readFileSync(new URL('./levers.md', import.meta.url), 'utf8').trim()}
`;
}
