import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoAssignTrainingDocument,
  CancelTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  SetCourseLeadDaysDocument,
} from '../../src/generated/operations/graphql.js';
import { uuid } from '../support/sql.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * Trend-triggered assignment (a course's leadDays): assigned when the least-squares line over the entity's
 * scores of the last 30 days (at least 3) reaches the threshold within leadDays — rising histories only.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const THRESHOLD = 60;
const LEAD_DAYS = 14;
const DAY_MS = 86_400_000;

interface Tenant {
  officer: Actor;
  tenantId: string;
  workerId: string;
  courseId: string;
}

/** A tenant with one worker and an auto-assign WORKER course (threshold 60, leadDays 14). */
async function tenant(leadDays: number | null = LEAD_DAYS): Promise<Tenant> {
  const officer = await server.actor('safety_officer');
  const workerId = uuid();
  await server.owner.insert('profiles', { id: workerId, tenant_id: officer.tenantId, role: 'worker' });
  await server.owner.insert('profiles', { id: officer.userId, tenant_id: officer.tenantId, role: 'safety_officer' });
  const input = {
    title: 'Fatigue management',
    category: 'RISK_MANAGEMENT' as const,
    riskThreshold: THRESHOLD,
    entityType: 'WORKER' as const,
    autoAssignEnabled: true,
  };
  const courseId = (await ok(officer.request(CreateTrainingCourseDocument, { input }))).createTrainingCourse.id;
  await ok(officer.request(SetCourseLeadDaysDocument, { id: courseId, leadDays }));
  return { officer, tenantId: officer.tenantId, workerId, courseId };
}

/** The worker's scores, `[daysAgo, score]` each, as the scoring system stored them (no ingest run). */
async function history(t: Tenant, points: [number, number][]): Promise<Date[]> {
  const now = Date.now();
  const times = points.map(([daysAgo]) => new Date(now - daysAgo * DAY_MS));
  for (const [index, [, score]] of points.entries()) {
    await server.owner.insert('predictive_scores', {
      tenant_id: t.tenantId,
      entity_type: 'worker',
      entity_id: t.workerId,
      score,
      computed_at: times[index],
    });
  }
  return times;
}

/** A dry run, then the run: they must agree; the reasons of what the run created. */
async function dryThenReal(t: Tenant): Promise<string[]> {
  const run = async (dryRun: boolean) =>
    (await ok(t.officer.request(AutoAssignTrainingDocument, { dryRun }))).autoAssignTraining;
  const dry = await run(true);
  const real = await run(false);
  const shown = (result: typeof real) =>
    result.assignments.map((a) => ({ reason: a.assignmentReason, trigger: a.trigger, due: a.dueDate }));
  expect(shown(dry)).toEqual(shown(real));
  expect(dry.assignmentsCreated).toBe(real.assignmentsCreated);
  return real.assignments.map((a) => a.assignmentReason ?? '');
}

/** The least-squares line over (day, score), in days since the epoch, and where it crosses 60. */
function crossing(times: Date[], scores: number[]) {
  const xs = times.map((time) => time.getTime() / DAY_MS);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sxy = xs.reduce((sum, x, i) => sum + (x - meanX) * (scores[i]! - meanY), 0);
  const sxx = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  const slope = sxy / sxx;
  const lineNow = meanY + slope * (Date.now() / DAY_MS - meanX);
  return { slope, days: Math.max(0, Math.ceil((THRESHOLD - lineNow) / slope)) };
}

