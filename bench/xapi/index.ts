import pg from 'pg';
import { benchServerUrl } from '../../tests/support/database.js';
import { fmt, median, percentile, table } from '../../tests/support/report.js';
import { startTestServer } from '../../tests/support/server.js';
import { credentialOf, statement, VERBS, type LrsClient } from '../../tests/support/xapi.js';
import type { Benchmark } from '../suite.js';

/**
 * The LRS on PostgreSQL. Ingestion: batches of BATCH statements POSTed to /xapi/statements (HTTP, validation,
 * one transaction under RLS per batch), BATCHES per round with IN_FLIGHT in flight, next to the floor: the same
 * rows (filter keys computed beforehand) sent as one bare multi-row INSERT per batch through `pg`, the same number
 * in flight. Rounds alternate API and floor. Then GET /xapi/statements with agent + verb + since over STORED
 * statements (seeded by SQL: 1,000 agents, 20 verbs, a year of `stored`), QUERIES requests one after another.
 */

const BATCH = 100;
const BATCHES = Number(process.env.XAPI_BENCH_BATCHES ?? 100);
const ROUNDS = Number(process.env.XAPI_BENCH_ROUNDS ?? 3);
const IN_FLIGHT = 4;
const STORED = Number(process.env.XAPI_BENCH_STORED ?? 1_000_000);
const QUERIES = Number(process.env.XAPI_BENCH_QUERIES ?? 300);
const AGENTS = 1_000;
const QUIET = Object.fromEntries(
  ['QUIZ_DEADLINES', 'AUTO_ASSIGN', 'OVERDUE_SWEEP', 'RISK_ESCALATION', 'REMINDERS', 'RECERTIFICATION'].map((job) => [
    `${job}_CRON`,
    '',
  ]),
);

/** `count` batches through `send`, `IN_FLIGHT` at a time; statements per second. */
async function ingest(batches: unknown[][], send: (batch: unknown[]) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) await send(batches[next++]!);
    }),
  );
  return (batches.length * BATCH) / ((performance.now() - started) / 1000);
}

const newBatches = () =>
  Array.from({ length: BATCHES }, () =>
    Array.from({ length: BATCH }, (_, n) => statement(`w${n % AGENTS}@bench.example`, VERBS.experienced)),
  );

/** The floor's row: what the API stores for a statement, computed here, outside the timing. */
function floorRow(tenantId: string, s: ReturnType<typeof statement>, stored: string): unknown[] {
  const full = { ...s, stored, timestamp: stored, version: '2.0.0', authority: { objectType: 'Agent' } };
  const actor = `mbox:${s.actor.mbox}`;
  return [tenantId, s.id, stored, JSON.stringify(full), s.verb.id, actor, s.object.id, [actor], [s.object.id]];
}

