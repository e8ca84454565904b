import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { freePort, startChild, waitReady, type Child } from '../../tests/support/processes.js';
import type { Benchmark } from '../suite.js';
import {
  WORKERS,
  NOISE_WORKERS,
  PER_WORKER,
  TENANT,
  ADMIN,
  FULL_QUERY,
  PART_QUERIES,
  DASHBOARD_QUERY,
  STATEMENTS,
  ANALYZED_TABLES,
} from './queries.js';
import { type Timing, quiesce, timeSql, timeGraphql } from './timing.js';
import { seed, type Figures, checkFigures, recountedFigures, functionFigures, checkCounters } from './figures.js';
import { measureWrites } from './writes.js';
import { explainAll, report } from './report.js';

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

const BASELINE = process.env.ANALYTICS_BASELINE;
const BASELINE_MAIN = BASELINE ? path.resolve(BASELINE, 'src/main.ts') : undefined;

export const analytics: Benchmark = {
  name: 'analytics',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadAverage = os.loadavg()[0]!;
    const db = await createBenchDatabase('bench_analytics');
    let api: Child | undefined;
    let baseline: Child | undefined;
    let baselineUrl = '';
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

      const startApi = async (name: string, main: string) => {
        const port = await freePort();
        const child = startChild(name, [main], {
          DATABASE_URL: db.url,
          PORT: String(port),
          JWT_SECRET: secret,
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          AUTO_ASSIGN_CRON: '',
          OVERDUE_SWEEP_CRON: '',
        });
        await waitReady(child, `http://127.0.0.1:${port}/readyz`);
        return { child, graphqlUrl: `http://127.0.0.1:${port}/graphql` };
      };
      let graphqlUrl: string;
      ({ child: api, graphqlUrl } = await startApi('our API', 'src/main.ts'));
      // ANALYTICS_BASELINE: another checkout (with node_modules), e.g. main's, whose API answers the dashboard
      // right before ours on the same database, for a before/after side by side; its answer must equal ours.
      if (BASELINE_MAIN) ({ child: baseline, graphqlUrl: baselineUrl } = await startApi('baseline API', BASELINE_MAIN));
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
        const dashboard = 'GraphQL: dashboard (all groups, byCourse with 200 course titles, 20 overdue)';
        let before: string | undefined;
        if (baseline) {
          cancelled += await quiesce(db);
          timings.push(
            await timeGraphql(baseline, baselineUrl, token, `${dashboard}, baseline API`, DASHBOARD_QUERY, (data) => {
              before ??= JSON.stringify(data);
            }),
          );
        }
        cancelled += await quiesce(db);
        timings.push(
          await timeGraphql(api, graphqlUrl, token, dashboard, DASHBOARD_QUERY, (data) => {
            if (before !== undefined && JSON.stringify(data) !== before) {
              throw new Error(`dashboard: our answer differs from the baseline API's`);
            }
          }),
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
      await baseline?.stop();
      await db.drop();
    }
  },
};
