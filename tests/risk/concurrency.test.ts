import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type Caller } from '../../src/core/caller.js';
import {
  AutoAssignTrainingSummaryDocument,
  RecordPredictiveScoresDocument,
} from '../../src/generated/operations/graphql.js';
import { runAutoAssign } from '../../src/risk/auto-assign-sql.js';
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
  withTenant(server!.db.prisma, caller, (tx) =>
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
    const first = withTenant(
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
    // The second run's insert waits for the first run's transaction (its uncommitted index entries).
    await until(async () => {
      const [row] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
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
