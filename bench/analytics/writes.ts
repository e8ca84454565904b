import type pg from 'pg';
import { type BenchDatabase } from '../../tests/support/database.js';
import { fmt, median } from '../../tests/support/report.js';
import { WRITE_RUNS, BULK_WRITE_RUNS, BULK_INSERT_ROWS, BULK_UPDATE_ROWS, TENANT, ADMIN } from './queries.js';

/**
 * The cost the counter triggers add to writes: each kind of write with and without them, rolled back.
 * The row triggers collect each bucket's deltas and the statement triggers (`…_flush`) write them.
 */

export const COUNTER_TRIGGERS: [table: string, trigger: string][] = [
  ['training_assignments', 'training_assignment_counts_insert'],
  ['training_assignments', 'training_assignment_counts_update'],
  ['training_assignments', 'training_assignment_counts_delete'],
  ['training_assignments', 'training_assignment_counts_flush'],
  ['training_completions', 'training_completion_counts_insert'],
  ['training_completions', 'training_completion_counts_update'],
  ['training_completions', 'training_completion_counts_delete'],
  ['training_completions', 'training_completion_counts_flush'],
];

export interface WriteCost {
  label: string;
  runs: number;
  withCounters: number;
  without: number;
  /** The same write's time in the server (EXPLAIN ANALYZE's execution time, triggers included), for one-row writes. */
  server?: { withCounters: number; without: number };
}

type Statement = [text: string, params: unknown[]];

/**
 * One write, timed, in a transaction that is rolled back (the data stays as seeded). The
 * counter triggers are enabled or disabled inside it (ALTER TABLE … ENABLE/DISABLE TRIGGER in
 * both variants, so both pay the same relcache invalidation), and only `write` is timed.
 */
export async function timedWrite(
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

/**
 * The same, timed by the server: the sum of each statement's execution time (its triggers included) as EXPLAIN
 * ANALYZE reports it, without the round trips and the client's work, which dwarf a one-row write's triggers on a
 * loaded machine.
 */
async function serverTimedWrite(client: pg.Client, counters: boolean, statements: Statement[]): Promise<number> {
  await client.query('BEGIN');
  try {
    for (const [table, trigger] of COUNTER_TRIGGERS) {
      await client.query(`ALTER TABLE "${table}" ${counters ? 'ENABLE' : 'DISABLE'} TRIGGER "${trigger}"`);
    }
    let ms = 0;
    for (const [text, params] of statements) {
      const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        params,
      );
      ms += rows[0]!['QUERY PLAN'][0]['Execution Time'];
    }
    return ms;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Median time of each kind of write with and without the counter triggers, runs interleaved. */
export async function measureWrites(db: BenchDatabase): Promise<WriteCost[]> {
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
    const startedRows = new Map(
      (
        await client.query<{ id: string; course_id: string; user_id: string }>(
          `SELECT id::text, course_id::text, user_id::text FROM training_assignments WHERE id = ANY($1::uuid[])`,
          [started],
        )
      ).rows.map((row) => [row.id, row]),
    );
    const startStatement = (i: number): Statement => [
      `UPDATE training_assignments SET status = 'in_progress', started_at = now() WHERE tenant_id = $2 AND id = $1`,
      [assigned[i], TENANT],
    ];
    const completeStatements = (i: number): Statement[] => {
      const row = startedRows.get(started[i]!)!;
      return [
        [
          `UPDATE training_assignments SET status = 'completed', completed_at = now() WHERE tenant_id = $2 AND id = $1`,
          [started[i], TENANT],
        ],
        [
          `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completion_time_minutes)
           VALUES ($1, $2, $3, $4, 88, true, 42)`,
          [TENANT, started[i], row.course_id, row.user_id],
        ],
      ];
    };
    const bulk = await ids(`status IN ('assigned', 'in_progress')`, BULK_UPDATE_ROWS);
    const cases: {
      label: string;
      runs: number;
      write: (client: pg.Client, prepared: string, i: number) => Promise<unknown>;
      prepare?: (client: pg.Client) => Promise<string>;
      statements?: (i: number) => Statement[];
    }[] = [
      {
        label: 'start one assignment (1-row UPDATE)',
        runs: assigned.length,
        write: (c, _p, i) => c.query(...startStatement(i)),
        statements: (i) => [startStatement(i)],
      },
      {
        label: 'complete one (1-row UPDATE + passed completion INSERT)',
        runs: started.length,
        write: async (c, _p, i) => {
          for (const statement of completeStatements(i)) await c.query(...statement);
        },
        statements: completeStatements,
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
    // Interleaved, alternating which goes first, so drift in machine load hits both alike.
    const interleaved = async (runs: number, timed: (counters: boolean, i: number) => Promise<number>) => {
      const times = { withCounters: [] as number[], without: [] as number[] };
      for (let i = 0; i < runs; i++) {
        for (const counters of i % 2 === 0 ? [true, false] : [false, true]) {
          times[counters ? 'withCounters' : 'without'].push(await timed(counters, i));
        }
      }
      return { withCounters: median(times.withCounters), without: median(times.without) };
    };
    for (const { label, runs, write, prepare, statements } of cases) {
      const cost: WriteCost = {
        label,
        runs,
        ...(await interleaved(runs, (counters, i) => timedWrite(client, counters, (c, p) => write(c, p, i), prepare))),
      };
      if (statements) cost.server = await interleaved(runs, (on, i) => serverTimedWrite(client, on, statements(i)));
      const server = cost.server
        ? `; in the server ${fmt(cost.server.without, 3)} → ${fmt(cost.server.withCounters, 3)} ms`
        : '';
      console.log(`${label}: ${fmt(cost.without, 2)} → ${fmt(cost.withCounters, 2)} ms (median of ${runs})${server}`);
      results.push(cost);
    }
    return results;
  });
}
