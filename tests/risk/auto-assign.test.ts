import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoAssignTrainingDocument,
  AutoAssignTrainingSummaryDocument,
  type AutoAssignTrainingMutation,
} from '../../src/generated/operations/graphql.js';
import { listen, type Listener } from '../support/notifications.js';
import { owner, uuid } from '../support/sql.js';
import { dayFromToday, errorCode, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { describeRows, seedScenario, type Scenario } from './scenario.js';

/**
 * Risk-based auto-assignment over HTTP, on the known scenario of
 * ./scenario.ts: every rule (thresholds, entity types, zone window, operators,
 * completions, cancelled assignments, filters), dry run, idempotence, roles,
 * bad arguments and tenancy.
 */

let server: TestServer;
let scenario: Scenario;
let admin: Actor;
let officer: Actor;
let service: Actor;
let worker: Actor;
let otherAdmin: Actor;
let sql: ReturnType<typeof owner>;

type Result = AutoAssignTrainingMutation['autoAssignTraining'];
type Variables = { entityType?: 'ZONE' | 'DRIVER' | 'WORKER' | 'EQUIPMENT'; entityId?: string; minRiskScore?: number };

beforeAll(async () => {
  server = await startTestServer();
  sql = owner(server.db);
  otherAdmin = await server.actor('admin');
  scenario = await seedScenario(server.db, otherAdmin.tenantId);
  admin = await server.actor('admin', { tenantId: scenario.tenantId, userId: scenario.adminId });
  officer = await server.actor('safety_officer', { tenantId: scenario.tenantId });
  service = await server.actor('service', { tenantId: scenario.tenantId });
  worker = await server.actor('worker', { tenantId: scenario.tenantId, userId: scenario.users.w1 });
});
afterAll(() => server.stop());

const riskBasedCount = () => sql.count('training_assignments', "assignment_type = 'risk_based'");

async function run(actor: Actor, variables: Variables & { dryRun?: boolean } = {}): Promise<Result> {
  const response = await actor.request(AutoAssignTrainingDocument, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.autoAssignTraining;
}

const rows = (result: Result) =>
  describeRows(
    scenario,
    result.assignments.map((a) => ({
      courseId: a.course.id,
      userId: a.user.id,
      entityType: a.trigger!.entityType.toLowerCase(),
      entityId: a.trigger!.entityId,
      score: a.trigger!.score,
      threshold: a.trigger!.threshold,
    })),
  );

const expected = () => [...scenario.expected].sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));

/** What two runs must agree on: everything but ids and timestamps. */
const comparable = (result: Result) => ({
  ...result,
  assignments: result.assignments.map(({ id: _id, assignedAt: _at, ...rest }) => rest),
});

describe('autoAssignTraining: arguments and roles', () => {
  it.each([
    [{ entityId: 'not-a-uuid' }, 'entityId'],
    [{ minRiskScore: 101 }, 'minRiskScore'],
    [{ minRiskScore: -1 }, 'minRiskScore'],
    [{ minRiskScore: null }, 'minRiskScore'],
    [{ dryRun: null }, 'dryRun'],
  ])('refuses %j with BAD_USER_INPUT naming %s, writing nothing', async (variables, field) => {
    const response = await admin.request(AutoAssignTrainingSummaryDocument, variables as never);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await riskBasedCount()).toBe(0);
  });

  it('refuses an unknown entity type before running', async () => {
    const response = await admin.request(AutoAssignTrainingSummaryDocument, { entityType: 'PLANET' } as never);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
  });

  it('refuses a worker (FORBIDDEN) and an anonymous caller (UNAUTHENTICATED), writing nothing', async () => {
    expect(errorCode(await worker.request(AutoAssignTrainingSummaryDocument, {}))).toBe('FORBIDDEN');
    expect(errorCode(await server.request(AutoAssignTrainingSummaryDocument, {}))).toBe('UNAUTHENTICATED');
    expect(await riskBasedCount()).toBe(0);
  });

  it('lets a safety officer and an integration run it (dry runs here)', async () => {
    for (const actor of [officer, service]) {
      const result = await run(actor, { dryRun: true });
      expect(result.assignmentsCreated).toBe(scenario.expected.length);
    }
  });
});

