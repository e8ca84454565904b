import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase, type BenchDatabase } from '../http/database.js';
import { fmt, median, percentile, table } from '../http/load.js';
import { freePort, startChild, waitReady, type Child } from '../http/processes.js';
import { seedTraining, type SeedCounts } from '../http/seed.js';
import type { Benchmark } from '../suite.js';

/**
 * `trainingAnalytics` on 1,000,000 assignments (SPEC §8: "tens of milliseconds"): the SQL
 * helper under the admin's RLS settings, and the full GraphQL query through our HTTP API,
 * on a database as just loaded and again after VACUUM ANALYZE; then EXPLAIN ANALYZE of
 * each statement the resolver runs, to show where the time goes.
 */

const RUNS = Number(process.env.ANALYTICS_RUNS ?? 10);
const WARMUP = 2;
/** A measurement stops early after this long (once it has 3 timed runs) or after 3 failures in a row. */
const BUDGET_MS = 120_000;
/** How long leftovers of abandoned requests may run before they are cancelled. */
const QUIESCE_MS = 10_000;
const WORKERS = Number(process.env.ANALYTICS_WORKERS ?? 20_000); // × 50 assignments each
const NOISE_WORKERS = Math.round(WORKERS / 5);
const PER_WORKER = 50;

const TENANT = '9c4f5d0b-3e4a-4f6b-8d8e-4a5b6c7d8e93';
const NOISE_TENANT = 'ad5a6e1c-4f5b-4a7c-9e9f-5b6c7d8e9fa4';
const ADMIN = '0e2b9d88-ac8e-4d9f-9f1a-2b3c4d5e6f78';

const FULL_QUERY = `{
  trainingAnalytics {
    totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime
    byStatus { status count }
    byCategory { category assignments completionRate }
  }
}`;
/** The same, one field group at a time: each group is one SQL statement in src/analytics/analytics.ts. */
const PART_QUERIES = {
  'seven figures (get_training_analytics)':
    '{ trainingAnalytics { totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime } }',
  byStatus: '{ trainingAnalytics { byStatus { status count } } }',
  byCategory: '{ trainingAnalytics { byCategory { category assignments completionRate } } }',
};

/**
 * The statements behind those field groups, for EXPLAIN ANALYZE: the body of
 * get_training_analytics (prisma/migrations/…_security) and the byStatus/byCategory SQL
 * of src/analytics/analytics.ts, copied as of this writing with the tenant as $1.
 */
const EXPLAINED: Record<string, string> = {
  'get_training_analytics (function body)': `
    WITH a AS (
        SELECT count(*) FILTER (WHERE s <> 'cancelled') AS total,
               count(*) FILTER (WHERE s = 'completed') AS completed,
               count(*) FILTER (WHERE s = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE s = 'overdue') AS overdue
        FROM (SELECT training_effective_status(status, due_date) AS s
              FROM training_assignments
              WHERE tenant_id = $1) t
    )
    SELECT (SELECT count(*) FROM training_courses WHERE tenant_id = $1),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           COALESCE((SELECT round(avg(completion_time_minutes), 2) FROM training_completions
                     WHERE tenant_id = $1 AND passed), 0)
    FROM a`,
  byStatus: `
    SELECT training_effective_status(a.status, a.due_date) AS status, count(*) AS count
    FROM training_assignments a
    WHERE a.tenant_id = $1
    GROUP BY 1`,
  byCategory: `
    SELECT c.category,
           count(*) FILTER (WHERE s.status <> 'cancelled') AS assignments,
           count(*) FILTER (WHERE s.status = 'completed') AS completed,
           count(*) FILTER (WHERE s.status = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE s.status = 'overdue') AS overdue,
           round(avg(s.score), 2) AS avg_score
    FROM training_courses c
    LEFT JOIN LATERAL (
      SELECT training_effective_status(a.status, a.due_date) AS status,
             (SELECT tc.score FROM training_completions tc
              WHERE tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
              ORDER BY tc.completed_at DESC LIMIT 1) AS score
      FROM training_assignments a
      WHERE a.tenant_id = c.tenant_id AND a.course_id = c.id
    ) s ON true
    WHERE c.tenant_id = $1
    GROUP BY c.category
    ORDER BY c.category`,
};

const ANALYZED_TABLES = ['profiles', 'training_courses', 'training_assignments', 'training_completions'];