describe('trend-triggered assignment (leadDays)', () => {
  it('a rising history below the threshold is assigned ahead, with the reason, in the dry run too', async () => {
    const t = await tenant();
    const points: [number, number][] = [
      [21, 40],
      [14, 45],
      [7, 50],
      [0.1, 55],
    ];
    const times = await history(t, points);
    const { slope, days } = crossing(
      times,
      points.map(([, score]) => score),
    );
    const reasons = await dryThenReal(t);
    expect(reasons).toEqual([`Rising score: 55, +${slope.toFixed(1)} a day, reaches 60 around ${dayFromToday(days)}`]);
  });

  it.each([
    [
      'flat',
      [
        [21, 50],
        [14, 50],
        [7, 50],
        [0.1, 50],
      ],
    ],
    [
      'falling',
      [
        [21, 58],
        [14, 55],
        [7, 52],
        [0.1, 49],
      ],
    ],
    [
      'two points',
      [
        [7, 40],
        [0.1, 58],
      ],
    ],
    [
      'a single spike',
      [
        [28, 40],
        [21, 40],
        [14, 40],
        [7, 40],
        [0.1, 58],
      ],
    ],
    [
      'noisy but flat',
      [
        [27, 48],
        [24, 53],
        [21, 47],
        [18, 52],
        [15, 49],
        [12, 54],
        [9, 46],
        [6, 51],
        [3, 50],
        [0.1, 49],
      ],
    ],
    [
      'rising too slowly to reach it within leadDays',
      [
        [21, 30],
        [14, 32],
        [7, 34],
        [0.1, 36],
      ],
    ],
    [
      'rising, but most of it older than 30 days',
      [
        [60, 30],
        [45, 40],
        [35, 45],
        [0.1, 55],
      ],
    ],
  ] as [string, [number, number][]][])('%s: assigns nothing', async (_name, points) => {
    const t = await tenant();
    await history(t, points);
    expect(await dryThenReal(t)).toEqual([]);
  });

  it('without leadDays the course waits for the threshold, as before', async () => {
    const t = await tenant(null);
    await history(t, [
      [21, 40],
      [14, 45],
      [7, 50],
      [0.1, 55],
    ]);
    expect(await dryThenReal(t)).toEqual([]);
  });

  it('a score at the threshold is the threshold rule’s, whatever the trend', async () => {
    const t = await tenant();
    await history(t, [
      [14, 45],
      [7, 52],
      [0.1, 61],
    ]);
    expect(await dryThenReal(t)).toEqual([`High risk score (61) for worker ${t.workerId}`]);
  });

  it('stale scores: a rising history whose latest score is older than the last cancellation assigns nothing', async () => {
    const t = await tenant();
    await history(t, [
      [21, 40],
      [14, 45],
      [7, 50],
      [1, 55],
    ]);
    const [first] = (await ok(t.officer.request(AutoAssignTrainingDocument, { dryRun: false }))).autoAssignTraining
      .assignments;
    expect(first?.assignmentReason).toMatch(/^Rising score: 55,/);
    await ok(t.officer.request(CancelTrainingAssignmentDocument, { assignmentId: first!.id, reason: 'Not needed' }));
    expect(await dryThenReal(t)).toEqual([]);
    // A newer score, still rising, may assign it again.
    await history(t, [[0, 57]]);
    expect(await dryThenReal(t)).toEqual([expect.stringMatching(/^Rising score: 57,/)]);
  });

  it('Training Analytics counts trend assignments apart from threshold ones', async () => {
    const t = await tenant();
    await history(t, [
      [21, 40],
      [14, 45],
      [7, 50],
      [0.1, 55],
    ]);
    const other = uuid();
    await server.owner.insert('profiles', { id: other, tenant_id: t.tenantId, role: 'worker' });
    await server.owner.insert('predictive_scores', {
      tenant_id: t.tenantId,
      entity_type: 'worker',
      entity_id: other,
      score: 75,
      computed_at: new Date(),
    });
    await dryThenReal(t);
    const figures = await ok(t.officer.request('{ trainingAnalytics { riskTriggers { threshold trend } } }'));
    expect(figures).toEqual({ trainingAnalytics: { riskTriggers: { threshold: 1, trend: 1 } } });
  });

  it('a zone’s rising scores reach the workers with a shift there, like a zone over the threshold', async () => {
    const officer = await server.actor('safety_officer');
    const workerId = uuid();
    const zoneId = uuid();
    await server.owner.insert('profiles', { id: workerId, tenant_id: officer.tenantId, role: 'worker' });
    await server.owner.insert('profiles', { id: officer.userId, tenant_id: officer.tenantId, role: 'safety_officer' });
    await server.owner.insert('shift_assignments', {
      tenant_id: officer.tenantId,
      zone_id: zoneId,
      user_id: workerId,
      starts_at: new Date(Date.now() - DAY_MS),
      ends_at: new Date(Date.now() + DAY_MS),
    });
    const input = {
      title: 'Confined spaces',
      category: 'RISK_MANAGEMENT' as const,
      riskThreshold: THRESHOLD,
      entityType: 'ZONE' as const,
      autoAssignEnabled: true,
    };
    const courseId = (await ok(officer.request(CreateTrainingCourseDocument, { input }))).createTrainingCourse.id;
    await ok(officer.request(SetCourseLeadDaysDocument, { id: courseId, leadDays: LEAD_DAYS }));
    for (const [daysAgo, score] of [
      [21, 42],
      [14, 47],
      [7, 52],
      [0.1, 56],
    ]) {
      await server.owner.insert('predictive_scores', {
        tenant_id: officer.tenantId,
        entity_type: 'zone',
        entity_id: zoneId,
        score,
        computed_at: new Date(Date.now() - daysAgo! * DAY_MS),
      });
    }
    const result = (await ok(officer.request(AutoAssignTrainingDocument, { dryRun: false }))).autoAssignTraining;
    expect(result.assignments.map((a) => [a.user?.id, a.trigger?.entityType, a.trigger?.entityId])).toEqual([
      [workerId, 'ZONE', zoneId],
    ]);
    expect(result.assignments[0]?.assignmentReason).toMatch(/^Rising score: 56, \+0\.7 a day, reaches 60 around /);
  });

  it('leadDays is validated (1–365), and nothing is written when it is refused', async () => {
    const t = await tenant();
    for (const leadDays of [0, 366, -3]) {
      const response = await t.officer.request(SetCourseLeadDaysDocument, { id: t.courseId, leadDays });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions?.field).toBe('input.leadDays');
    }
    const [row] = await server.owner.query<{ lead_days: number }>(
      'SELECT lead_days FROM training_courses WHERE id = $1',
      [t.courseId],
    );
    expect(row?.lead_days).toBe(LEAD_DAYS);
  });
});
