import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { tenantBreakdownSql } from '../../src/analytics/analytics-sql.js';
import { mintToken } from '../../src/core/auth.js';
import {
  ASSIGNMENT_COUNTER_DIFFERENCES,
  COMPLETION_COUNTER_DIFFERENCES,
  RECOUNT_FIGURES,
} from '../../tests/support/analytics.js';
import { createBenchDatabase, withCaller, type BenchDatabase } from '../../tests/support/database.js';
import { fmt, median, percentile, table } from '../../tests/support/report.js';
import { freePort, startChild, waitReady, type Child } from '../../tests/support/processes.js';
import { seedTraining, type SeedCounts } from '../../tests/support/seed.js';
import type { Benchmark } from '../suite.js';

/**
 * `trainingAnalytics` on 1,000,000 assignments (target: tens of milliseconds), as built:
 * tenant-wide figures read the counters of migration 20261125000400_analytics_counters
 * (training_assignment_counts / training_completion_counts, kept by statement-level triggers).
 * The database is migrated with every migration and seeded through the triggers (so the
 * counters are the ones the writes made), then checked to the row: counters equal a recount
 * of the rows, and the seven figures equal the formula recounted from the rows.
 * Measured on the database as loaded and after VACUUM ANALYZE: the SQL function and the
 * tenant-scope statements under the admin's RLS, the GraphQL query through our HTTP API (whole,
 * per field group, a dashboard with byCourse and the overdue list, and a worker's own
 * progress); then EXPLAIN ANALYZE of each statement (and of the recount the counters replace),
 * and the cost the counter triggers add to writes (with and without them, rolled back).
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
/** Write-cost runs per variant (with / without the counter triggers): single-row and bulk statements. */
const WRITE_RUNS = Number(process.env.ANALYTICS_WRITE_RUNS ?? 100);
const BULK_WRITE_RUNS = Number(process.env.ANALYTICS_BULK_WRITE_RUNS ?? 5);
const BULK_INSERT_ROWS = Math.min(10_000, WORKERS);
const BULK_UPDATE_ROWS = Math.min(50_000, WORKERS * 2);

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
/** The same, one field group at a time. */
const PART_QUERIES = {
  'seven figures (get_training_analytics)':
    '{ trainingAnalytics { totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime } }',
  byStatus: '{ trainingAnalytics { byStatus { status count } } }',
  byCategory: '{ trainingAnalytics { byCategory { category assignments completionRate } } }',
};
/** Everything a dashboard shows: all groups, byCourse with its 200 courses' titles, the 20 longest overdue. */
const DASHBOARD_QUERY = `{
  trainingAnalytics {
    totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime
    byStatus { status count }
    byCategory { category assignments completed inProgress overdue completionRate averageScore }
    byCourse { course { id title } assignments completed inProgress overdue completionRate averageScore }
    overdueAssignments(first: 20) { id dueDate }
  }
}`;

/** A statement as the pg client runs it: `$n` placeholders and their values. */
interface Statement {
  text: string;
  values: unknown[];
}
const forTenant = (text: string): Statement => ({ text, values: [TENANT] });

/**
 * The tenant-scope statements the API runs: the counters branch of get_training_analytics
 * (copied from prisma/migrations/…_analytics_counters: EXPLAIN cannot see inside the plpgsql
 * function) and the breakdowns of src/analytics/analytics-sql.ts, imported as they are.
 */
const STATEMENTS: Record<string, Statement> = {
  'seven figures (get_training_analytics, counters branch)': forTenant(`
    WITH a AS (
        SELECT coalesce(sum(e.n) FILTER (WHERE e.status <> 'cancelled'), 0)::bigint AS total,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'completed'), 0)::bigint AS completed,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'in_progress'), 0)::bigint AS in_progress,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'overdue'), 0)::bigint AS overdue
        FROM training_assignment_effective_counts($1) e
    ), m AS (
        SELECT sum(k.minutes_sum) AS minutes, sum(k.minutes_count) AS n
        FROM training_completion_counts k WHERE k.tenant_id = $1
    )
    SELECT (SELECT count(*) FROM training_courses c WHERE c.tenant_id = $1),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           CASE WHEN coalesce(m.n, 0) = 0 THEN 0 ELSE round(m.minutes::numeric / m.n, 2) END
    FROM a, m`),
  byStatus: tenantBreakdownSql.byStatus(TENANT),
  byCategory: tenantBreakdownSql.byCategory(TENANT),
  byCourse: tenantBreakdownSql.byCourse(TENANT),
};

