import os from 'node:os';
import pg from 'pg';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign } from '../../src/risk/auto-assign-sql.js';
import { qualificationRows } from '../../src/risk/qualifications-sql.js';
import { createBenchDatabase, withCaller } from '../../tests/support/database.js';
import { median } from '../../tests/support/report.js';
import type { Benchmark } from '../suite.js';
import { runAutoAssignBaseline } from './baseline-sql.js';
import { ADMIN, appendEntities, SERVICE, TENANT } from './seed.js';

/**
 * The risk-loop rules' cost (`npm run bench -- risk-loop`), side by side in one run:
 *  - auto-assignment on 100,000 entities (about 120,000 scores) × 50 courses: the statement with the
 *    stale-score rule and the rearmMargin hysteresis (src/risk/auto-assign-sql.ts) against the
 *    statement as it was before them (./baseline-sql.ts), alternately, on the seed of ./seed.ts plus
 *    a history of ended risk-based assignments for the rules to read, and margins on half the courses;
 *  - `qualifications` for a zone of 5,000 workers × 20 required courses (its SQL statement, as a safety
 *    officer under RLS).
 */

const ENTITIES = Number(process.env.RISK_LOOP_ENTITIES ?? 100_000);
const RUNS = Number(process.env.RISK_LOOP_RUNS ?? 5);
const ZONE_WORKERS = 5_000;
const REQUIRED = 20;
const SERVICE_CALLER: Caller = { tenantId: TENANT, userId: SERVICE, role: 'service' };
const OFFICER_CALLER: Caller = { tenantId: TENANT, userId: ADMIN, role: 'safety_officer' };
const ZONE = '7a0e5f1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const millis = (ms: number) => `${ms.toFixed(0)} ms`;
const count = (n: number) => n.toLocaleString('en-US');

/**
 * Ended risk-based assignments for the rules to read: for one worker in eight, a cancelled one of
 * course 1 (worker, threshold 60) a day ago and a completed one of course 6 (worker, 64) 30 days ago
 * (its completion expired); rearm margins of 10 on the odd courses.
 */
const HISTORY = `
WITH w AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM profiles
    WHERE tenant_id = $1::uuid AND role = 'worker' AND get_byte(decode(md5(id::text), 'hex'), 0) < 32
)
INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, status, cancelled_at, completed_at)
SELECT $1::uuid, md5('course1')::uuid, id, 'risk_based', 'cancelled', now() - interval '1 day', NULL FROM w
UNION ALL
SELECT $1::uuid, md5('course6')::uuid, id, 'risk_based', 'completed', NULL, now() - interval '30 days' FROM w`;

const MARGINS = `UPDATE training_courses SET rearm_margin = 10 WHERE tenant_id = $1::uuid AND right(title, 1) IN ('1', '3', '5', '7', '9')`;

/** The zone: 5,000 workers with a recent shift, 20 required zone/general courses, each worker holding 18 on average. */
export const ZONE_SEED_FOR_EXPLAIN = [
  `INSERT INTO profiles (id, tenant_id, role) SELECT md5('q' || i)::uuid, $1::uuid, 'worker' FROM generate_series(1, ${ZONE_WORKERS}) AS i`,
  `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
   SELECT $1::uuid, '${ZONE}'::uuid, md5('q' || i)::uuid, now() - interval '2 days', now() - interval '2 days' + interval '8 hours'
   FROM generate_series(1, ${ZONE_WORKERS}) AS i`,
  `INSERT INTO training_courses (id, tenant_id, title, category, created_by, required, entity_type, expiry_months)
   SELECT md5('req' || n)::uuid, $1::uuid, 'Required ' || n, 'compliance', $2::uuid, true,
          CASE WHEN n % 2 = 0 THEN 'zone' ELSE 'general' END, 12
   FROM generate_series(1, ${REQUIRED}) AS n`,
  `INSERT INTO training_assignments (id, tenant_id, course_id, user_id, status, completed_at)
   SELECT md5('qa' || i || '-' || n)::uuid, $1::uuid, md5('req' || n)::uuid, md5('q' || i)::uuid, 'completed', now() - interval '10 days'
   FROM generate_series(1, ${ZONE_WORKERS}) AS i, generate_series(1, ${REQUIRED}) AS n
   WHERE get_byte(decode(md5(i || '-' || n), 'hex'), 0) >= 26`,
];
export const ZONE_COMPLETIONS_FOR_EXPLAIN = `
   INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completed_at, expires_at)
   SELECT $1::uuid, a.id, a.course_id, a.user_id, 90, true, a.completed_at, training_today() + (a.id::text < 'f')::int * 200 - 20
   FROM training_assignments a WHERE a.tenant_id = $1::uuid AND a.course_id IN (SELECT md5('req' || n)::uuid FROM generate_series(1, ${REQUIRED}) AS n)`;

async function asAdmin(client: pg.Client, statements: [string, unknown[]][]): Promise<void> {
  await withCaller(
    client,
    { tenantId: TENANT, userId: ADMIN, role: 'admin' },
    async () => {
      for (const [text, params] of statements) await client.query(text, params);
    },
    { commit: true },
  );
}

