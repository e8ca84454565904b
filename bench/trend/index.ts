import os from 'node:os';
import pg from 'pg';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign } from '../../src/risk/auto-assign-sql.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { fmt, median, table } from '../../tests/support/report.js';
import { appendEntities, SERVICE, TENANT } from '../auto-assign/seed.js';
import type { Benchmark } from '../suite.js';
import { crossingDay, DAYS, histories, THRESHOLD, type History } from './histories.js';

/**
 * Trend-triggered assignment (a course's leadDays), two questions in one run on PostgreSQL:
 *
 * 1. Back-test. Generated daily score histories (./histories.ts: rising, flat, noisy, falling, spiking; several
 *    noise levels) are replayed day by day: for each day D of the evaluation window the entities' scores up to D
 *    are stored as if D were today, and the real statement (`runAutoAssign`, dry run) decides, for each leadDays.
 *    Reported per noise level and leadDays: of the entities whose score first crosses the threshold inside the
 *    window (late enough that the whole lead time is in it), the share assigned by the trend before the crossing
 *    and at least leadDays before it, the median days ahead; and of the entities the trend assigned, the share
 *    that never crossed in the 90 days.
 * 2. Cost. The auto-assign benchmark's tenant (100,000 entities, 50 courses), with four more recent scores for
 *    one entity in five, runs the statement without leadDays (today) and with leadDays on every course,
 *    alternately (dry runs); the medians' ratio is the trend's cost.
 */

const PER_FAMILY = Number(process.env.TREND_PER_FAMILY ?? 100);
const NOISES = (process.env.TREND_NOISES ?? '2,5,8').split(',').map(Number);
const DEFAULT_NOISE = 5;
const LEADS = (process.env.TREND_LEADS ?? '7,14,21').split(',').map(Number);
/** Days evaluated: from the first day a 30-day window is full to two thirds of the history. */
const FIRST_DAY = 30;
const LAST_DAY = 60;
const COST_ENTITIES = Number(process.env.TREND_COST_ENTITIES ?? 100_000);
const COST_RUNS = Number(process.env.TREND_COST_RUNS ?? 7);

const BACKTEST_TENANT = '7a3e5c1b-2d4f-4e6a-8b9c-0d1e2f3a4b5c';
const BACKTEST_COURSE = '8b4f6d2c-3e5a-4f7b-9c0d-1e2f3a4b5c6d';
const serviceOf = (tenantId: string): Caller => ({ tenantId, userId: SERVICE, role: 'service' });

/** The entities the statement assigns by the trend today (as D), in a rolled-back run. */
function trendAssigned(db: Database): Promise<string[]> {
  return runAsCaller(
    db.prisma,
    serviceOf(BACKTEST_TENANT),
    async (tx) => {
      const { assignmentIds } = await runAutoAssign(tx, {
        tenantId: BACKTEST_TENANT,
        assignedBy: null,
        dueDays: 14,
      });
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT trigger_entity_id::text AS id FROM training_assignments
        WHERE id = ANY(${assignmentIds}::uuid[]) AND trigger_score < trigger_threshold`;
      return rows.map((row) => row.id);
    },
    { dryRun: true, timeout: AUTO_ASSIGN_TIMEOUT_MS },
  );
}

async function seedBacktest(owner: pg.Client, byNoise: Map<number, History[]>): Promise<Map<string, History>> {
  const ADMIN_ID = '9c5a7e3d-4f6b-4a8c-8d1e-2f3a4b5c6d7e';
  await owner.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'admin'), ($3, $2, 'service')`, [
    ADMIN_ID,
    BACKTEST_TENANT,
    SERVICE,
  ]);
  await owner.query(
    `INSERT INTO training_courses (id, tenant_id, title, category, created_by, risk_threshold, entity_type, auto_assign_enabled)
     VALUES ($1, $2, 'Fatigue management', 'risk_management', $3, $4, 'worker', true)`,
    [BACKTEST_COURSE, BACKTEST_TENANT, ADMIN_ID, THRESHOLD],
  );
  await owner.query('CREATE TABLE bench_history (noise text, entity_id uuid, day int, score numeric)');
  const byId = new Map<string, History>();
  for (const [noise, list] of byNoise) {
    const rows = list.flatMap((history) => history.scores.map((score, day) => [history.index, day, score]));
    await owner.query(
      `INSERT INTO bench_history (noise, entity_id, day, score)
       SELECT $1::text, md5('trend-' || $1::text || '-' || i)::uuid, d, s FROM unnest($2::int[], $3::int[], $4::numeric[]) AS r(i, d, s)`,
      [String(noise), rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])],
    );
    const ids = await owner.query<{ index: number; id: string }>(
      `SELECT i AS index, md5('trend-' || $1::text || '-' || i)::uuid::text AS id FROM unnest($2::int[]) AS i`,
      [String(noise), list.map((history) => history.index)],
    );
    for (const row of ids.rows) byId.set(`${noise}:${row.id}`, list[row.index]!);
    await owner.query(
      `INSERT INTO profiles (id, tenant_id, role) SELECT DISTINCT entity_id, $1::uuid, 'worker' FROM bench_history WHERE noise = $2`,
      [BACKTEST_TENANT, String(noise)],
    );
  }
  return byId;
}