interface Timing {
  label: string;
  median: number;
  p95: number;
  runs: number[];
  /** Timed runs that answered with errors (their times are not in `runs`). */
  failures: number;
  /** Timed runs attempted (fewer than RUNS when the budget ran out or it kept failing). */
  attempted: number;
  /** The first error answer, and what the server logged about it. */
  error?: string;
}

export const analytics: Benchmark = {
  name: 'analytics',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadAverage = os.loadavg()[0]!;
    const db = await createBenchDatabase('bench_analytics');
    let api: Child | undefined;
    try {
      // "As loaded" must mean it: no autovacuum/autoanalyze until we ask for VACUUM ANALYZE.
      await db.withClient(async (client) => {
        for (const name of ANALYZED_TABLES) await client.query(`ALTER TABLE "${name}" SET (autovacuum_enabled = off)`);
      });
      console.log(
        `database ${db.name}: seeding ${((WORKERS + NOISE_WORKERS) * PER_WORKER).toLocaleString()} assignments…`,
      );
      const seedStarted = Date.now();
      const counts = await seed(db);
      const seedSeconds = (Date.now() - seedStarted) / 1000;
      console.log(`seeded in ${seedSeconds.toFixed(1)} s: ${JSON.stringify(counts)}`);

      const port = await freePort();
      api = startChild('our API', ['src/main.ts'], {
        DATABASE_URL: db.url,
        PORT: String(port),
        JWT_SECRET: secret,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        AUTO_ASSIGN_CRON: '',
        OVERDUE_SWEEP_CRON: '',
      });
      await waitReady(api, `http://127.0.0.1:${port}/readyz`);
      const token = await mintToken({ secret, userId: ADMIN, tenantId: TENANT, role: 'admin', name: 'Ada Admin' });
      const graphqlUrl = `http://127.0.0.1:${port}/graphql`;

      const expected = await expectedFigures(db);
      const phases: { name: string; timings: Timing[] }[] = [];
      let cancelled = 0;
      for (const phase of ['as loaded (no VACUUM/ANALYZE yet)', 'after VACUUM ANALYZE']) {
        if (phase.startsWith('after')) {
          const started = Date.now();
          await db.withClient(async (client) => {
            for (const name of ANALYZED_TABLES) await client.query(`VACUUM ANALYZE "${name}"`);
          });
          console.log(`VACUUM ANALYZE in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        console.log(`— ${phase}`);
        const timings: Timing[] = [];
        cancelled += await quiesce(db);
        timings.push(await timeSql(db, 'SQL `get_training_analytics(tenant)` as the admin under RLS'));
        cancelled += await quiesce(db);
        const full = await timeGraphql(api, graphqlUrl, token, 'GraphQL: the full query', FULL_QUERY, (data) =>
          checkFigures(data, expected),
        );
        timings.push(full);
        for (const [label, query] of Object.entries(PART_QUERIES)) {
          cancelled += await quiesce(db);
          timings.push(await timeGraphql(api, graphqlUrl, token, `GraphQL: ${label} only`, query));
        }
        phases.push({ name: phase, timings });
      }

      cancelled += await quiesce(db);
      console.log('EXPLAIN ANALYZE…');
      const plans = await explainAll(db);

      // The proposal (bench/analytics/proposed-counters.sql), applied to this throwaway
      // database only: counters must equal a recount, the seven figures must not change.
      cancelled += await quiesce(db);
      console.log('— proposed counters');
      const proposal = await applyProposal(db, expected);
      const proposed: Timing[] = [];
      proposed.push(await timeSql(db, 'SQL `get_training_analytics(tenant)` (counters) as the admin under RLS'));
      proposed.push(await timeSql(db, 'SQL byStatus from the counters', PROPOSED_BY_STATUS));
      proposed.push(await timeSql(db, 'SQL byCategory from the counters', PROPOSED_BY_CATEGORY));
      proposed.push(
        await timeGraphql(
          api,
          graphqlUrl,
          token,
          'GraphQL: seven figures only (unchanged resolver)',
          PART_QUERIES['seven figures (get_training_analytics)'],
          (data) => checkFigures(data, expected),
        ),
      );
      return report({ counts, seedSeconds, phases, plans, loadAverage, expected, cancelled, proposal, proposed });
    } finally {
      await api?.stop();
      await db.drop();
    }
  },
};

async function seed(db: BenchDatabase): Promise<SeedCounts> {
  return db.withClient((client) =>
    seedTraining(client, [
      {
        id: TENANT,
        adminId: ADMIN,
        officerId: '1f3cae99-bd9f-4ea0-8a2b-3c4d5e6f7089',
        workers: WORKERS,
        courses: 200,
        assignmentsPerWorker: PER_WORKER,
      },
      {
        id: NOISE_TENANT,
        adminId: '2a4dbfaa-cea0-4fb1-9b3c-4d5e6f708192',
        officerId: '3b5ec0bb-dfb1-4ac2-8c4d-5e6f708192a3',
        workers: NOISE_WORKERS,
        courses: 200,
        assignmentsPerWorker: PER_WORKER,
      },
    ]),
  );
}

/** Runs `fn` in a transaction as the tenant's admin under RLS, exactly as src/core/db.ts sets it up. */
async function asAdmin<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(
      "SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', $1, true), " +
        "set_config('app.user_id', $2, true), set_config('app.role', 'admin', true)",
      [TENANT, ADMIN],
    );
    return await fn();
  } finally {
    await client.query('ROLLBACK');
  }
}

interface Figures {
  total_courses: string;
  total_assignments: string;
  completed_count: string;
  in_progress_count: string;
  overdue_count: string;
  completion_rate: string;
  avg_completion_time: string;
}

/** The seven figures, straight from the function under RLS: what the GraphQL answer must say. */
async function expectedFigures(db: BenchDatabase): Promise<Figures> {
  return db.withClient((client) =>
    asAdmin(client, async () => {
      const { rows } = await client.query<Figures>('SELECT * FROM get_training_analytics($1::uuid)', [TENANT]);
      return rows[0]!;
    }),
  );
}

function checkFigures(data: unknown, expected: Figures): void {
  const figures = (data as { trainingAnalytics: Record<string, number> }).trainingAnalytics;
  const pairs: [string, number, string][] = [
    ['totalCourses', figures.totalCourses!, expected.total_courses],
    ['totalAssignments', figures.totalAssignments!, expected.total_assignments],
    ['completedCount', figures.completedCount!, expected.completed_count],
    ['inProgressCount', figures.inProgressCount!, expected.in_progress_count],
    ['overdueCount', figures.overdueCount!, expected.overdue_count],
    ['completionRate', figures.completionRate!, expected.completion_rate],
    ['avgCompletionTime', figures.avgCompletionTime!, expected.avg_completion_time],
  ];
  for (const [name, got, want] of pairs) {
    if (Number(got) !== Number(want)) throw new Error(`trainingAnalytics.${name}: got ${got}, SQL says ${want}`);
  }
}

function summarize(label: string, runs: number[], attempted: number, failures = 0, error?: string): Timing {
  const timing = { label, median: median(runs), p95: percentile(runs, 95), runs, failures, attempted, error };
  console.log(
    `${label}: median ${fmt(timing.median)} ms, p95 ${fmt(timing.p95)} ms over ${runs.length} runs` +
      (failures ? `, ${failures}/${attempted} requests FAILED: ${error}` : ''),
  );
  return timing;
}

/**
 * Waits until no other session is running a statement in the benchmark database, so a
 * measurement never competes with the leftovers of the previous one (a request the API
 * gave up on keeps its statement running in PostgreSQL). After `maxMs` the leftovers are
 * cancelled; returns how many were.
 */
async function quiesce(db: BenchDatabase, maxMs = QUIESCE_MS): Promise<number> {
  return db.withClient(async (client) => {
    const deadline = Date.now() + maxMs;
    const busy = async () =>
      Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
          )
        ).rows[0]!.n,
      );
    while ((await busy()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    const { rows } = await client.query<{ cancelled: boolean }>(
      `SELECT pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
    );
    if (rows.length) console.log(`cancelled ${rows.length} statement(s) still running after ${maxMs / 1000} s`);
    return rows.length;
  });
}

async function timeSql(
  db: BenchDatabase,
  label: string,
  sql = 'SELECT * FROM get_training_analytics($1::uuid)',
): Promise<Timing> {
  return db.withClient(async (client) => {
    const runs: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const elapsed = await asAdmin(client, async () => {
        const started = performance.now();
        await client.query(sql, [TENANT]);
        return performance.now() - started;
      });
      if (i >= WARMUP) runs.push(elapsed);
    }
    return summarize(label, runs, WARMUP + RUNS);
  });
}

