import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import {
  AutoAssignTrainingSummaryDocument,
  RecordPredictiveScoresDocument,
} from '../../src/generated/operations/graphql.js';
import { runAutoAssign } from '../../src/risk/auto-assign-sql.js';
import { onCitus } from '../support/citus.js';
import { onPostgres } from '../support/database.js';
import { owner, uuid } from '../support/sql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { seedScenario } from './scenario.js';

/**
 * Auto-assignment is safe under concurrent runs. These need real concurrent sessions,
 * so they run on PostgreSQL only: PGlite is one in-process session, where
 * transactions queue one behind another and there is no race to lose.
 */

let server: TestServer | undefined;

beforeAll(async () => {
  if (onPostgres) server = await startTestServer();
});
afterAll(() => server?.stop());

const PARALLEL = 10;

/** A tenant with `workers` workers scored 90 and `courses` WORKER courses they all match. */
async function seedTenant(workers: number, courses: number) {
  const sql = owner(server!.db);
  const tenantId = uuid();
  const admin = uuid();
  await sql.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'admin')`, [admin, tenantId]);
  await sql.query(
    `WITH p AS (INSERT INTO profiles (id, tenant_id, role)
                SELECT gen_random_uuid(), $1, 'worker' FROM generate_series(1, $2::int) RETURNING id)
     INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score) SELECT $1, 'worker', id, 90 FROM p`,
    [tenantId, workers],
  );
  await sql.query(
    `INSERT INTO training_courses (tenant_id, title, category, created_by, auto_assign_enabled, entity_type, risk_threshold)
     SELECT $1, 'Course ' || n, 'risk_management', $2, true, 'worker', 50 + n FROM generate_series(1, $3::int) AS n`,
    [tenantId, admin, courses],
  );
  return { caller: { tenantId, userId: admin, role: 'admin' as const }, sql };
}

const autoAssign = (caller: Caller) =>
  runAsCaller(server!.db.prisma, caller, (tx) =>
    runAutoAssign(tx, { tenantId: caller.tenantId, assignedBy: caller.userId, dueDays: 14 }),
  );

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('auto-assignment under concurrency (PostgreSQL)', () => {
  it.runIf(onPostgres)('ten parallel HTTP runs create each assignment exactly once', async () => {
    const other = await server!.actor('admin');
    const scenario = await seedScenario(server!.db, other.tenantId);
    const callers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        server!.actor(i % 2 ? 'service' : 'admin', { tenantId: scenario.tenantId }),
      ),
    );
    const responses = await Promise.all(callers.map((caller) => caller.request(AutoAssignTrainingSummaryDocument, {})));
    for (const response of responses) expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const created = responses.map((response) => response.data!.autoAssignTraining.assignmentsCreated);
    expect(created.reduce((sum, n) => sum + n, 0)).toBe(scenario.expected.length);
    const sql = owner(server!.db);
    expect(
      await sql.count('training_assignments', "tenant_id = $1 AND assignment_type = 'risk_based'", [scenario.tenantId]),
    ).toBe(scenario.expected.length);
  });

  it.runIf(onPostgres)('ten parallel transactions over 2,000 candidates insert each (course, user) once', async () => {
    const { caller, sql } = await seedTenant(400, 5);
    const outcomes = await Promise.all(Array.from({ length: PARALLEL }, () => autoAssign(caller)));
    expect(outcomes.reduce((sum, outcome) => sum + outcome.assignmentsCreated, 0)).toBe(2_000);
    const [counts] = await sql.query<{ total: number; distinct_pairs: number }>(
      `SELECT count(*)::int AS total, count(DISTINCT (course_id, user_id))::int AS distinct_pairs
       FROM training_assignments WHERE tenant_id = $1`,
      [caller.tenantId],
    );
    expect(counts).toEqual({ total: 2_000, distinct_pairs: 2_000 });
  });

  // The race made deterministic: a second run starts while the first has inserted but not committed.
  it.runIf(onPostgres).each([
    ['commits', 0],
    ['rolls back', 200],
  ])('a run waiting on one that %s then creates %i', async (outcome, expected) => {
    const { caller, sql } = await seedTenant(100, 2);
    let release: (() => void) | undefined;
    const first = runAsCaller(
      server!.db.prisma,
      caller,
      async (tx) => {
        const result = await runAutoAssign(tx, { tenantId: caller.tenantId, assignedBy: caller.userId, dueDays: 14 });
        await new Promise<void>((resolve) => (release = resolve));
        if (outcome === 'rolls back') throw new Error('first run fails');
        return result;
      },
      { timeout: 20_000 },
    ).catch((error: Error) => error);
    await until(async () => release !== undefined);
    const second = autoAssign(caller);
    // The second run's insert waits for the first run's transaction (its uncommitted index entries); on Citus it
    // waits on the worker, which citus_stat_activity shows.
    await until(async () => {
      const [row] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${onCitus ? 'citus_stat_activity' : 'pg_stat_activity'}
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`,
      );
      return row!.n > 0;
    });
    release!();
    const firstResult = await first;
    expect((await second).assignmentsCreated).toBe(expected);
    if (outcome === 'commits') expect(firstResult).toMatchObject({ assignmentsCreated: 200 });
    expect(await sql.count('training_assignments', 'tenant_id = $1', [caller.tenantId])).toBe(200);
  });

  it.runIf(onPostgres)(
    'ten integrations recording scores for the same worker at once assign the course once',
    async () => {
      const integration = await server!.actor('service');
      const sql = owner(server!.db);
      const worker = uuid();
      await sql.insert('profiles', { id: worker, tenant_id: integration.tenantId, role: 'worker' });
      await sql.insert('training_courses', {
        tenant_id: integration.tenantId,
        title: 'Risky work',
        category: 'risk_management',
        created_by: integration.userId,
        auto_assign_enabled: true,
        entity_type: 'worker',
        risk_threshold: 50,
      });
      const responses = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          integration.request(RecordPredictiveScoresDocument, {
            scores: [{ entityType: 'WORKER', entityId: worker, score: 60 + i }],
          }),
        ),
      );
      for (const response of responses) expect(response.data?.recordPredictiveScores).toBe(1);
      expect(await sql.count('predictive_scores', 'entity_id = $1', [worker])).toBe(PARALLEL);
      expect(await sql.count('training_assignments', 'user_id = $1', [worker])).toBe(1);
    },
  );
});