interface LeadOutcome {
  noise: number;
  lead: number;
  crossings: number;
  ahead: number;
  atLead: number;
  /** Crossings (underlying) assigned before the entity's first observed score at the threshold. */
  aheadOfObserved: number;
  daysAhead: number[];
  assigned: number;
  neverCrossed: number;
}

async function backtest(db: Database, owner: pg.Client): Promise<LeadOutcome[]> {
  const byNoise = new Map(NOISES.map((noise, n) => [noise, histories(PER_FAMILY, noise, 1000 + n)]));
  const byId = await seedBacktest(owner, byNoise);
  const outcomes: LeadOutcome[] = [];
  for (const noise of NOISES) {
    /** First day the trend assigned each entity, per leadDays. */
    const firstFired = new Map<number, Map<string, number>>(LEADS.map((lead) => [lead, new Map()]));
    for (let day = FIRST_DAY; day < LAST_DAY; day++) {
      await owner.query('DELETE FROM predictive_scores WHERE tenant_id = $1', [BACKTEST_TENANT]);
      await owner.query(
        `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
         SELECT $1::uuid, 'worker', entity_id, score, now() - make_interval(days => $3 - day) - interval '1 minute'
         FROM bench_history WHERE noise = $2 AND day <= $3 AND day > $3 - 35`,
        [BACKTEST_TENANT, String(noise), day],
      );
      for (const lead of LEADS) {
        await owner.query('UPDATE training_courses SET lead_days = $1 WHERE id = $2', [lead, BACKTEST_COURSE]);
        for (const id of await trendAssigned(db)) {
          const fired = firstFired.get(lead)!;
          if (!fired.has(id)) fired.set(id, day);
        }
      }
    }
    for (const lead of LEADS) {
      const fired = firstFired.get(lead)!;
      const outcome: LeadOutcome = {
        noise,
        lead,
        crossings: 0,
        ahead: 0,
        atLead: 0,
        aheadOfObserved: 0,
        daysAhead: [],
        assigned: 0,
        neverCrossed: 0,
      };
      for (const [key, history] of byId) {
        if (!key.startsWith(`${noise}:`)) continue;
        const id = key.slice(key.indexOf(':') + 1);
        const crossed = crossingDay(history);
        const firedOn = fired.get(id);
        // An entity already over the threshold before the window is the threshold rule's, not the trend's.
        if (crossed !== undefined && crossed < FIRST_DAY) continue;
        if (firedOn !== undefined && (crossed === undefined || firedOn < crossed)) {
          outcome.assigned++;
          if (crossed === undefined) outcome.neverCrossed++;
        }
        if (crossed !== undefined && crossed >= FIRST_DAY + lead && crossed < LAST_DAY) {
          outcome.crossings++;
          if (firedOn !== undefined && firedOn < crossed) {
            outcome.ahead++;
            outcome.daysAhead.push(crossed - firedOn);
            if (crossed - firedOn >= lead) outcome.atLead++;
            if (firedOn < (crossingDay(history, true) ?? DAYS)) outcome.aheadOfObserved++;
          }
        }
      }
      outcomes.push(outcome);
      console.log(
        `noise ${noise}, leadDays ${lead}: ${outcome.ahead}/${outcome.crossings} ahead, ${outcome.neverCrossed}/${outcome.assigned} never crossed`,
      );
    }
  }
  return outcomes;
}