const EXPLAINED: Record<string, Statement> = {
  ...STATEMENTS,
  'for comparison: the seven figures recounted from the rows (no counters)': forTenant(RECOUNT_FIGURES),
};

const ANALYZED_TABLES = [
  'profiles',
  'training_courses',
  'training_assignments',
  'training_completions',
  'training_assignment_counts',
  'training_assignment_due_counts',
  'training_completion_counts',
];

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

      // Correct to the row: the counters the seed's writes made equal a recount of every row,
      // and the seven figures from the counters equal the formula over the rows.
      const sizes = await checkCounters(db);
      const expected = await recountedFigures(db);
      const fromCounters = await functionFigures(db);
      for (const key of Object.keys(expected) as (keyof Figures)[]) {
        if (Number(fromCounters[key]) !== Number(expected[key])) {
          throw new Error(
            `get_training_analytics: ${key} = ${fromCounters[key]}, recount from the rows says ${expected[key]}`,
          );
        }
      }
      console.log(`counters equal a recount: ${JSON.stringify(sizes)}`);

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
      const worker = await db.withClient(
        async (client) =>
          (
            await client.query<{ id: string }>(
              `SELECT id::text FROM profiles WHERE tenant_id = $1 AND role = 'worker' ORDER BY id LIMIT 1`,
              [TENANT],
            )
          ).rows[0]!.id,
      );
      const workerToken = await mintToken({ secret, userId: worker, tenantId: TENANT, role: 'worker', name: 'Wes' });
      const graphqlUrl = `http://127.0.0.1:${port}/graphql`;

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
        for (const [label, statement] of Object.entries(STATEMENTS).slice(1)) {
          timings.push(await timeSql(db, `SQL ${label} (counters) as the admin under RLS`, statement));
        }
        cancelled += await quiesce(db);
        timings.push(
          await timeGraphql(api, graphqlUrl, token, 'GraphQL: the full query', FULL_QUERY, (data) =>
            checkFigures(data, expected),
          ),
        );
        for (const [label, query] of Object.entries(PART_QUERIES)) {
          cancelled += await quiesce(db);
          timings.push(await timeGraphql(api, graphqlUrl, token, `GraphQL: ${label} only`, query));
        }
        cancelled += await quiesce(db);
        timings.push(
          await timeGraphql(
            api,
            graphqlUrl,
            token,
            'GraphQL: dashboard (all groups, byCourse with 200 course titles, 20 overdue)',
            DASHBOARD_QUERY,
          ),
        );
        cancelled += await quiesce(db);
        timings.push(
          await timeGraphql(
            api,
            graphqlUrl,
            workerToken,
            `GraphQL: the full query as a worker (own ${PER_WORKER} assignments, from the rows)`,
            FULL_QUERY,
          ),
        );
        phases.push({ name: phase, timings });
      }

      cancelled += await quiesce(db);
      console.log('EXPLAIN ANALYZE…');
      const plans = await explainAll(db);

      cancelled += await quiesce(db);
      console.log('write cost, with and without the counter triggers…');
      const writes = await measureWrites(db);
      return report({ counts, seedSeconds, phases, plans, loadAverage, expected, cancelled, sizes, writes });
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

/** Reads as the tenant's admin under RLS, rolled back. */
const asAdmin = <T>(client: pg.Client, fn: () => Promise<T>) =>
  withCaller(client, { tenantId: TENANT, userId: ADMIN, role: 'admin' }, fn);

/** numeric from get_training_analytics (as text), int/float8 from the recount. */
type Figure = string | number;
interface Figures {
  total_courses: Figure;
  total_assignments: Figure;
  completed_count: Figure;
  in_progress_count: Figure;
  overdue_count: Figure;
  completion_rate: Figure;
  avg_completion_time: Figure;
}