/**
 * The statement with the stale-score rule and the hysteresis (rearmMargin) still never creates a
 * duplicate: random histories of ended risk-based assignments, random score sequences and margins,
 * several runs at once; the runs together create exactly what one run alone would (its dry run,
 * rolled back), and no (course, user) ever has two active assignments.
 */
describe('auto-assignment with the risk-loop rules under concurrency (PostgreSQL, property)', () => {
  const history = fc.record({
    ended: fc.constantFrom('none', 'cancelled', 'completed'),
    endedHoursAgo: fc.integer({ min: 1, max: 48 }),
    // Scores as (hours ago, value), oldest sent first.
    scores: fc.array(fc.tuple(fc.integer({ min: 0, max: 72 }), fc.integer({ min: 0, max: 100 })), {
      minLength: 1,
      maxLength: 4,
    }),
  });
  const scenario = fc.record({
    margins: fc.array(fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }), { minLength: 1, maxLength: 3 }),
    workers: fc.array(history, { minLength: 1, maxLength: 12 }),
    parallel: fc.integer({ min: 2, max: 6 }),
  });

  it.runIf(onPostgres)(
    'concurrent runs create each eligible (course, user) exactly once',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ margins, workers, parallel }) => {
          const sql = owner(server!.db);
          const tenantId = uuid();
          const admin = uuid();
          await sql.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'admin')`, [admin, tenantId]);
          const courses: string[] = [];
          for (const [i, margin] of margins.entries()) {
            const [course] = await sql.query<{ id: string }>(
              `INSERT INTO training_courses (tenant_id, title, category, created_by, auto_assign_enabled, entity_type,
                                           risk_threshold, rearm_margin)
             VALUES ($1, $2, 'risk_management', $3, true, 'worker', $4, $5) RETURNING id`,
              [tenantId, `Course ${i}`, admin, 50 + 10 * i, margin],
            );
            courses.push(course!.id);
          }
          for (const worker of workers) {
            const id = uuid();
            await sql.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'worker')`, [id, tenantId]);
            if (worker.ended !== 'none') {
              for (const course of courses) {
                await sql.query(
                  `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, status,
                                                   cancelled_at, completed_at)
                 VALUES ($1, $2, $3, 'risk_based', $4, $5, $6)`,
                  [
                    tenantId,
                    course,
                    id,
                    worker.ended,
                    worker.ended === 'cancelled' ? new Date(Date.now() - worker.endedHoursAgo * 3_600_000) : null,
                    worker.ended === 'completed' ? new Date(Date.now() - worker.endedHoursAgo * 3_600_000) : null,
                  ],
                );
              }
            }
            for (const [hoursAgo, value] of worker.scores) {
              await sql.query(
                `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
               VALUES ($1, 'worker', $2, $3, now() - make_interval(hours => $4))`,
                [tenantId, id, value, hoursAgo],
              );
            }
          }
          const caller: Caller = { tenantId, userId: admin, role: 'admin' };
          const alone = await runAsCaller(server!.db.prisma, caller, async (tx) => {
            const outcome = await runAutoAssign(tx, { tenantId, assignedBy: admin, dueDays: 14 });
            throw Object.assign(new Error('rollback'), { outcome });
          }).catch((error: { outcome?: { assignmentsCreated: number } }) => error.outcome!.assignmentsCreated);
          const outcomes = await Promise.all(Array.from({ length: parallel }, () => autoAssign(caller)));
          const [counts] = await sql.query<{ active: number; pairs: number }>(
            `SELECT count(*)::int AS active, count(DISTINCT (course_id, user_id))::int AS pairs
           FROM training_assignments WHERE tenant_id = $1 AND status IN ('assigned', 'in_progress', 'overdue')`,
            [tenantId],
          );
          expect(counts!.active).toBe(counts!.pairs);
          expect(outcomes.reduce((sum, outcome) => sum + outcome.assignmentsCreated, 0)).toBe(alone);
          expect(counts!.active).toBe(alone);
        }),
        { numRuns: 15 },
      );
    },
    120_000,
  );
});