/** Today's statement and the one with leadDays on every course, alternately on the same data (dry runs). */
async function cost(db: Database, owner: pg.Client): Promise<{ today: number[]; trend: number[]; scores: number }> {
  await appendEntities(owner, 0, COST_ENTITIES);
  // Four more recent scores for one entity in five, so trends have histories to fit.
  await owner.query(
    `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
     SELECT s.tenant_id, s.entity_type, s.entity_id, greatest(0, s.score - k * 2), s.computed_at - make_interval(days => k * 5)
     FROM (SELECT DISTINCT ON (entity_type, entity_id) * FROM predictive_scores WHERE tenant_id = $1
           ORDER BY entity_type, entity_id, computed_at DESC) AS s, generate_series(1, 4) AS k
     WHERE get_byte(decode(md5(s.entity_id::text), 'hex'), 0) % 5 = 0`,
    [TENANT],
  );
  await owner.query('VACUUM (ANALYZE) predictive_scores');
  const [{ n }] = (
    await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM predictive_scores WHERE tenant_id = $1', [TENANT])
  ).rows as [{ n: number }];
  const timedRun = async () => {
    const started = performance.now();
    await runAsCaller(
      db.prisma,
      serviceOf(TENANT),
      (tx) => runAutoAssign(tx, { tenantId: TENANT, assignedBy: null, dueDays: 14 }),
      { dryRun: true, timeout: AUTO_ASSIGN_TIMEOUT_MS },
    );
    return performance.now() - started;
  };
  const today: number[] = [];
  const trend: number[] = [];
  for (let run = 0; run <= COST_RUNS; run++) {
    await owner.query('UPDATE training_courses SET lead_days = NULL WHERE tenant_id = $1', [TENANT]);
    const a = await timedRun();
    await owner.query('UPDATE training_courses SET lead_days = 14 WHERE tenant_id = $1', [TENANT]);
    const b = await timedRun();
    if (run > 0) {
      today.push(a);
      trend.push(b);
    } // run 0 warms the caches
  }
  return { today, trend, scores: n };
}

export const trend: Benchmark = {
  name: 'trend',
  async run() {
    const loadAverage = os.loadavg()[0]!;
    const bench = await createBenchDatabase('bench_trend');
    const db = await openDatabase({ url: bench.url, poolMax: 2 });
    const owner = new pg.Client({ connectionString: bench.url });
    await owner.connect();
    try {
      const outcomes = await backtest(db, owner);
      const measured = await cost(db, owner);
      return report(outcomes, measured, loadAverage);
    } finally {
      await owner.end();
      await db.close();
      await bench.drop();
    }
  },
};

function report(
  outcomes: LeadOutcome[],
  measured: { today: number[]; trend: number[]; scores: number },
  load: number,
): string {
  const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${fmt((100 * part) / whole)} %`);
  const rows = outcomes.map((o) => [
    `${o.noise}${o.noise === DEFAULT_NOISE ? ' (default)' : ''}`,
    o.lead,
    o.crossings,
    percent(o.ahead, o.crossings),
    percent(o.atLead, o.crossings),
    percent(o.aheadOfObserved, o.crossings),
    o.daysAhead.length ? fmt(median(o.daysAhead), 0) : '–',
    o.assigned,
    percent(o.neverCrossed, o.assigned),
  ]);
  const today = median(measured.today);
  const withTrend = median(measured.trend);
  return `## Trend-triggered assignment (leadDays)

\`npm run bench -- trend\`. Back-test: ${PER_FAMILY} entities per family (rising, flat, noisy, falling, spiking) and noise
level, one score a day for ${DAYS} days, threshold ${THRESHOLD}; days ${FIRST_DAY}–${LAST_DAY - 1} replayed one by one through the
real statement (dry runs). "Crossings": entities whose underlying risk (the generated score before noise and
spikes) reaches the threshold late enough in the window for the whole lead time to be in it; "ahead of the first
score ≥ 60" also beats the first noisy score over it (which the threshold rule acts on at once). "Never crossed":
trend assignments whose entity's underlying risk stayed below the threshold all ${DAYS} days. Goal at the default noise: ≥ 90 % assigned ahead, ≤ 10 % never crossed.

${table(['noise (σ)', 'leadDays', 'crossings', 'assigned ahead', '≥ leadDays ahead', 'ahead of the first score ≥ 60', 'median days ahead', 'trend assignments', 'never crossed'], rows)}

Cost, same run: ${COST_ENTITIES.toLocaleString('en-US')} entities × 50 courses (${measured.scores.toLocaleString('en-US')} scores), ${COST_RUNS} alternating dry runs each:
today's statement (no course with leadDays) median ${fmt(today, 0)} ms, with leadDays 14 on every course
${fmt(withTrend, 0)} ms: **${fmt(withTrend / today, 2)}×** (goal ≤ 1.3×). Load average at start ${fmt(load)}.`;
}