function checkFigures(data: unknown, expected: Figures): void {
  const figures = (data as { trainingAnalytics: Record<string, number> }).trainingAnalytics;
  const pairs: [string, number, Figure][] = [
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
  statement = forTenant('SELECT * FROM get_training_analytics($1::uuid)'),
): Promise<Timing> {
  return db.withClient(async (client) => {
    const runs: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const elapsed = await asAdmin(client, async () => {
        const started = performance.now();
        await client.query(statement.text, statement.values);
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

/** The seven figures recounted from the rows as the admin under RLS: what every answer must say. */
async function recountedFigures(db: BenchDatabase): Promise<Figures> {
  return db.withClient((client) =>
    asAdmin(client, async () => {
      await client.query("SET LOCAL statement_timeout = '300s'");
      return (await client.query<Figures>(RECOUNT_FIGURES, [TENANT])).rows[0]!;
    }),
  );
}

/** The seven figures from get_training_analytics (the counters) as the admin under RLS. */
async function functionFigures(db: BenchDatabase): Promise<Figures> {
  return db.withClient((client) =>
    asAdmin(client, async () => {
      const { rows } = await client.query<Figures>('SELECT * FROM get_training_analytics($1::uuid)', [TENANT]);
      return rows[0]!;
    }),
  );
}

interface CounterSizes {
  tenantBuckets: number;
  tenantDueBuckets: number;
  tenantPastDueBuckets: number;
  allBuckets: number;
  completionBuckets: number;
  countersBytes: number;
  assignmentsBytes: number;
}

/** Counters equal a recount of every row (both tables, every tenant), and how big they are. */
async function checkCounters(db: BenchDatabase): Promise<CounterSizes> {
  return db.withClient(async (client) => {
    const { rows } = await client.query<{ assignments: string; completions: string }>(
      `SELECT (SELECT count(*) FROM (${ASSIGNMENT_COUNTER_DIFFERENCES}) d) AS assignments,
              (SELECT count(*) FROM (${COMPLETION_COUNTER_DIFFERENCES}) d) AS completions`,
    );
    if (Number(rows[0]!.assignments) !== 0 || Number(rows[0]!.completions) !== 0) {
      throw new Error(`counters differ from a recount: ${JSON.stringify(rows[0])} buckets`);
    }
    const sizes = await client.query<Record<keyof CounterSizes, string>>(
      `SELECT (SELECT count(*) FROM training_assignment_counts WHERE tenant_id = $1) AS "tenantBuckets",
              (SELECT count(*) FROM training_assignment_due_counts WHERE tenant_id = $1) AS "tenantDueBuckets",
              (SELECT count(*) FROM training_assignment_due_counts WHERE tenant_id = $1 AND due_date < training_today())
                AS "tenantPastDueBuckets",
              (SELECT count(*) FROM training_assignment_counts) + (SELECT count(*) FROM training_assignment_due_counts)
                AS "allBuckets",
              (SELECT count(*) FROM training_completion_counts) AS "completionBuckets",
              pg_total_relation_size('training_assignment_counts') + pg_total_relation_size('training_assignment_due_counts')
                + pg_total_relation_size('training_completion_counts') AS "countersBytes",
              pg_total_relation_size('training_assignments') AS "assignmentsBytes"`,
      [TENANT],
    );
    return Object.fromEntries(
      Object.entries(sizes.rows[0]!).map(([k, v]) => [k, Number(v)]),
    ) as unknown as CounterSizes;
  });
}

const COUNTER_TRIGGERS: [table: string, trigger: string][] = [
  ['training_assignments', 'training_assignment_counts_insert'],
  ['training_assignments', 'training_assignment_counts_update'],
  ['training_assignments', 'training_assignment_counts_delete'],
  ['training_completions', 'training_completion_counts_insert'],
  ['training_completions', 'training_completion_counts_update'],
  ['training_completions', 'training_completion_counts_delete'],
];

interface WriteCost {
  label: string;
  runs: number;
  withCounters: number;
  without: number;
}

/**
 * One write, timed, in a transaction that is rolled back (the data stays as seeded). The
 * counter triggers are enabled or disabled inside it (ALTER TABLE … ENABLE/DISABLE TRIGGER in
 * both variants, so both pay the same relcache invalidation), and only `write` is timed.
 */
async function timedWrite(
  client: pg.Client,
  counters: boolean,
  write: (client: pg.Client, prepared: string) => Promise<unknown>,
  prepare?: (client: pg.Client) => Promise<string>,
): Promise<number> {
  await client.query('BEGIN');
  try {
    for (const [table, trigger] of COUNTER_TRIGGERS) {
      await client.query(`ALTER TABLE "${table}" ${counters ? 'ENABLE' : 'DISABLE'} TRIGGER "${trigger}"`);
    }
    const prepared = prepare ? await prepare(client) : '';
    const started = performance.now();
    await write(client, prepared);
    return performance.now() - started;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Median time of each kind of write with and without the counter triggers, runs interleaved. */
async function measureWrites(db: BenchDatabase): Promise<WriteCost[]> {
  return db.withClient(async (client) => {
    const ids = async (where: string, limit: number) =>
      (
        await client.query<{ id: string }>(
          `SELECT id::text FROM training_assignments WHERE tenant_id = $1 AND ${where} ORDER BY id LIMIT $2`,
          [TENANT, limit],
        )
      ).rows.map((row) => row.id);
    const assigned = await ids(`status = 'assigned' AND due_date >= training_today()`, WRITE_RUNS);
    const started = await ids(`status = 'in_progress' AND due_date >= training_today()`, WRITE_RUNS);
    const bulk = await ids(`status IN ('assigned', 'in_progress')`, BULK_UPDATE_ROWS);
    const cases: {
      label: string;
      runs: number;
      write: (client: pg.Client, prepared: string, i: number) => Promise<unknown>;
      prepare?: (client: pg.Client) => Promise<string>;
    }[] = [
      {
        label: 'start one assignment (1-row UPDATE)',
        runs: assigned.length,
        write: (c, _p, i) =>
          c.query(`UPDATE training_assignments SET status = 'in_progress', started_at = now() WHERE id = $1`, [
            assigned[i],
          ]),
      },
      {
        label: 'complete one (1-row UPDATE + passed completion INSERT)',
        runs: started.length,
        write: async (c, _p, i) => {
          const { rows } = await c.query<{ course_id: string; user_id: string }>(
            `UPDATE training_assignments SET status = 'completed', completed_at = now() WHERE id = $1
             RETURNING course_id, user_id`,
            [started[i]],
          );
          await c.query(
            `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completion_time_minutes)
             VALUES ($1, $2, $3, $4, 88, true, 42)`,
            [TENANT, started[i], rows[0]!.course_id, rows[0]!.user_id],
          );
        },
      },
      {
        label: `auto-assign style INSERT … SELECT of ${BULK_INSERT_ROWS.toLocaleString('en-US')} assignments (one new course, 30 due dates)`,
        runs: BULK_WRITE_RUNS,
        prepare: async (c) =>
          (
            await c.query<{ id: string }>(
              `INSERT INTO training_courses (tenant_id, title, category, created_by)
               VALUES ($1, 'Bench course', 'compliance', $2) RETURNING id::text`,
              [TENANT, ADMIN],
            )
          ).rows[0]!.id,
        write: (c, course) =>
          c.query(
            `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, due_date)
             SELECT $1, $2, p.id, 'risk_based', training_today() + 1 + (row_number() OVER (ORDER BY p.id))::int % 30
             FROM profiles p WHERE p.tenant_id = $1 AND p.role = 'worker'
             ORDER BY p.id LIMIT $3`,
            [TENANT, course, BULK_INSERT_ROWS],
          ),
      },
      {
        label: `UPDATE of ${bulk.length.toLocaleString('en-US')} active assignments in one statement (due date + 1 day)`,
        runs: BULK_WRITE_RUNS,
        write: (c) =>
          c.query(`UPDATE training_assignments SET due_date = due_date + 1 WHERE id = ANY($1::uuid[])`, [bulk]),
      },
    ];
    const results: WriteCost[] = [];
    for (const { label, runs, write, prepare } of cases) {
      const withCounters: number[] = [];
      const without: number[] = [];
      for (let i = 0; i < runs; i++) {
        // Interleaved, alternating which goes first, so drift in machine load hits both alike.
        const order = i % 2 === 0 ? [true, false] : [false, true];
        for (const counters of order) {
          const ms = await timedWrite(client, counters, (c, p) => write(c, p, i), prepare);
          (counters ? withCounters : without).push(ms);
        }
      }
      const cost = { label, runs, withCounters: median(withCounters), without: median(without) };
      console.log(`${label}: ${fmt(cost.without, 2)} → ${fmt(cost.withCounters, 2)} ms (median of ${runs})`);
      results.push(cost);
    }
    return results;
  });
}

interface Plan {
  label: string;
  executionMs: number;
  text: string;
}

async function explainAll(db: BenchDatabase): Promise<Plan[]> {
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

function report(input: {
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
  return `## Analytics on ${n(tenantAssignments)} assignments

\`trainingAnalytics\` for a tenant with ${n(tenantAssignments)} assignments (${n(WORKERS)} workers × ${PER_WORKER}, 200
courses) beside a noise tenant with ${n(NOISE_WORKERS * PER_WORKER)} more — in all ${n(counts.assignments)} assignments and
${n(counts.completions)} completions, seeded set-based as the owner in ${fmt(input.seedSeconds, 0)} s, through the counter
triggers (states: 50 % completed, 20 % assigned, 15 % in progress, 5 % stored overdue, 5 % past due but not swept, 5 %
cancelled).

**How it is computed.** Tenant-wide figures are sums over counters the database keeps on every write (migration
\`20261125000400_analytics_counters\`): \`training_assignment_counts\` holds n per (tenant, course, stored status);
\`training_assignment_due_counts\` holds n per (tenant, due date, course, stored status) for the rows whose effective status
depends on the day (stored \`assigned\`/\`in_progress\` with a due date); \`training_completion_counts\` holds, per (tenant,
course), the passed completions with the sums and counts of their minutes and scores. Statement-level AFTER triggers with
transition tables turn each INSERT/UPDATE/DELETE (a bulk auto-assignment, the overdue sweep, a cascade) into one grouped
upsert per counter table of the buckets it changes, in key order; a bucket that reaches zero is deleted. The trigger
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

**Sizes:** the tenant has ${n(sizes.tenantBuckets)} (course, status) buckets and ${n(sizes.tenantDueBuckets)} due-date
buckets, ${n(sizes.tenantPastDueBuckets)} of them past due (the seed leaves 5 % of its assignments past due and unswept; the
overdue sweep would move them to the overdue bucket); ${n(sizes.allBuckets)} assignment buckets in all, plus
${n(sizes.completionBuckets)} completion buckets. The counter tables with their indexes take ${mib(sizes.countersBytes)} MiB,
against ${mib(sizes.assignmentsBytes)} MiB for training_assignments. A tenant read touches its (course, status) buckets, its
past-due buckets and its 200 courses, never its rows.

Measured: (a) SQL on one connection, in a transaction with the admin's RLS settings (\`training_app\`,
\`app.tenant_id/user_id/role\` exactly as src/core/caller/index.ts sets them), statement time only: the function, and the byStatus /
byCategory / byCourse statements of src/analytics/analytics.ts; (b) GraphQL as the tenant's admin through our HTTP API (a
child process, NODE_ENV=production), client-observed time: the full query \`${FULL_QUERY.replace(/\s+/g, ' ').trim()}\`,
the same one field group at a time, a dashboard query (every group, byCourse with each course's title, the 20 longest
overdue assignments), and the full query as a worker (their own ${PER_WORKER} assignments, counted from the rows). One
request computes the groups it selects one after the other in one transaction; byCourse loads its courses in one more
query and the overdue list is one more. ${WARMUP} warm-up runs, then ${RUNS} sequential runs each; median and p95 (nearest
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

The counter statements read the tenant's ${n(sizes.tenantBuckets)} (course, status) buckets, its
${n(sizes.tenantPastDueBuckets)} past-due buckets and its 200 courses; the recount reads its
${n(tenantAssignments)} assignment rows and passed completions (${recount ? `${fmt(recount.executionMs, 0)} ms` : 'not measured'}
here). Through GraphQL the rest is HTTP, JSON, the transaction's round trips (BEGIN, the caller's settings, one statement
per group, COMMIT) and, for the dashboard, the course titles and the overdue list.

${plans.map((plan) => `<details><summary>${plan.label}</summary>\n\n\`\`\`\n${plan.text}\n\`\`\`\n</details>`).join('\n\n')}

**Cost on writes** (measured here, on this database after VACUUM ANALYZE, as the owner: each write in its own transaction,
rolled back, with the six counter triggers enabled or disabled inside it; medians, runs interleaved; statement time only):

${table(
  ['write', 'runs each', 'without counters, ms', 'with counters, ms', 'added, ms'],
  input.writes.map((w) => [
    w.label,
    w.runs,
    fmt(w.without, 2),
    fmt(w.withCounters, 2),
    fmt(w.withCounters - w.without, 2),
  ]),
)}

${
  input.writes.some((w) => w.withCounters < w.without)
    ? `A negative "added" means the counters' cost is below this run's noise: those rows are medians of a few runs of
statements that take seconds on a shared machine, whose run-to-run spread is larger than the trigger's work.

`
    : ''
}A write pays one statement-level trigger per statement (the transition table, one grouped upsert of the buckets it
changes, and a delete of any bucket it empties), not one per row. Trade-offs: writers of the same bucket (any two writes that
change the counts of one course and status, e.g. two completions of one course) serialize on that bucket's row until they
commit, which bounds write concurrency per course, not per tenant; buckets are locked in key order within a statement, so two bulk
statements do not deadlock on them. If one bucket ever becomes a hot spot, a small shard number in the key (summed on read)
spreads it.
`;
}
