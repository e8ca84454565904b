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
}

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
          c.query(
            `UPDATE training_assignments SET status = 'in_progress', started_at = now() WHERE tenant_id = $2 AND id = $1`,
            [assigned[i], TENANT],
          ),
      },
      {
        label: 'complete one (1-row UPDATE + passed completion INSERT)',
        runs: started.length,
        write: async (c, _p, i) => {
          const { rows } = await c.query<{ course_id: string; user_id: string }>(
            `UPDATE training_assignments SET status = 'completed', completed_at = now() WHERE tenant_id = $2 AND id = $1
             RETURNING course_id, user_id`,
            [started[i], TENANT],
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
