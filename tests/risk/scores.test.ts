import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoAssignTrainingSummaryDocument,
  RecordPredictiveScoresDocument,
  type PredictiveScoreInput,
} from '../../src/generated/operations/graphql.js';
import { MAX_SCORES_PER_CALL } from '../../src/risk/scores.js';
import { owner, uuid } from '../support/sql.js';
import { errorCode, startTestServer, type Actor, type TestServer } from '../support/server.js';

/** `recordPredictiveScores`: validation, all or nothing, roles, and the auto-assign trigger. */

let server: TestServer;
let admin: Actor;
let service: Actor;
let sql: ReturnType<typeof owner>;

beforeAll(async () => {
  server = await startTestServer();
  sql = owner(server.db);
  admin = await server.actor('admin');
  service = await server.actor('service', { tenantId: admin.tenantId });
});
afterAll(() => server.stop());

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
const scoreCount = (tenantId = admin.tenantId) => sql.count('predictive_scores', 'tenant_id = $1', [tenantId]);

async function record(actor: Actor, scores: PredictiveScoreInput[], autoAssign?: boolean) {
  const response = await actor.request(RecordPredictiveScoresDocument, { scores, autoAssign });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.recordPredictiveScores;
}

async function workerProfile(tenantId: string) {
  const id = uuid();
  await sql.insert('profiles', { id, tenant_id: tenantId, role: 'worker' });
  return id;
}

/** An auto-assign WORKER course with threshold 70. */
async function workerCourse(tenantId: string) {
  const course = await sql.insert('training_courses', {
    tenant_id: tenantId,
    title: 'Risky work',
    category: 'risk_management',
    created_by: admin.userId,
    auto_assign_enabled: true,
    entity_type: 'worker',
    risk_threshold: 70,
  });
  return course.id as string;
}

const assignmentsOf = (userId: string) =>
  sql.query<{ assigned_by: string; assignment_reason: string; trigger_score_id: string }>(
    `SELECT assigned_by, assignment_reason, trigger_score_id FROM training_assignments WHERE user_id = $1`,
    [userId],
  );