/** Deletes what a run created (the history stays), vacuums, checkpoints. */
async function reset(owner: pg.Client): Promise<void> {
  await owner.query(`DELETE FROM training_assignments WHERE assignment_type = 'risk_based' AND status = 'assigned'`);
  await owner.query('VACUUM (ANALYZE) training_assignments');
  await owner.query('CHECKPOINT').catch(() => {});
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

type Statement = typeof runAutoAssign;

async function oneRun(db: Database, owner: pg.Client, statement: Statement) {
  await reset(owner);
  return timed(() =>
    runAsCaller(
      db.prisma,
      SERVICE_CALLER,
      (tx) => statement(tx, { tenantId: TENANT, assignedBy: null, dueDays: 14 }).then((o) => o.assignmentsCreated),
      { timeout: AUTO_ASSIGN_TIMEOUT_MS * 5 },
    ),
  );
}

export const riskLoop: Benchmark = {
  name: 'risk-loop',
  async run() {
    const loadAverage = os.loadavg()[0]!;
    const bench = await createBenchDatabase('bench_risk_loop');
    const db = await openDatabase({ url: bench.url, poolMax: 2 });
    const owner = new pg.Client({ connectionString: bench.url });
    await owner.connect();
    try {
      const seed = await timed(async () => {
        await appendEntities(owner, 0, ENTITIES);
        await asAdmin(owner, [
          [HISTORY, [TENANT]],
          [MARGINS, [TENANT]],
          ...ZONE_SEED_FOR_EXPLAIN.map((text): [string, unknown[]] => [
            text,
            text.includes('$2') ? [TENANT, ADMIN] : [TENANT],
          ]),
        ]);
        await owner.query('ANALYZE');
        await asAdmin(owner, [[ZONE_COMPLETIONS_FOR_EXPLAIN, [TENANT]]]);
        await owner.query('ANALYZE');
      });
      console.log(`seeded in ${seconds(seed.ms)}`);
      const [{ scores }] = (
        await owner.query<{ scores: number }>(
          'SELECT count(*)::int AS scores FROM predictive_scores WHERE tenant_id = $1',
          [TENANT],
        )
      ).rows as [{ scores: number }];
      const [{ history }] = (
        await owner.query<{ history: number }>(
          `SELECT count(*)::int AS history FROM training_assignments WHERE tenant_id = $1 AND assignment_type = 'risk_based'`,
          [TENANT],
        )
      ).rows as [{ history: number }];

      // Warm-up of both, then alternate.
      await oneRun(db, owner, runAutoAssignBaseline);
      await oneRun(db, owner, runAutoAssign);
      const before: number[] = [];
      const after: number[] = [];
      let rowsBefore = 0;
      let rowsAfter = 0;
      for (let run = 0; run < RUNS; run++) {
        const b = await oneRun(db, owner, runAutoAssignBaseline);
        before.push(b.ms);
        rowsBefore = b.value;
        const a = await oneRun(db, owner, runAutoAssign);
        after.push(a.ms);
        rowsAfter = a.value;
        console.log(
          `  run ${run + 1}: before ${seconds(b.ms)} (${b.value} rows), with the rules ${seconds(a.ms)} (${a.value} rows)`,
        );
      }

      const qualification: number[] = [];
      let users = 0;
      let qualified = 0;
      for (let run = 0; run < RUNS + 1; run++) {
        const q = await timed(() =>
          runAsCaller(db.prisma, OFFICER_CALLER, (tx) => qualificationRows(tx, TENANT, { kind: 'zone', id: ZONE })),
        );
        if (run > 0) qualification.push(q.ms); // the first is a warm-up
        users = q.value.length;
        qualified = q.value.filter((row) => row.qualified).length;
      }
      console.log(`  qualifications: ${millis(median(qualification))} for ${users} users`);

      const ratio = median(after) / median(before);
      return `## Risk loop: auto-assignment with the stale-score rule and hysteresis; who is qualified now

\`npm run bench -- risk-loop\` — the auto-assign seed above at ${count(ENTITIES)} entities (${count(scores)} scores,
50 courses), plus ${count(history)} ended risk-based assignments (one worker in eight: a cancelled one of a
worker course a day ago, a completed one of another 30 days ago) and \`rearmMargin\` 10 on half the courses, so
the new rules have history to read. Alternately, ${RUNS} times each after a warm-up, with the created rows deleted
(the history kept), the table vacuumed and a checkpoint before every run; in a transaction as an integration
under RLS, as the API runs it. Load average at start ${loadAverage.toFixed(1)} on ${os.cpus().length} cores.

| statement | median | runs | rows created |
| --- | ---: | ---: | ---: |
| before the rules (bench/auto-assign/baseline-sql.ts) | ${seconds(median(before))} | ${before.map(seconds).join(', ')} | ${count(rowsBefore)} |
| with the stale-score rule and hysteresis (src/risk/auto-assign-sql.ts) | ${seconds(median(after))} | ${after.map(seconds).join(', ')} | ${count(rowsAfter)} |

With the rules ÷ before: **${ratio.toFixed(2)}×** (the bar: within 1.5×). The new statement creates fewer rows: the
history's cancelled assignments are not re-created from the stale scores.

\`qualifications(zoneId)\` for a zone of ${count(users)} workers (a shift two days ago) × ${REQUIRED} required courses
(zone and general), each worker holding about 18 of them (one in sixteen expired) through ${count(ZONE_WORKERS * 18)} completions:
median **${millis(median(qualification))}** over ${qualification.length} runs (${qualification.map(millis).join(', ')}) for
the one statement (qualifications-sql.ts) as a safety officer under RLS, transaction included; ${count(qualified)} of
them qualified.`;
    } finally {
      await owner.end();
      await db.close();
      await bench.drop();
    }
  },
};