describe('autoAssignTraining: filters (dry runs)', () => {
  const keys = (result: Result) => rows(result).map(([course, user]) => `${course}:${user}`);

  it('entityType narrows the scores to that type', async () => {
    const result = await run(admin, { entityType: 'WORKER', dryRun: true });
    expect(result.scoresChecked).toBe(4); // w1 (latest only), w2, w3, ghost
    expect(keys(result)).toEqual(['general90:w2', 'worker70:w1', 'worker75:w1', 'worker75:w2', 'worker80:w2']);
  });

  it('entityId narrows to one entity', async () => {
    const result = await run(admin, { entityId: scenario.entities.zone, dryRun: true });
    expect(result.scoresChecked).toBe(1);
    expect(keys(result)).toEqual(['zone50:zA', 'zone50:zD']);
  });

  it('entityType and entityId together must both match', async () => {
    const result = await run(admin, { entityType: 'ZONE', entityId: scenario.users.w1, dryRun: true });
    expect(result).toMatchObject({ scoresChecked: 0, assignmentsCreated: 0, assignments: [] });
  });

  it('minRiskScore ignores latest scores below it', async () => {
    const result = await run(admin, { minRiskScore: 70, dryRun: true });
    expect(result.scoresChecked).toBe(4); // w1 75, w2 95, ghost 99, equipment 92
    expect(keys(result)).toEqual([
      'equipment50:e2',
      'equipment50:w2',
      'general90:e1',
      'general90:e2',
      'general90:w2',
      'worker70:w1',
      'worker75:w1',
      'worker75:w2',
      'worker80:w2',
    ]);
  });
});