async function timeGraphql(
  api: Child,
  url: string,
  token: string,
  label: string,
  query: string,
  check?: (data: unknown) => void,
): Promise<Timing> {
  const runs: number[] = [];
  let failures = 0;
  let failedInARow = 0;
  let attempted = 0;
  let error: string | undefined;
  const began = Date.now();
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // A failing request takes as long as its statement: two failures in a row settle it.
    if (failedInARow >= 2 || (i > WARMUP + 2 && Date.now() - began > BUDGET_MS)) break;
    attempted++;
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    const elapsed = performance.now() - started;
    if (!response.ok || body.errors || !body.data) {
      // A failure is a result, not a crash: count it, keep the first answer and the server's log.
      failures++;
      failedInARow++;
      if (!error) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const logged = api
          .tail()
          .split('\n')
          .filter((line) => line.includes('"level":50'))
          .map((line) => {
            const entry = JSON.parse(line) as { msg?: string; path?: unknown; err?: { message?: string } };
            return `${entry.msg} at ${JSON.stringify(entry.path)}: ${entry.err?.message?.replace(/\s+/g, ' ').slice(0, 300)}`;
          });
        error = `HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}; server log: ${logged.at(-1) ?? '(nothing)'}`;
      }
      continue;
    }
    check?.(body.data);
    failedInARow = 0;
    if (i >= WARMUP) runs.push(elapsed);
  }
  return summarize(label, runs, attempted, failures, error);
}

