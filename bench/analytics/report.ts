import { readFileSync } from 'node:fs';
import os from 'node:os';
import { type BenchDatabase } from '../../tests/support/database.js';
import { fmt, table } from '../../tests/support/report.js';
import { type SeedCounts } from '../../tests/support/seed.js';
import { RUNS, WARMUP, QUIESCE_MS, WORKERS, NOISE_WORKERS, PER_WORKER, FULL_QUERY, EXPLAINED } from './queries.js';
import { type Timing } from './timing.js';
import { asAdmin, type Figures, type CounterSizes } from './figures.js';
import { type WriteCost } from './writes.js';

/** EXPLAIN ANALYZE of each statement, and the BENCHMARKS.md section. */

export interface Plan {
  label: string;
  executionMs: number;
  text: string;
}

export async function explainAll(db: BenchDatabase): Promise<Plan[]> {
  return db.withClient(async (client) => {
    const plans: Plan[] = [];
    for (const [label, statement] of Object.entries(EXPLAINED)) {
      const lines = await asAdmin(client, async () => {
        await client.query("SET LOCAL statement_timeout = '300s'");
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.text}`,
          statement.values,
        );
        return rows.map((row) => row['QUERY PLAN']);
      }).catch((error: Error) => [`(not finished: ${error.message})`]);
      const execution = lines.find((line) => line.startsWith('Execution Time'));
      plans.push({ label, executionMs: Number(/([\d.]+) ms/.exec(execution ?? '')?.[1]), text: lines.join('\n') });
      console.log(`${label}: ${execution}`);
    }
    return plans;
  });
}

export function report(input: {
  counts: SeedCounts;
  seedSeconds: number;
  phases: { name: string; timings: Timing[] }[];
  plans: Plan[];
  loadAverage: number;
  expected: Figures;
  cancelled: number;
  sizes: CounterSizes;
  writes: WriteCost[];
}): string {
  const { counts, phases, plans, expected, sizes } = input;
  const labels = phases[0]!.timings.map((timing) => timing.label);
  const rows = labels.map((label) => [
    label,
    ...phases.flatMap((phase) => {
      const timing = phase.timings.find((t) => t.label === label)!;
      return [
        fmt(timing.median),
        fmt(timing.p95),
        timing.failures ? `**${timing.failures}/${timing.attempted}**` : `0/${timing.attempted}`,
      ];
    }),
  ]);
  const failures = phases.flatMap((phase) =>
    phase.timings
      .filter((timing) => timing.error)
      .map(
        (timing) =>
          `- ${phase.name}, ${timing.label}: ${timing.failures}/${timing.attempted} requests failed — ${timing.error}`,
      ),
  );
  const tenantAssignments = WORKERS * PER_WORKER;
  const n = (value: number) => value.toLocaleString('en-US');
  const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  const recount = plans.find((plan) => plan.label.startsWith('for comparison'));
  const baselined = labels.some((label) => label.endsWith('baseline API'));
  return `## Analytics on ${n(tenantAssignments)} assignments

\`trainingAnalytics\` for a tenant with ${n(tenantAssignments)} assignments (${n(WORKERS)} workers × ${PER_WORKER}, 200
courses) beside a noise tenant with ${n(NOISE_WORKERS * PER_WORKER)} more — in all ${n(counts.assignments)} assignments and
${n(counts.completions)} completions, seeded set-based as the owner in ${fmt(input.seedSeconds, 0)} s, through the counter
triggers (states: 50 % completed, 20 % assigned, 15 % in progress, 5 % stored overdue, 5 % past due but not swept, 5 %
cancelled).

**How it is computed.** Tenant-wide figures are sums over counters the database keeps on every write (migration
\`20261125000400_analytics_counters\`, one row per course since \`20261216200000_counter_columns_per_status\`):
\`training_assignment_counts\` holds, per (tenant, course), a count per stored status (a column each);
\`training_assignment_due_counts\` holds, per (tenant, due date, course), the counts of the rows whose effective status
depends on the day (stored \`assigned\`/\`in_progress\` with a due date, a column each); \`training_completion_counts\` holds,
per (tenant, course), the passed completions with the sums and counts of their minutes and scores. AFTER row triggers
(Citus runs no transition table on a shard) add each row an INSERT/UPDATE/DELETE writes (a bulk auto-assignment, the
overdue sweep, a cascade) to the counter rows it moves between, kept in the transaction's settings, and a statement
trigger upserts each counter row the statement changed once, in key order (a start or a completion: one row per counter
table); a row whose counts all reach zero is deleted. The trigger
functions are SECURITY DEFINER, owned by the NOLOGIN role \`training_counter\`, which may write the counters and nothing
else; requests (\`training_app\`) may only read them, and RLS shows a tenant's counters to its admins, safety officers and
integrations only. Overdue stays exact between sweeps: \`training_assignment_effective_counts(tenant)\` reads the due counters
for the past dates only (an index range: \`due_date < training_today()\`) and moves those from their stored status to overdue,
the rule of \`training_effective_status\` applied to buckets — so a read does not grow with the number of future due dates.
One user's figures (a worker's own progress) are still counted from that user's rows.

**Correct to the row (checked before timing):** the counters the seed's writes produced equal a recount of every row of
both tables (0 differing buckets), and \`get_training_analytics(tenant)\` equals the formula recounted from the rows:
${expected.total_assignments} assignments counted, ${expected.completed_count} completed, ${expected.in_progress_count} in
progress, ${expected.overdue_count} overdue, rate ${expected.completion_rate} %, mean ${expected.avg_completion_time} min.
Every GraphQL run of the full query is checked against those recounted figures.

**Sizes:** the tenant has ${n(sizes.tenantBuckets)} course counter rows and ${n(sizes.tenantDueBuckets)} (due date,
course) rows, ${n(sizes.tenantPastDueBuckets)} of them past due (the seed leaves 5 % of its assignments past due and unswept;
the overdue sweep would move them to the overdue column); ${n(sizes.allBuckets)} assignment counter rows in all, plus
${n(sizes.completionBuckets)} completion counter rows. The counter tables with their indexes take ${mib(sizes.countersBytes)} MiB,
against ${mib(sizes.assignmentsBytes)} MiB for training_assignments. A tenant read touches its course counter rows, its
past-due rows and its 200 courses, never its rows.

Measured: (a) SQL on one connection, in a transaction with the admin's RLS settings (\`training_app\`,
\`app.tenant_id/user_id/role\` exactly as src/core/caller/index.ts sets them), statement time only: the function, the byStatus /
byCategory / byCourse statements of src/analytics/analytics-sql.ts, and the one read of src/analytics/tenant-figures.ts; (b) GraphQL as the tenant's admin through our HTTP API (a
child process, NODE_ENV=production), client-observed time: the full query \`${FULL_QUERY.replace(/\s+/g, ' ').trim()}\`,
the same one field group at a time, a dashboard query (every group, byCourse with each course's title, the 20 longest
overdue assignments), and the full query as a worker (their own ${PER_WORKER} assignments, counted from the rows). A
request that selects one group of a tenant's figures runs that group's statement; one that selects several gets all four
from one read of the counters (per course, per category and for the tenant by GROUPING SETS, each course with its title,
so byCourse loads no courses when it asks for no more than id, title, category); the overdue list is one more query.${
    baselined
      ? ` The dashboard is also timed through an API started from another checkout (\`ANALYTICS_BASELINE\`, the code
before the change), right before ours, on the same database; each of our answers equals its answer.`
      : ''
  } ${WARMUP} warm-up runs, then ${RUNS} sequential runs each; median and p95 (nearest
rank) in ms; "failed" = failed / sent requests, warm-ups included (between measurements, statements of requests the API
gave up on get ${QUIESCE_MS / 1000} s and are then cancelled: ${input.cancelled} in this run). First on the database as
loaded (autovacuum off on these tables: no statistics, no visibility map), then after \`VACUUM ANALYZE\`. Load average at
start: ${fmt(input.loadAverage, 1)} on ${os.cpus().length} cores.

${table(['measurement', ...phases.flatMap((phase) => [`median ms, ${phase.name}`, 'p95 ms', 'failed'])], rows)}
${failures.length ? `\nFailures (median and p95 are over the successful runs only):\n\n${failures.join('\n')}\n` : ''}

**Where the time goes** (EXPLAIN ANALYZE after VACUUM ANALYZE, as the admin under RLS; statements copied from the
migration and src/analytics/analytics.ts, and for comparison the recount from the rows that the counters replace):

${table(
  ['statement', 'execution ms'],
  plans.map((plan) => [plan.label, fmt(plan.executionMs)]),
)}

The counter statements read the tenant's ${n(sizes.tenantBuckets)} course counter rows, its
${n(sizes.tenantPastDueBuckets)} past-due rows and its 200 courses; the recount reads its
${n(tenantAssignments)} assignment rows and passed completions (${recount ? `${fmt(recount.executionMs, 0)} ms` : 'not measured'}
here). Through GraphQL the rest is HTTP, JSON, the transaction's round trips (BEGIN, the caller's settings, one statement
per group or one for all, COMMIT) and, for the dashboard, the overdue list.

${plans.map((plan) => `<details><summary>${plan.label}</summary>\n\n\`\`\`\n${plan.text}\n\`\`\`\n</details>`).join('\n\n')}

**Cost on writes** (measured here, on this database after VACUUM ANALYZE, as the owner: each write in its own transaction,
rolled back, with the counter triggers (six row, two statement) enabled or disabled inside it; medians, runs interleaved; statement time only):

${table(
  [
    'write',
    'runs each',
    'without counters, ms',
    'with counters, ms',
    'added, ms',
    'added',
    'in the server: without → with, ms',
    'added in the server',
  ],
  input.writes.map((w) => [
    w.label,
    w.runs,
    fmt(w.without, 2),
    fmt(w.withCounters, 2),
    fmt(w.withCounters - w.without, 2),
    added(w),
    w.server ? `${fmt(w.server.without, 3)} → ${fmt(w.server.withCounters, 3)}` : '',
    w.server ? added(w.server) : '',
  ]),
)}

"In the server" times the one-row writes again (same runs, interleaved) by what EXPLAIN ANALYZE reports as each statement's
execution time, its triggers included: a few tenths of a millisecond, which the round trips and this process's work hide
in the first columns on a loaded machine.

${
  input.writes.some((w) => w.withCounters < w.without)
    ? `A negative "added" means the counters' cost is below this run's noise: those rows are medians of a few runs of
statements that take seconds on a shared machine, whose run-to-run spread is larger than the trigger's work.

`
    : ''
}A write pays one row trigger per row it writes, which adds the row's deltas to the counter rows it moves between in the
transaction's settings (an update that moves no row between counts calls nothing: the trigger's WHEN; a start or a
completion moves its row between two status columns of one counter row), and one statement trigger, which upserts each
counter row the statement changed once, in key order, and deletes any row it empties (row by row, a counter row was
updated once per row, and each update walked every version the transaction had made). Trade-offs: writers of the same
course (any two writes that change the counts of one course, e.g. a start and a completion of one course) serialize on
that course's counter row until they commit, which bounds write concurrency per course, not per tenant; a statement's
counter rows are locked in key order, so they do not deadlock on them. If one course ever becomes a hot spot, a small shard
number in the key (summed on read) spreads it.

${readFileSync(new URL('./dashboard-levers.md', import.meta.url), 'utf8').trim()}
`;
}

/** The counters' share added to a write's time, signed. */
function added({ withCounters, without }: { withCounters: number; without: number }): string {
  return `${withCounters >= without ? '+' : '−'}${fmt((Math.abs(withCounters - without) / without) * 100, 0)} %`;
}
