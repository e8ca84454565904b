import { readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { isDeepStrictEqual } from 'node:util';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { qualificationRows, qualificationSql, type QualificationRow } from '../../src/risk/qualifications-sql.js';
import { createBenchDatabase, withCaller } from '../../tests/support/database.js';
import { fmt, median, percentile, table } from '../../tests/support/report.js';
import type { Benchmark } from '../suite.js';
import { baselineQualificationRows } from './qualifications-baseline.js';
import { completionsQualificationRows } from './qualifications-completions.js';
import { ZONE_COMPLETIONS_FOR_EXPLAIN, ZONE_SEED_FOR_EXPLAIN } from './risk-loop.js';
import { ADMIN, appendEntities, TENANT } from './seed.js';

/**
 * `qualifications(zoneId)` for a zone of 5,000 workers × 20 required courses (`npm run bench -- qualifications`):
 * the statement of src/risk/qualifications-sql.ts (training_holdings) against the one before it on the completions
 * (./qualifications-completions.ts) and the first one (./qualifications-baseline.ts), as a safety officer under RLS
 * in a transaction, as the API runs it, on the auto-assign seed (./seed.ts) plus the zone of ./risk-loop.ts. First
 * the baseline alone without the completions' indexes (the database as it was), then the three alternately with
 * them; every answer must be the same.
 */

const ENTITIES = Number(process.env.QUALIFICATIONS_ENTITIES ?? 100_000);
const RUNS = Number(process.env.QUALIFICATIONS_RUNS ?? 30);
const WARM_UP = 3;
const ZONE = '7a0e5f1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b';
const OFFICER: Caller = { tenantId: TENANT, userId: ADMIN, role: 'safety_officer' };
const MIGRATION = new URL(
  '../../prisma/migrations/20261212200000_qualification_indexes/migration.sql',
  import.meta.url,
);
const NEW_INDEXES = ['training_completions_current', 'certificates_revoked'];

type Read = (db: Database) => Promise<QualificationRow[]>;
const target = { kind: 'zone', id: ZONE } as const;
/** Past the API's 5 s, so that a slow baseline is measured rather than cancelled. */
const limits = { timeout: 120_000 };
const current: Read = (db) => runAsCaller(db.prisma, OFFICER, (tx) => qualificationRows(tx, TENANT, target), limits);
const onCompletions: Read = (db) =>
  runAsCaller(db.prisma, OFFICER, (tx) => completionsQualificationRows(tx, TENANT, target), limits);
const baseline: Read = (db) =>
  runAsCaller(db.prisma, OFFICER, (tx) => baselineQualificationRows(tx, TENANT, target), limits);

interface Series {
  label: string;
  ms: number[];
}

async function timedRuns(db: Database, reads: { read: Read; series: Series }[], expected: QualificationRow[]) {
  for (let run = 0; run < WARM_UP + RUNS; run++) {
    for (const { read, series } of reads) {
      const started = performance.now();
      const rows = await read(db);
      const ms = performance.now() - started;
      if (!isDeepStrictEqual(rows, expected)) throw new Error(`${series.label}: another answer than the baseline's`);
      if (run >= WARM_UP) series.ms.push(ms);
    }
  }
}

/** The plan of the new statement, as the caller (printed, for the record of where the time goes). */
async function explain(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sql = qualificationSql(TENANT, target);
    return await withCaller(client, OFFICER, async () => {
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql.text}`, sql.values);
      return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  } finally {
    await client.end();
  }
}

export const qualifications: Benchmark = {
  name: 'qualifications',
  async run() {
    const loadAtStart = os.loadavg()[0]!;
    const bench = await createBenchDatabase('bench_qualifications');
    const db = await openDatabase({ url: bench.url, poolMax: 2 });
    const owner = new pg.Client({ connectionString: bench.url });
    await owner.connect();
    try {
      await appendEntities(owner, 0, ENTITIES);
      const asAdmin = (texts: string[]) =>
        withCaller(
          owner,
          { tenantId: TENANT, userId: ADMIN, role: 'admin' },
          async () => {
            for (const text of texts) await owner.query(text, text.includes('$2') ? [TENANT, ADMIN] : [TENANT]);
          },
          { commit: true },
        );
      await asAdmin(ZONE_SEED_FOR_EXPLAIN);
      await owner.query('ANALYZE');
      await asAdmin([ZONE_COMPLETIONS_FOR_EXPLAIN]);
      // Index-only scans need the visibility map, which autovacuum keeps up on a table that mostly grows.
      const settle = () =>
        owner.query('VACUUM (ANALYZE) training_completions, certificates, shift_assignments, training_holdings');

      for (const index of NEW_INDEXES) await owner.query(`DROP INDEX ${index}`);
      await settle();
      const expected = await baseline(db);
      const before: Series = { label: 'baseline statement, without the new indexes', ms: [] };
      await timedRuns(db, [{ read: baseline, series: before }], expected);

      await owner.query(readFileSync(MIGRATION, 'utf8'));
      await settle();
      const old: Series = { label: 'baseline statement, with the new indexes', ms: [] };
      const previous: Series = { label: 'the statement on the completions, with the new indexes', ms: [] };
      const now: Series = { label: 'src/risk/qualifications-sql.ts (training_holdings)', ms: [] };
      await timedRuns(
        db,
        [
          { read: baseline, series: old },
          { read: onCompletions, series: previous },
          { read: current, series: now },
        ],
        expected,
      );
      console.log(await explain(bench.url));
      const loadAtEnd = os.loadavg()[0]!;
      const [{ completions }] = (
        await owner.query<{ completions: number }>(
          `SELECT count(*)::int AS completions FROM training_completions tc
           WHERE tc.tenant_id = $1 AND tc.user_id IN (SELECT sh.user_id FROM shift_assignments sh
                                                      WHERE sh.tenant_id = $1 AND sh.zone_id = $2)`,
          [TENANT, ZONE],
        )
      ).rows as [{ completions: number }];
      const qualified = expected.filter((row) => row.qualified).length;

      return `## Qualifications of a zone

\`npm run bench -- qualifications\` — \`qualifications(zoneId)\`'s statement for a zone of ${expected.length.toLocaleString('en-US')} workers
(a shift two days ago) × 20 required courses (zone and general), each worker holding about 18 of them (one in
sixteen expired) through ${completions.toLocaleString('en-US')} completions, on the auto-assign seed at ${ENTITIES.toLocaleString('en-US')} entities;
${qualified} workers qualified. As a safety officer under RLS, in a transaction (the time includes BEGIN, the caller's
settings and COMMIT), as the API runs it but with no 5 s limit; ${WARM_UP} warm-up runs, then ${RUNS} timed; the tables vacuumed first (index-only
scans need the visibility map, which autovacuum keeps up on tables that mostly grow). First the baseline statement
alone on the database as it was, then it, the statement on the completions (before training_holdings) and the one
on training_holdings alternately, with the completions' indexes; every answer identical. Load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at the end, on ${os.cpus().length} cores.

${table(
  ['statement', 'p50 ms', 'p95 ms', 'min ms', 'max ms'],
  [before, old, previous, now].map((s) => [
    s.label,
    fmt(median(s.ms)),
    fmt(percentile(s.ms, 95)),
    fmt(Math.min(...s.ms)),
    fmt(Math.max(...s.ms)),
  ]),
)}

The goal, p95 < 100 ms: ${percentile(now.ms, 95) < 100 ? 'met' : 'not met'} in this run (new ÷ baseline as it was, p50: ${fmt(median(now.ms) / median(before.ms), 2)}×; new ÷ the statement on the
completions in the same runs: p50 ${fmt(median(now.ms) / median(previous.ms), 2)}×, p95 ${fmt(percentile(now.ms, 95) / percentile(previous.ms, 95), 2)}×).

${readFileSync(new URL('./qualifications-levers.md', import.meta.url), 'utf8').trim()}`;
    } finally {
      await owner.end();
      await db.close();
      await bench.drop();
    }
  },
};