/** byStatus and byCategory of src/analytics/analytics.ts, tenant scope, read from the proposed counters. */
const PROPOSED_BY_STATUS = `
  SELECT training_effective_status(k.status, k.due_date) AS status, sum(k.n)::bigint AS count
  FROM training_assignment_counts k WHERE k.tenant_id = $1 GROUP BY 1`;
const PROPOSED_BY_CATEGORY = `
  WITH a AS (
      SELECT c.category,
             coalesce(sum(k.n) FILTER (WHERE s.status <> 'cancelled'), 0)::bigint AS assignments,
             coalesce(sum(k.n) FILTER (WHERE s.status = 'completed'), 0)::bigint AS completed,
             coalesce(sum(k.n) FILTER (WHERE s.status = 'in_progress'), 0)::bigint AS in_progress,
             coalesce(sum(k.n) FILTER (WHERE s.status = 'overdue'), 0)::bigint AS overdue
      FROM training_courses c
      LEFT JOIN training_assignment_counts k ON k.tenant_id = c.tenant_id AND k.course_id = c.id
      LEFT JOIN LATERAL (SELECT training_effective_status(k.status, k.due_date) AS status) s ON true
      WHERE c.tenant_id = $1
      GROUP BY c.category
  ), scores AS (
      SELECT c.category, sum(cc.score_sum) AS score_sum, sum(cc.score_n) AS score_n
      FROM training_courses c
      JOIN training_completion_counts cc ON cc.tenant_id = c.tenant_id AND cc.course_id = c.id
      WHERE c.tenant_id = $1
      GROUP BY c.category
  )
  SELECT a.category, a.assignments, a.completed, a.in_progress, a.overdue,
         round(scores.score_sum / nullif(scores.score_n, 0), 2) AS avg_score
  FROM a LEFT JOIN scores USING (category)
  ORDER BY a.category`;

interface ProposalCheck {
  applySeconds: number;
  buckets: number;
}