async function floorInsert(pool: pg.Pool, rows: unknown[][]): Promise<void> {
  const values = rows.map((_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(', ')})`);
  await pool.query(
    `INSERT INTO xapi_statements (tenant_id, id, stored, statement, verb_id, actor_key, object_activity_id,
       related_agents, related_activities) VALUES ${values.join(', ')}`,
    rows.flat(),
  );
}

const SEED = `
  INSERT INTO xapi_statements (tenant_id, id, stored, statement, verb_id, actor_key, object_activity_id,
    related_agents, related_activities)
  SELECT $1::uuid, s.id, s.stored,
         jsonb_build_object('id', s.id, 'actor', jsonb_build_object('mbox', s.mbox),
           'verb', jsonb_build_object('id', s.verb), 'object', jsonb_build_object('id', s.activity),
           'stored', s.stored, 'timestamp', s.stored, 'version', '2.0.0'),
         s.verb, 'mbox:' || s.mbox, s.activity, ARRAY['mbox:' || s.mbox], ARRAY[s.activity]
  FROM (SELECT gen_random_uuid() AS id, now() - ((n::bigint * 7919) % 525600) * interval '1 minute' AS stored,
               'mailto:a' || (n % ${AGENTS}) || '@bench.example' AS mbox,
               'https://bench.example/verbs/' || ((n / ${AGENTS}) % 20) AS verb,
               'https://bench.example/course/' || (n % 50) AS activity
        FROM generate_series(1, $2::int) AS n) s`;

/**
 * The same benchmark before the changes above (the code of 2026-12-06 12:00: a duplicate-check SELECT, then the
 * INSERT, then one upsert of the activities whose row lock made concurrent batches naming one course wait for each
 * other's COMMIT; every statement through a Prisma interactive transaction, reads included).
 */
const BEFORE = `Before (same benchmark and machine, the code before the lanes and the one-statement insert): 12:26 UTC, load 21.7 — \
API 975 statements/s, floor 3,826, ratio 0.25; GET p50 31.1 ms, p95 99.4 ms. 14:49 UTC, load 10.8 → 13.1 — API 1,229, \
floor 5,026, ratio 0.24; GET p50 39.2 ms, p95 140.1 ms, p99 225.8 ms. Profiling (pg_stat_activity sampled during \
ingestion, EXPLAIN ANALYZE, \`node --cpu-prof\`) showed batches queued on the activity row's lock (upsert) and sessions \
idle in transaction between Prisma's BEGIN, settings, check and insert round trips; the query itself ran in 3 ms.`;

export const xapi: Benchmark = {
  name: 'xapi',
  async run() {
    const server = await startTestServer(QUIET, { serverUrl: benchServerUrl });
    const pool = new pg.Pool({ connectionString: server.db.url!, max: IN_FLIGHT });
    try {
      const admin = await server.actor('admin');
      const lrs: LrsClient = await credentialOf(server, admin);
      const seedStarted = performance.now();
      await server.owner.query('ALTER TABLE xapi_statements NO FORCE ROW LEVEL SECURITY');
      await server.owner.query(SEED, [admin.tenantId, STORED]);
      await server.owner.query('ALTER TABLE xapi_statements FORCE ROW LEVEL SECURITY');
      await server.owner.query('VACUUM ANALYZE xapi_statements');
      const seedSeconds = (performance.now() - seedStarted) / 1000;

      const api: number[] = [];
      const floor: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        api.push(
          await ingest(newBatches(), async (batch) => {
            const response = await lrs.send('statements', { method: 'POST', body: batch });
            if (response.status !== 200) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
          }),
        );
        const stored = new Date().toISOString();
        const rows = newBatches().map((batch) =>
          batch.map((s) => floorRow(admin.tenantId, s as ReturnType<typeof statement>, stored)),
        );
        floor.push(await ingest(rows, (batch) => floorInsert(pool, batch as unknown[][])));
      }

      const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const latencies: number[] = [];
      let returned = 0;
      for (let q = 0; q < QUERIES; q++) {
        const agent = encodeURIComponent(JSON.stringify({ mbox: `mailto:a${(q * 37) % AGENTS}@bench.example` }));
        const verb = encodeURIComponent(`https://bench.example/verbs/${q % 20}`);
        const started = performance.now();
        const response = await lrs.send(`statements?agent=${agent}&verb=${verb}&since=${since}`);
        const body = (await response.json()) as { statements: unknown[] };
        latencies.push(performance.now() - started);
        returned += body.statements.length;
      }
      const ratio = median(api) / median(floor);
      return [
        '## xAPI: statement ingestion and filtered reads (LRS)',
        '',
        `${STORED.toLocaleString('en')} statements stored first (${AGENTS.toLocaleString('en')} agents, 20 verbs, \`stored\` ` +
          `spread over a year; seeded by SQL in ${fmt(seedSeconds, 0)} s). Ingestion: ${ROUNDS} alternating rounds of ` +
          `${BATCHES} batches × ${BATCH} statements, ${IN_FLIGHT} batches in flight, into that table (\`bench/xapi\`). ` +
          'API = POST /xapi/statements over HTTP with Basic auth (validation; one transaction under RLS on a lane: BEGIN ' +
          'and the caller settings sent with the first statement; one INSERT … ON CONFLICT DO NOTHING per batch with ' +
          'the activities inserted, or updated only when their definition changes, in the same statement, sent through ' +
          '`pg` without Prisma; COMMIT); floor = the same rows as one bare multi-row INSERT per batch through `pg`, ' +
          'filter keys computed outside the timing. Median of the rounds.',
        '',
        table(
          ['ingestion', 'statements/s'],
          [
            ['API: POST /xapi/statements', fmt(median(api), 0)],
            ['floor: bare multi-row INSERT', fmt(median(floor), 0)],
            ['API / floor (goal ≥ 0.5)', fmt(ratio, 2)],
          ],
        ),
        '',
        `GET /xapi/statements?agent=…&verb=…&since=<30 days ago>, ${QUERIES} requests one after another over HTTP ` +
          `(a different agent and verb each; ${fmt(returned / QUERIES, 1)} statements per answer on average), ` +
          'index (tenant_id, actor_key, verb_id, stored); each request one READ ONLY transaction on a read lane (BEGIN, ' +
          'the caller settings and the prepared query in one round trip, no Prisma):',
        '',
        table(
          ['filtered read', 'ms'],
          [
            ['p50', fmt(percentile(latencies, 50))],
            ['p95 (goal < 50)', fmt(percentile(latencies, 95))],
            ['p99', fmt(percentile(latencies, 99))],
          ],
        ),
        '',
        BEFORE,
      ].join('\n');
    } finally {
      await pool.end();
      await server.stop();
    }
  },
};