describe('recordPredictiveScores', () => {
  it('records every row in the caller tenant, computedAt defaulting to now, and returns the count', async () => {
    const [zone, driver] = [uuid(), uuid()];
    const before = Date.now();
    const recorded = await record(service, [
      { entityType: 'ZONE', entityId: zone, score: 42.25 },
      { entityType: 'DRIVER', entityId: driver, score: 0, computedAt: '2026-01-02T03:04:05.000Z' },
      { entityType: 'DRIVER', entityId: driver, score: 100, computedAt: inFuture(2 * 60_000) }, // within clock skew
    ]);
    expect(recorded).toBe(3);
    const rows = await sql.query<{
      tenant_id: string;
      entity_type: string;
      entity_id: string;
      score: string;
      computed_at: Date;
    }>(
      `SELECT tenant_id, entity_type, entity_id, score::text AS score, computed_at FROM predictive_scores
       WHERE entity_id = ANY($1::uuid[]) ORDER BY score::numeric`,
      [[zone, driver]],
    );
    expect(rows.map((r) => [r.tenant_id, r.entity_type, r.entity_id, r.score])).toEqual([
      [admin.tenantId, 'driver', driver, '0'],
      [admin.tenantId, 'zone', zone, '42.25'],
      [admin.tenantId, 'driver', driver, '100'],
    ]);
    expect(rows[0]!.computed_at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(rows[1]!.computed_at.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(rows[1]!.computed_at.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('accepts an empty batch as zero rows', async () => {
    expect(await record(admin, [])).toBe(0);
  });

  it.each([
    ['a score above 100', { score: 100.5 }, 'scores[1].score'],
    ['a negative score', { score: -0.1 }, 'scores[1].score'],
    ['an entity id that is no UUID', { entityId: 'zone-7' }, 'scores[1].entityId'],
    ['computedAt beyond the clock-skew allowance', { computedAt: inFuture(60 * 60_000) }, 'scores[1].computedAt'],
  ])('refuses %s with BAD_USER_INPUT naming the row, writing none of the batch', async (_case, bad, field) => {
    const before = await scoreCount();
    const good = { entityType: 'WORKER' as const, entityId: uuid(), score: 50 };
    const response = await admin.request(RecordPredictiveScoresDocument, {
      scores: [good, { ...good, ...bad }, good],
    });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await scoreCount()).toBe(before);
  });

  it('refuses an unknown entity type', async () => {
    const response = await admin.request(RecordPredictiveScoresDocument, {
      scores: [{ entityType: 'PLANET' as never, entityId: uuid(), score: 1 }],
    });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
  });

  it(`refuses more than ${MAX_SCORES_PER_CALL} rows in one call`, async () => {
    const before = await scoreCount();
    const row = { entityType: 'WORKER' as const, entityId: uuid(), score: 1 };
    const response = await admin.request(RecordPredictiveScoresDocument, {
      scores: Array.from({ length: MAX_SCORES_PER_CALL + 1 }, () => row),
    });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('scores');
    expect(await scoreCount()).toBe(before);
  });

  it('is for admins and integrations only', async () => {
    const scores = [{ entityType: 'WORKER' as const, entityId: uuid(), score: 1 }];
    const officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    const before = await scoreCount();
    expect(errorCode(await officer.request(RecordPredictiveScoresDocument, { scores }))).toBe('FORBIDDEN');
    expect(errorCode(await worker.request(RecordPredictiveScoresDocument, { scores }))).toBe('FORBIDDEN');
    expect(errorCode(await server.request(RecordPredictiveScoresDocument, { scores }))).toBe('UNAUTHENTICATED');
    expect(await scoreCount()).toBe(before);
  });

  it("keeps each tenant's scores to itself", async () => {
    const stranger = await server.actor('admin');
    await record(stranger, [{ entityType: 'EQUIPMENT', entityId: uuid(), score: 99 }], false);
    const mine = await admin.request(AutoAssignTrainingSummaryDocument, { entityType: 'EQUIPMENT', dryRun: true });
    expect(mine.data!.autoAssignTraining.scoresChecked).toBe(0);
    const theirs = await stranger.request(AutoAssignTrainingSummaryDocument, { dryRun: true });
    expect(theirs.data!.autoAssignTraining.scoresChecked).toBe(1);
  });
});

describe('recordPredictiveScores → auto-assignment', () => {
  it('assigns for the entities in the batch, in the same call (AUTO_ASSIGN_ON_SCORES defaults to on)', async () => {
    const tenant = await server.actor('service');
    const course = await workerCourse(tenant.tenantId);
    const worker = await workerProfile(tenant.tenantId);
    // Another worker already at risk, but not in this batch: the trigger is about the batch only.
    const bystander = await workerProfile(tenant.tenantId);
    await sql.insert('predictive_scores', {
      tenant_id: tenant.tenantId,
      entity_type: 'worker',
      entity_id: bystander,
      score: 90,
    });

    expect(await record(tenant, [{ entityType: 'WORKER', entityId: worker, score: 80 }])).toBe(1);
    const [score] = await sql.query<{ id: string }>('SELECT id FROM predictive_scores WHERE entity_id = $1', [worker]);
    expect(await assignmentsOf(worker)).toEqual([
      {
        assigned_by: tenant.userId,
        assignment_reason: `High risk score (80) for worker ${worker}`,
        trigger_score_id: score!.id,
      },
    ]);
    expect(await assignmentsOf(bystander)).toEqual([]);
    expect(await sql.count('training_assignments', 'course_id = $1', [course])).toBe(1);

    // A later score of the same worker does not assign the course twice.
    expect(await record(tenant, [{ entityType: 'WORKER', entityId: worker, score: 95 }])).toBe(1);
    expect(await assignmentsOf(worker)).toHaveLength(1);
  });

  it('autoAssign: false records the scores only', async () => {
    await workerCourse(admin.tenantId);
    const worker = await workerProfile(admin.tenantId);
    expect(await record(admin, [{ entityType: 'WORKER', entityId: worker, score: 99 }], false)).toBe(1);
    expect(await assignmentsOf(worker)).toEqual([]);
  });

  it('with AUTO_ASSIGN_ON_SCORES=false it records only, unless the call asks for autoAssign: true', async () => {
    const quiet = await startTestServer({ AUTO_ASSIGN_ON_SCORES: 'false' });
    try {
      const quietSql = owner(quiet.db);
      const caller = await quiet.actor('admin');
      const worker = uuid();
      await quietSql.insert('profiles', { id: worker, tenant_id: caller.tenantId, role: 'worker' });
      await quietSql.insert('training_courses', {
        tenant_id: caller.tenantId,
        title: 'Risky work',
        category: 'risk_management',
        created_by: caller.userId,
        auto_assign_enabled: true,
        entity_type: 'general',
        risk_threshold: 70,
      });
      const send = (autoAssign?: boolean) =>
        caller.request(RecordPredictiveScoresDocument, {
          scores: [{ entityType: 'WORKER', entityId: worker, score: 85 }],
          autoAssign,
        });
      expect((await send()).data?.recordPredictiveScores).toBe(1);
      expect(await quietSql.count('training_assignments')).toBe(0);
      expect((await send(true)).data?.recordPredictiveScores).toBe(1);
      expect(await quietSql.count('training_assignments', 'user_id = $1', [worker])).toBe(1);
    } finally {
      await quiet.stop();
    }
  }, 120_000); // a second server, with its own migrated database
});
