import type pg from 'pg';
import {
  ASSIGNMENT_COUNTER_DIFFERENCES,
  COMPLETION_COUNTER_DIFFERENCES,
  RECOUNT_FIGURES,
} from '../../tests/support/analytics.js';
import { withCaller, type BenchDatabase } from '../../tests/support/database.js';
import { seedTraining, type SeedCounts } from '../../tests/support/seed.js';
import { WORKERS, NOISE_WORKERS, PER_WORKER, TENANT, NOISE_TENANT, ADMIN } from './queries.js';

/** The seed, and checking it to the row: counters equal a recount, the seven figures equal the formula. */

export async function seed(db: BenchDatabase): Promise<SeedCounts> {
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
export const asAdmin = <T>(client: pg.Client, fn: () => Promise<T>) =>
  withCaller(client, { tenantId: TENANT, userId: ADMIN, role: 'admin' }, fn);

/** numeric from get_training_analytics (as text), int/float8 from the recount. */
export type Figure = string | number;
export interface Figures {
  total_courses: Figure;
  total_assignments: Figure;
  completed_count: Figure;
  in_progress_count: Figure;
  overdue_count: Figure;
  completion_rate: Figure;
  avg_completion_time: Figure;
}

export function checkFigures(data: unknown, expected: Figures): void {
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

/** The seven figures recounted from the rows as the admin under RLS: what every answer must say. */
export async function recountedFigures(db: BenchDatabase): Promise<Figures> {
  return db.withClient((client) =>
    asAdmin(client, async () => {
      await client.query("SET LOCAL statement_timeout = '300s'");
      return (await client.query<Figures>(RECOUNT_FIGURES, [TENANT])).rows[0]!;
    }),
  );
}

/** The seven figures from get_training_analytics (the counters) as the admin under RLS. */
export async function functionFigures(db: BenchDatabase): Promise<Figures> {
  return db.withClient((client) =>
    asAdmin(client, async () => {
      const { rows } = await client.query<Figures>('SELECT * FROM get_training_analytics($1::uuid)', [TENANT]);
      return rows[0]!;
    }),
  );
}

export interface CounterSizes {
  tenantBuckets: number;
  tenantDueBuckets: number;
  tenantPastDueBuckets: number;
  allBuckets: number;
  completionBuckets: number;
  countersBytes: number;
  assignmentsBytes: number;
}

/** Counters equal a recount of every row (both tables, every tenant), and how big they are. */
export async function checkCounters(db: BenchDatabase): Promise<CounterSizes> {
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