describe('autoAssignTraining: the scenario', () => {
  let dry: Result;
  let real: Result;
  let listener: Listener;

  beforeAll(async () => {
    listener = await listen(server.db, 'training_assignment_created');
  });
  afterAll(() => listener.close());

  it('a dry run returns the full result and writes (and announces) nothing', async () => {
    dry = await run(admin, { dryRun: true });
    expect(dry).toMatchObject({
      success: true,
      tenantId: scenario.tenantId,
      dryRun: true,
      coursesChecked: 7, // auto-assign with a threshold: not "disabled", not "noThreshold"
      scoresChecked: 7, // latest per entity: w1, w2, w3, ghost, d1, zone, equipment
      assignmentsCreated: scenario.expected.length,
    });
    expect(rows(dry)).toEqual(expected());
    expect(await riskBasedCount()).toBe(0);
    expect(await sql.count('training_assignments', 'tenant_id = $1', [scenario.tenantId])).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listener.payloads).toEqual([]);
  });

  it('a real run creates exactly the expected assignments, equal to the dry run', async () => {
    real = await run(admin);
    expect(real.dryRun).toBe(false);
    expect(rows(real)).toEqual(expected());
    expect(comparable({ ...real, dryRun: true })).toEqual(comparable(dry));
    expect(await riskBasedCount()).toBe(scenario.expected.length);
    await listener.waitFor((payloads) => payloads.length > 0);
  });

  it('orders the assignments by trigger score, highest first', () => {
    const scores = real.assignments.map((a) => a.trigger!.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('writes type, status, reason, due date, assigner and trigger', async () => {
    const byKey = new Map(real.assignments.map((a) => [`${a.course.id}:${a.user.id}`, a]));
    const w1 = byKey.get(`${scenario.courses.worker70}:${scenario.users.w1}`)!;
    expect(w1).toMatchObject({
      assignmentType: 'RISK_BASED',
      status: 'ASSIGNED',
      assignmentReason: `High risk score (75) for worker ${scenario.users.w1}`,
      dueDate: dayFromToday(14),
      assignedBy: { id: admin.userId },
      trigger: {
        scoreId: scenario.scoreIds['worker:w1'],
        entityType: 'WORKER',
        entityId: scenario.users.w1,
        score: 75,
        threshold: 70,
      },
      course: { id: scenario.courses.worker70, title: 'Worker 70' },
      completion: null,
    });
    const d1 = byKey.get(`${scenario.courses.driver60}:${scenario.users.d1}`)!;
    expect(d1.assignmentReason).toBe(`High risk score (65.5) for driver ${scenario.users.d1}`);
    const general = byKey.get(`${scenario.courses.general90}:${scenario.users.w2}`)!;
    expect(general.trigger).toMatchObject({ scoreId: scenario.scoreIds['worker:w2'], entityType: 'WORKER', score: 95 });
    const zone = byKey.get(`${scenario.courses.zone50}:${scenario.users.zA}`)!;
    expect(zone.assignmentReason).toBe(`High risk score (55) for zone ${scenario.entities.zone}`);
    const [stored] = await sql.query<Record<string, unknown>>(
      `SELECT trigger_score_id, trigger_score::float8 AS score, trigger_threshold::float8 AS threshold,
              trigger_entity_type, trigger_entity_id, assignment_type, due_date::text AS due_date
       FROM training_assignments WHERE id = $1`,
      [general.id],
    );
    expect(stored).toEqual({
      trigger_score_id: scenario.scoreIds['worker:w2'],
      score: 95,
      threshold: 90,
      trigger_entity_type: 'worker',
      trigger_entity_id: scenario.users.w2,
      assignment_type: 'risk_based',
      due_date: dayFromToday(14),
    });
  });

  it('is idempotent: a second run creates nothing', async () => {
    const again = await run(admin);
    expect(again).toMatchObject({ assignmentsCreated: 0, assignments: [], coursesChecked: 7, scoresChecked: 7 });
    expect(await riskBasedCount()).toBe(scenario.expected.length);
  });

  it('after a cancellation, assigns again only on a newer score (an integration running it)', async () => {
    const target = real.assignments.find((a) => a.user.id === scenario.users.zD)!;
    await sql.query(`UPDATE training_assignments SET status = 'cancelled', cancelled_at = now() WHERE id = $1`, [
      target.id,
    ]);
    // The score that created it was computed before the cancellation: stale.
    expect((await run(service, { entityId: scenario.entities.zone })).assignments).toEqual([]);
    await sql.insert('predictive_scores', {
      tenant_id: scenario.tenantId,
      entity_type: 'zone',
      entity_id: scenario.entities.zone,
      score: 58,
      computed_at: new Date(Date.now() + 1000),
    });
    const result = await run(service, { entityId: scenario.entities.zone });
    expect(result.assignments.map((a) => [a.user.id, a.assignedBy?.id, a.trigger?.score])).toEqual([
      [scenario.users.zD, service.userId, 58],
    ]);
  });

  it('never reaches into another tenant: its admin finds nothing to do, and this tenant assigned none of its users', async () => {
    const other = await run(otherAdmin);
    expect(other).toMatchObject({ tenantId: otherAdmin.tenantId, coursesChecked: 0, assignmentsCreated: 0 });
    expect(await sql.count('training_assignments', 'tenant_id <> $1', [scenario.tenantId])).toBe(0);
    expect(await sql.count('training_assignments', 'user_id = $1', [scenario.entities.ghost])).toBe(0);
  });

  it('a course of another tenant with a matching threshold does not make this tenant assign it', async () => {
    await sql.insert('training_courses', {
      tenant_id: otherAdmin.tenantId,
      title: 'Other tenant, worker 10',
      category: 'risk_management',
      created_by: otherAdmin.userId,
      auto_assign_enabled: true,
      entity_type: 'worker',
      risk_threshold: 10,
    });
    const result = await run(admin, { dryRun: true });
    expect(result.coursesChecked).toBe(7);
    expect(result.assignmentsCreated).toBe(0);
    // …and the other tenant's run sees none of this tenant's scores.
    const other = await run(otherAdmin, { dryRun: true });
    expect(other).toMatchObject({ coursesChecked: 1, scoresChecked: 0, assignmentsCreated: 0 });
  });

  it('a run about an entity nobody maps to succeeds with nothing to do', async () => {
    const result = await run(admin, { entityId: uuid() });
    expect(result).toMatchObject({ success: true, scoresChecked: 0, assignmentsCreated: 0 });
  });
});