async function applyProposal(db: BenchDatabase, expected: Figures): Promise<ProposalCheck> {
  const sql = readFileSync(new URL('./proposed-counters.sql', import.meta.url), 'utf8');
  const started = Date.now();
  await db.withClient(async (client) => {
    await client.query('BEGIN');
    await client.query(sql);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE training_assignment_counts');
    await client.query('VACUUM ANALYZE training_completion_counts');
  });
  const applySeconds = (Date.now() - started) / 1000;
  return db.withClient((client) =>
    asAdmin(client, async () => {
      const figures = (await client.query<Figures>('SELECT * FROM get_training_analytics($1::uuid)', [TENANT]))
        .rows[0]!;
      for (const key of Object.keys(expected) as (keyof Figures)[]) {
        if (Number(figures[key]) !== Number(expected[key])) {
          throw new Error(
            `proposed get_training_analytics: ${key} = ${figures[key]}, current function says ${expected[key]}`,
          );
        }
      }
      const { rows } = await client.query<{ differing: string; buckets: string }>(
        `WITH recount AS (
           SELECT course_id, status, CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END AS due_date,
                  count(*)::bigint AS n
           FROM training_assignments WHERE tenant_id = $1 GROUP BY 1, 2, 3),
         kept AS (SELECT course_id, status, due_date, n FROM training_assignment_counts WHERE tenant_id = $1 AND n <> 0)
         SELECT (SELECT count(*) FROM ((TABLE recount EXCEPT TABLE kept) UNION ALL (TABLE kept EXCEPT TABLE recount)) d)
                  AS differing,
                (SELECT count(*) FROM kept) AS buckets`,
        [TENANT],
      );
      if (Number(rows[0]!.differing) !== 0) throw new Error(`proposed counters: ${rows[0]!.differing} buckets differ`);
      console.log(`proposal applied in ${applySeconds.toFixed(1)} s; ${rows[0]!.buckets} buckets, equal to a recount`);
      return { applySeconds, buckets: Number(rows[0]!.buckets) };
    }),
  );
}

interface Plan {
  label: string;
  executionMs: number;
  text: string;
}

async function explainAll(db: BenchDatabase): Promise<Plan[]> {
  return db.withClient(async (client) => {
    const plans: Plan[] = [];
    for (const [label, sql] of Object.entries(EXPLAINED)) {
      const lines = await asAdmin(client, async () => {
        await client.query("SET LOCAL statement_timeout = '300s'");
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql.replaceAll('$1', `'${TENANT}'::uuid`)}`,
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

function report(input: {
  counts: SeedCounts;
  seedSeconds: number;
  phases: { name: string; timings: Timing[] }[];
  plans: Plan[];
  loadAverage: number;
  expected: Figures;
  cancelled: number;
  proposal: ProposalCheck;
  proposed: Timing[];
}): string {
  const { counts, phases, plans, expected } = input;
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
  return `## Analytics on ${tenantAssignments.toLocaleString('en-US')} assignments

\`trainingAnalytics\` for a tenant with ${tenantAssignments.toLocaleString('en-US')} assignments (${WORKERS.toLocaleString('en-US')}
workers × ${PER_WORKER}, 200 courses) beside a noise tenant with ${(NOISE_WORKERS * PER_WORKER).toLocaleString('en-US')} more — in all
${counts.assignments.toLocaleString('en-US')} assignments and ${counts.completions.toLocaleString('en-US')} completions, seeded set-based as
the owner in ${fmt(input.seedSeconds, 0)} s (states: 50 % completed, 20 % assigned, 15 % in progress, 10 % overdue, 5 % cancelled).
Figures checked against the SQL function on every GraphQL run: ${expected.total_assignments} assignments counted,
${expected.completed_count} completed, ${expected.overdue_count} overdue, rate ${expected.completion_rate} %, mean
${expected.avg_completion_time} min.

Measured: (a) \`SELECT * FROM get_training_analytics(tenant)\` on one connection, in a transaction with the admin's RLS settings
(\`training_app\`, \`app.tenant_id/user_id/role\` exactly as src/core/db.ts sets them), statement time only; (b) the full GraphQL
query \`${FULL_QUERY.replace(/\s+/g, ' ').trim()}\` as the tenant's admin through our HTTP API (a child process,
NODE_ENV=production), client-observed time; and the same query one field group at a time (each group is one SQL statement).
${WARMUP} warm-up runs, then ${RUNS} sequential runs each; median and p95 (nearest rank) in ms over the successful timed runs;
"failed" = failed / sent requests, warm-ups included (a GraphQL measurement stops after 2 failures in a row — a failing request
lasts as long as its statement — or after ${BUDGET_MS / 1000} s). Between measurements the statements of requests the API gave up
on (they keep running in PostgreSQL) get ${QUIESCE_MS / 1000} s to finish and are then cancelled (${input.cancelled} in this run). First on the database as loaded (autovacuum switched off on
these tables, so no statistics and no visibility map), then after \`VACUUM ANALYZE\`. Load average at start:
${fmt(input.loadAverage, 1)} on ${os.cpus().length} cores.

${table(['measurement', ...phases.flatMap((phase) => [`median ms, ${phase.name}`, 'p95 ms', 'failed'])], rows)}
${failures.length ? `\nFailures (median and p95 are over the successful runs only):\n\n${failures.join('\n')}\n` : ''}

Where the time goes (EXPLAIN ANALYZE after VACUUM ANALYZE, as the admin under RLS; statements copied from the migration and
src/analytics/analytics.ts):

${table(
  ['statement', 'execution ms'],
  plans.map((plan) => [plan.label, fmt(plan.executionMs)]),
)}

${plans.map((plan) => `<details><summary>${plan.label}</summary>\n\n\`\`\`\n${plan.text}\n\`\`\`\n</details>`).join('\n\n')}

Why it cannot be tens of milliseconds as built: every figure is recounted from the rows on every request — the seven
figures scan the tenant's ${tenantAssignments.toLocaleString('en-US')} assignments and all its passed completions (RLS adds a
per-row policy check on each), byStatus scans the assignments again, and byCategory runs a correlated subquery (the latest
passed completion's score) once per assignment, even when \`averageScore\` is not asked for. Aggregating 1M rows costs
hundreds of ms at best (a bare \`count(*)\` of them took 0.65 s, by hand, on this machine under load); no index makes a
1M-row aggregate fit in tens of ms. And because each field group is
its own Prisma interactive transaction with the default 5 s timeout (2 s to get a connection), a slow group fails the request
with INTERNAL_SERVER_ERROR while its statement keeps running in PostgreSQL and holding a pool connection.

**Proposed fix (for the lead; not applied to src/ or the migrations):** counters kept by the database —
\`bench/analytics/proposed-counters.sql\`, written as a migration: \`training_assignment_counts\` (tenant, course, status, due date
for active assignments only, n) and \`training_completion_counts\` (tenant, course: passed, minutes, scores), maintained by
statement-level triggers with transition tables (one upsert per statement, buckets locked in key order) whose SECURITY DEFINER
functions run as a NOLOGIN role \`training_counter\` that can write only the counters; RLS forced, read-only for the
admin/safety-officer/service roles of the tenant; backfilled in the migration; \`get_training_analytics\` reads the counters for a
tenant and the base tables for one user. Overdue stays exact (active assignments are bucketed by due date and compared with
\`training_today()\` at read time). byStatus and byCategory (tenant scope) would read the counters with the two statements timed
below (in src/analytics/analytics.ts; per-user scope unchanged). averageScore becomes the mean score of passed completions, which
equals "the latest passed completion per assignment" as long as an assignment has at most one passed completion — what the life
cycle guarantees (a passed attempt completes it; a completed one cannot be completed again); \`CREATE UNIQUE INDEX … ON
training_completions (tenant_id, assignment_id) WHERE passed\` would make that a database invariant.

Prototype on this same database (applied in ${fmt(input.proposal.applySeconds, 1)} s including the backfill; the tenant has
${input.proposal.buckets.toLocaleString('en-US')} non-empty buckets, checked equal to a recount of the rows; the seven figures checked
equal to the current function's):

${table(
  ['measurement (proposal)', 'median ms', 'p95 ms', 'failed'],
  input.proposed.map((timing) => [
    timing.label,
    fmt(timing.median),
    fmt(timing.p95),
    timing.failures ? `**${timing.failures}/${timing.attempted}**` : `0/${timing.attempted}`,
  ]),
)}

Cost on writes — measured by hand once while preparing the proposal, on a 1.2M-row copy of this data on this machine at load
average ≈ 12, not re-measured by this benchmark: a single-row status UPDATE went from
≈ 0.21 to ≈ 0.37 ms (the statement trigger and one or two bucket upserts), a 8,874-row auto-assign style INSERT from ≈ 1.3 to
≈ 1.8 s; 2,000 updates, a 50,000-row overdue sweep, inserts, cancels, deletes and completion edits left the counters equal to a
recount. Trade-off: writers of the same bucket (e.g. completions of one course) serialize on its row until commit; if that
ever shows, add a small shard number to the key and sum over it. Separately, the analytics resolvers should pass a longer
\`timeout\` to \`context.transaction\` and \`SET LOCAL statement_timeout\` to match, so a slow query is cancelled in PostgreSQL
instead of outliving the request that gave up on it.
`;
}
