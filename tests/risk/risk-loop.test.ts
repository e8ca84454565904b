import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoAssignTrainingDocument,
  CancelTrainingAssignmentDocument,
  CourseEffectivenessDocument,
  CreateTrainingCourseDocument,
  MyNotificationsDocument,
  QualificationChangedDocument,
  QualificationsDocument,
  RecordPredictiveScoresDocument,
  RevokeCertificateDocument,
  RiskEscalationsDocument,
  SetCourseRiskLoopDocument,
  type QualificationFieldsFragment,
} from '../../src/generated/operations/graphql.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { eventually } from '../support/wait.js';
import { uuid } from '../support/sql.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, subscribe, type LiveClient } from '../support/ws.js';
import { jobNamed, jobRunner } from '../support/jobs.js';

/**
 * Closing the risk loop: the stale-score rule and the hysteresis of
 * auto-assignment, effectiveness, escalation, and who is qualified now (query
 * and subscription). Each block seeds its own tenant.
 */

let server: TestServer;
const clients: LiveClient[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server.stop();
});

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
const daysAgo = (days: number) => hoursAgo(days * 24);

/** A tenant with an officer, an integration and a worker; `course` is an auto-assign WORKER course. */
async function tenant(course: { threshold: number; rearmMargin?: number; escalateAfterDays?: number }) {
  const officer = await server.actor('safety_officer');
  const service = await server.actor('service', { tenantId: officer.tenantId });
  const admin = await server.actor('admin', { tenantId: officer.tenantId });
  const workerId = uuid();
  await server.owner.insert('profiles', { id: workerId, tenant_id: officer.tenantId, role: 'worker' });
  await server.owner.insert('profiles', { id: officer.userId, tenant_id: officer.tenantId, role: 'safety_officer' });
  const created = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: {
        title: 'Fatigue management',
        category: 'RISK_MANAGEMENT',
        riskThreshold: course.threshold,
        entityType: 'WORKER',
        autoAssignEnabled: true,
      },
    }),
  );
  const courseId = created.createTrainingCourse.id;
  if (course.rearmMargin !== undefined || course.escalateAfterDays !== undefined) {
    await ok(
      officer.request(SetCourseRiskLoopDocument, {
        id: courseId,
        rearmMargin: course.rearmMargin ?? null,
        escalateAfterDays: course.escalateAfterDays ?? null,
      }),
    );
  }
  return { officer, service, admin, workerId, courseId, tenantId: officer.tenantId };
}

/** Scores computed at the given times (oldest first is how a scoring system sends them). */
async function score(t: { tenantId: string; workerId: string }, value: number, computedAt: Date) {
  await server.owner.insert('predictive_scores', {
    tenant_id: t.tenantId,
    entity_type: 'worker',
    entity_id: t.workerId,
    score: value,
    computed_at: computedAt,
  });
}

async function autoAssign(actor: Actor, dryRun = false) {
  const data = await ok(actor.request(AutoAssignTrainingDocument, { dryRun }));
  return data.autoAssignTraining;
}

/** A dry run and then a real run, which must agree; returns the trigger scores of what was created. */
async function dryThenReal(actor: Actor): Promise<number[]> {
  const dry = await autoAssign(actor, true);
  const real = await autoAssign(actor);
  expect(dry.assignmentsCreated).toBe(real.assignmentsCreated);
  expect(dry.assignments.map((a) => a.trigger?.score)).toEqual(real.assignments.map((a) => a.trigger?.score));
  return real.assignments.map((a) => a.trigger!.score);
}

async function cancelActive(t: { officer: Actor; tenantId: string; courseId: string }) {
  const [active] = await server.owner.query<{ id: string }>(
    `SELECT id FROM training_assignments WHERE tenant_id = $1 AND course_id = $2 AND status = 'assigned'`,
    [t.tenantId, t.courseId],
  );
  await ok(t.officer.request(CancelTrainingAssignmentDocument, { assignmentId: active!.id, reason: 'not needed' }));
}

describe('no re-trigger from stale scores', () => {
  it('a cancellation followed by the same old score assigns nothing; a newer score assigns again', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 80, hoursAgo(2));
    expect(await dryThenReal(t.officer)).toEqual([80]);
    await cancelActive(t);

    expect(await dryThenReal(t.officer)).toEqual([]);
    expect(await dryThenReal(t.service)).toEqual([]);

    // The ingest path runs the same statement: a newer score re-assigns, and says so in its trigger.
    await ok(
      t.service.request(RecordPredictiveScoresDocument, {
        scores: [{ entityType: 'WORKER', entityId: t.workerId, score: 77 }],
        autoAssign: true,
      }),
    );
    const rows = await server.owner.query<{ status: string; trigger_score: string }>(
      `SELECT status, trigger_score::text FROM training_assignments WHERE tenant_id = $1 ORDER BY created_at`,
      [t.tenantId],
    );
    expect(rows).toEqual([
      { status: 'cancelled', trigger_score: '80' },
      { status: 'assigned', trigger_score: '77' },
    ]);
  });

  it('a score sent late, computed before the cancellation, does not re-assign either', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 80, hoursAgo(5));
    await autoAssign(t.officer);
    await cancelActive(t);
    await score(t, 95, hoursAgo(1)); // newest score, but computed before the cancellation
    expect(await dryThenReal(t.officer)).toEqual([]);
  });
});

describe('hysteresis (rearmMargin)', () => {
  it('a score hovering around the threshold assigns once until it falls below threshold − rearmMargin', async () => {
    const t = await tenant({ threshold: 70, rearmMargin: 10 });
    await score(t, 72, hoursAgo(10));
    expect(await dryThenReal(t.officer)).toEqual([72]);
    await cancelActive(t);

    // Hovering: 69, 71, 65, 74 — never below 60.
    for (const value of [69, 71, 65, 74]) {
      await score(t, value, new Date());
      expect(await dryThenReal(t.officer)).toEqual([]);
    }
    // Below 60, still under the threshold: nothing yet.
    await score(t, 59, new Date());
    expect(await dryThenReal(t.officer)).toEqual([]);
    // Then at or above the threshold again: assigned, once.
    await score(t, 70, new Date(Date.now() + 1_000));
    expect(await dryThenReal(t.officer)).toEqual([70]);
    expect(await dryThenReal(t.officer)).toEqual([]);
  });

  it('without rearmMargin, a newer score at the threshold assigns again after a cancellation', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 72, hoursAgo(10));
    await autoAssign(t.officer);
    await cancelActive(t);
    await score(t, 71, new Date());
    expect(await dryThenReal(t.officer)).toEqual([71]);
  });

  it('rearmMargin is validated (0–100) and another tenant cannot set it', async () => {
    const t = await tenant({ threshold: 70 });
    const bad = await t.officer.request(SetCourseRiskLoopDocument, { id: t.courseId, rearmMargin: 101 });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('input.rearmMargin');
    const stranger = await server.actor('admin');
    expect(errorCode(await stranger.request(SetCourseRiskLoopDocument, { id: t.courseId, rearmMargin: 5 }))).toBe(
      'NOT_FOUND',
    );
    const [row] = await server.owner.query<{ rearm_margin: string | null }>(
      'SELECT rearm_margin FROM training_courses WHERE id = $1',
      [t.courseId],
    );
    expect(row!.rearm_margin).toBeNull();
  });
});

/** A completed risk-based assignment of `courseId` for a worker triggered by `before`, passed `completedDaysAgo`. */
async function trained(
  t: { tenantId: string; courseId: string },
  before: number,
  completedDaysAgo: number,
  userId = uuid(),
): Promise<{ userId: string; assignmentId: string; completionId: string }> {
  await server.owner.query(
    `INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'worker') ON CONFLICT DO NOTHING`,
    [userId, t.tenantId],
  );
  const completedAt = daysAgo(completedDaysAgo);
  const assignment = await server.owner.insert('training_assignments', {
    tenant_id: t.tenantId,
    course_id: t.courseId,
    user_id: userId,
    assignment_type: 'risk_based',
    status: 'completed',
    completed_at: completedAt,
    trigger_score: before,
    trigger_threshold: 60,
    trigger_entity_type: 'worker',
    trigger_entity_id: userId,
  });
  const completion = await server.owner.insert('training_completions', {
    tenant_id: t.tenantId,
    assignment_id: assignment.id,
    course_id: t.courseId,
    user_id: userId,
    passed: true,
    score: 90,
    completed_at: completedAt,
  });
  await score({ tenantId: t.tenantId, workerId: userId }, before, daysAgo(completedDaysAgo + 3));
  return { userId, assignmentId: assignment.id as string, completionId: completion.id as string };
}

describe('effectiveness', () => {
  it('compares trigger scores with the latest score 7–90 days after the passed completion', async () => {
    const t = await tenant({ threshold: 60 });
    const a = await trained(t, 80, 40);
    await score({ tenantId: t.tenantId, workerId: a.userId }, 50, daysAgo(30)); // +10 days
    await score({ tenantId: t.tenantId, workerId: a.userId }, 40, daysAgo(20)); // +20 days: the after-score
    const b = await trained(t, 90, 40);
    await score({ tenantId: t.tenantId, workerId: b.userId }, 100, daysAgo(37)); // +3 days: too early
    await score({ tenantId: t.tenantId, workerId: b.userId }, 60, daysAgo(10)); // +30 days: the after-score
    const c = await trained(t, 70, 40);
    await score({ tenantId: t.tenantId, workerId: c.userId }, 20, daysAgo(36)); // +4 days only: not counted
    const d = await trained(t, 99, 200);
    await score({ tenantId: t.tenantId, workerId: d.userId }, 10, daysAgo(5)); // +195 days: too late

    const data = await ok(t.officer.request(CourseEffectivenessDocument, {}));
    const row = data.trainingAnalytics.byCourse.find((course) => course.course.id === t.courseId)!;
    expect(row.effectiveness).toEqual({ trainedEntities: 2, meanScoreBefore: 85, meanScoreAfter: 50, meanChange: -35 });

    // Another tenant sees nothing of it; a worker's own progress has no effectiveness.
    const stranger = await server.actor('admin');
    const theirs = await ok(stranger.request(CourseEffectivenessDocument, {}));
    expect(theirs.trainingAnalytics.byCourse).toEqual([]);
    const worker = await server.actor('worker', { tenantId: t.tenantId, userId: a.userId });
    const own = await ok(worker.request(CourseEffectivenessDocument, {}));
    expect(own.trainingAnalytics.byCourse.map((course) => course.effectiveness)).toEqual([null]);
  });

  it('a course without trained entities reports zero and no means', async () => {
    const t = await tenant({ threshold: 60 });
    const data = await ok(t.officer.request(CourseEffectivenessDocument, {}));
    expect(data.trainingAnalytics.byCourse[0]!.effectiveness).toEqual({
      trainedEntities: 0,
      meanScoreBefore: null,
      meanScoreAfter: null,
      meanChange: null,
    });
  });
});

describe('escalation (escalateAfterDays)', () => {
  const runner = () => jobRunner(server.db.prisma);

  it('records one escalation per completion whose entity still scores high, across repeated runs', async () => {
    const t = await tenant({ threshold: 60, escalateAfterDays: 14 });
    const high = await trained(t, 80, 20);
    await score({ tenantId: t.tenantId, workerId: high.userId }, 75, daysAgo(2)); // still ≥ 60
    const lowered = await trained(t, 85, 20);
    await score({ tenantId: t.tenantId, workerId: lowered.userId }, 40, daysAgo(2));
    const recent = await trained(t, 90, 5); // not 14 days yet

    const slot = new Date('2026-12-02T10:15:00Z');
    const first = await runScheduledJob(runner(), jobNamed('risk_escalation'), slot);
    expect(first.affected).toBe(1);
    // The same slot again (another instance), then later slots: nothing new.
    expect((await runScheduledJob(runner(), jobNamed('risk_escalation'), slot)).affected).toBe(0);
    expect(
      (await runScheduledJob(runner(), jobNamed('risk_escalation'), new Date('2026-12-02T11:15:00Z'))).affected,
    ).toBe(0);

    const data = await ok(t.officer.request(RiskEscalationsDocument, { first: 10 }));
    expect(data.riskEscalations.totalCount).toBe(1);
    expect(data.riskEscalations.nodes[0]).toMatchObject({
      course: { id: t.courseId },
      user: { id: high.userId },
      completion: { id: high.completionId },
      entityType: 'WORKER',
      entityId: high.userId,
      scoreBefore: 80,
      scoreNow: 75,
      threshold: 60,
    });
    expect(recent.userId).not.toBe(high.userId);
    const rows = await server.owner.count('risk_escalations', 'tenant_id = $1', [t.tenantId]);
    expect(rows).toBe(1);

    // The tenant's safety officer is told once (RISK_NOT_REDUCED), about the completed assignment.
    const told = await ok(t.officer.request(MyNotificationsDocument, {}));
    expect(told.myNotifications.nodes.map((n) => [n.kind, n.assignment?.id])).toEqual([
      ['RISK_NOT_REDUCED', high.assignmentId],
    ]);
  });

  it('is for admins, safety officers and integrations of the tenant only', async () => {
    const t = await tenant({ threshold: 60, escalateAfterDays: 1 });
    const high = await trained(t, 80, 3);
    await runScheduledJob(runner(), jobNamed('risk_escalation'), new Date('2026-12-02T12:15:00Z'));
    for (const actor of [t.admin, t.service]) {
      expect((await ok(actor.request(RiskEscalationsDocument, {}))).riskEscalations.totalCount).toBe(1);
    }
    const worker = await server.actor('worker', { tenantId: t.tenantId, userId: high.userId });
    expect(errorCode(await worker.request(RiskEscalationsDocument, {}))).toBe('FORBIDDEN');
    const stranger = await server.actor('admin');
    expect((await ok(stranger.request(RiskEscalationsDocument, {}))).riskEscalations.totalCount).toBe(0);
  });
});

describe('risk_escalations under RLS', () => {
  it("no role of one tenant reads, writes or deletes another tenant's escalations, whatever the SQL", async () => {
    const t = await tenant({ threshold: 60, escalateAfterDays: 1 });
    const victim = await trained(t, 80, 3);
    await runScheduledJob(jobRunner(server.db.prisma), jobNamed('risk_escalation'), new Date('2026-12-02T13:15:00Z'));
    const [row] = await server.owner.query<{ id: string }>('SELECT id FROM risk_escalations WHERE tenant_id = $1', [
      t.tenantId,
    ]);
    expect(row).toBeDefined();
    const other = uuid();
    for (const role of ['admin', 'safety_officer', 'service', 'worker'] as const) {
      const seen = await runAsCaller(
        server.db.prisma,
        { tenantId: other, userId: victim.userId, role },
        async (tx) => ({
          read: (await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM risk_escalations`)[0]!.n,
          deleted: await tx.$executeRaw`DELETE FROM risk_escalations WHERE id = ${row!.id}::uuid`,
        }),
      );
      expect(seen).toEqual({ read: 0, deleted: 0 });
      const insert = runAsCaller(
        server.db.prisma,
        { tenantId: other, userId: victim.userId, role },
        (tx) =>
          tx.$executeRaw`
          INSERT INTO risk_escalations (tenant_id, completion_id, assignment_id, course_id, user_id, entity_type,
                                        entity_id, score_before, score_now, threshold, completed_at)
          SELECT tenant_id, completion_id, assignment_id, course_id, user_id, entity_type, entity_id,
                 score_before, score_now, threshold, completed_at
          FROM json_populate_record(NULL::risk_escalations, ${JSON.stringify({
            tenant_id: t.tenantId,
            completion_id: victim.completionId,
            assignment_id: uuid(),
            course_id: t.courseId,
            user_id: victim.userId,
            entity_type: 'worker',
            entity_id: victim.userId,
            score_before: 1,
            score_now: 1,
            threshold: 1,
            completed_at: new Date().toISOString(),
          })}::json)`,
      );
      await expect(insert).rejects.toThrow();
    }
    // A worker of the same tenant does not read them either.
    const worker = await runAsCaller(
      server.db.prisma,
      { tenantId: t.tenantId, userId: victim.userId, role: 'worker' },
      (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM risk_escalations`,
    );
    expect(worker[0]!.n).toBe(0);
    expect(await server.owner.count('risk_escalations', 'tenant_id = $1', [t.tenantId])).toBe(1);
  });
});

/** A zone and a piece of equipment with their people and the tenant's required courses. */
async function site() {
  const officer = await server.actor('safety_officer');
  const tenantId = officer.tenantId;
  const zone = uuid();
  const equipment = uuid();
  // Ids in name order: a change that concerns several users delivers them in id order.
  const [u1, u2, u3, u4] = [uuid(), uuid(), uuid(), uuid()].sort() as [string, string, string, string];
  const people = { u1, u2, u3, u4 };
  for (const [name, id] of Object.entries(people)) {
    await server.owner.insert('profiles', { id, tenant_id: tenantId, role: 'worker', display_name: name });
  }
  const shift = (userId: string, endedDaysAgo: number, zoneId = zone) =>
    server.owner.insert('shift_assignments', {
      tenant_id: tenantId,
      zone_id: zoneId,
      user_id: userId,
      starts_at: daysAgo(endedDaysAgo + 1),
      ends_at: daysAgo(endedDaysAgo),
    });
  await shift(people.u1, 2);
  await shift(people.u2, -3); // a future shift
  await shift(people.u3, 40); // too long ago
  for (const userId of [people.u2, people.u4]) {
    await server.owner.insert('equipment_operators', { tenant_id: tenantId, equipment_id: equipment, user_id: userId });
  }
  const course = async (title: string, entityType: string, required: boolean) =>
    (
      await server.owner.insert('training_courses', {
        tenant_id: tenantId,
        title,
        category: 'compliance',
        created_by: officer.userId,
        entity_type: entityType,
        required,
      })
    ).id as string;
  const courses = {
    zone: await course('Zone induction', 'zone', true),
    general: await course('Site safety', 'general', true),
    equipment: await course('Crane licence', 'equipment', true),
    optional: await course('Zone extras', 'zone', false),
  };
  const complete = async (userId: string, courseId: string, passed: boolean, expiresAt: string | null) => {
    const assignment = await server.owner.insert('training_assignments', {
      tenant_id: tenantId,
      course_id: courseId,
      user_id: userId,
      status: passed ? 'completed' : 'assigned',
      completed_at: passed ? new Date() : null,
    });
    return (
      await server.owner.insert('training_completions', {
        tenant_id: tenantId,
        assignment_id: assignment.id,
        course_id: courseId,
        user_id: userId,
        passed,
        score: passed ? 90 : 20,
        expires_at: expiresAt,
      })
    ).id as string;
  };
  return { officer, tenantId, zone, equipment, people, courses, shift, complete };
}

const summary = (q: QualificationFieldsFragment) => ({
  user: q.user.displayName,
  qualified: q.qualified,
  missing: q.missingCourses.map((course) => course.title).sort(),
  expiresAt: q.expiresAt ?? null,
});

describe('who is qualified now', () => {
  it('lists a zone’s and a piece of equipment’s users with their missing required courses and earliest expiry', async () => {
    const s = await site();
    await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(30));
    await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(10)); // the later expiry qualifies
    await s.complete(s.people.u1, s.courses.general, true, null);
    await s.complete(s.people.u2, s.courses.zone, true, dayFromToday(-1)); // expired yesterday
    await s.complete(s.people.u2, s.courses.general, false, null); // failed
    await s.complete(s.people.u4, s.courses.equipment, true, dayFromToday(10));
    await s.complete(s.people.u4, s.courses.general, true, dayFromToday(0)); // expires today: still current

    const zone = await ok(s.officer.request(QualificationsDocument, { zoneId: s.zone }));
    expect(zone.qualifications.map(summary).sort((a, b) => a.user!.localeCompare(b.user!))).toEqual([
      { user: 'u1', qualified: true, missing: [], expiresAt: dayFromToday(30) },
      { user: 'u2', qualified: false, missing: ['Site safety', 'Zone induction'], expiresAt: null },
    ]);
    const machine = await ok(s.officer.request(QualificationsDocument, { equipmentId: s.equipment }));
    expect(machine.qualifications.map(summary).sort((a, b) => a.user!.localeCompare(b.user!))).toEqual([
      { user: 'u2', qualified: false, missing: ['Crane licence', 'Site safety'], expiresAt: null },
      { user: 'u4', qualified: true, missing: [], expiresAt: dayFromToday(0) },
    ]);
  });

  it('takes exactly one of zoneId and equipmentId, and is for admins, safety officers and integrations', async () => {
    const s = await site();
    for (const variables of [{}, { zoneId: s.zone, equipmentId: s.equipment }]) {
      expect(errorCode(await s.officer.request(QualificationsDocument, variables))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await s.officer.request(QualificationsDocument, { zoneId: 'nope' }))).toBe('BAD_USER_INPUT');
    const worker = await server.actor('worker', { tenantId: s.tenantId, userId: s.people.u1 });
    expect(errorCode(await worker.request(QualificationsDocument, { zoneId: s.zone }))).toBe('FORBIDDEN');
    const service = await server.actor('service', { tenantId: s.tenantId });
    expect((await ok(service.request(QualificationsDocument, { zoneId: s.zone }))).qualifications).toHaveLength(2);
    const stranger = await server.actor('admin');
    expect((await ok(stranger.request(QualificationsDocument, { zoneId: s.zone }))).qualifications).toEqual([]);
  });

  it('a subscriber receives exactly the qualification changes of its zone, in order, including an expiry', async () => {
    const s = await site();
    const zoneCompletion = await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(0));
    await s.complete(s.people.u1, s.courses.general, true, null);

    const connect = (token: string) => {
      const client = liveClient(server.url, token);
      clients.push(client);
      return client;
    };
    // Other modules follow channels of their own: count this test's two subscriptions on top of them.
    const followersBefore = server.app.services.liveEvents.stats().followers;
    const feed = subscribe(connect(s.officer.token), QualificationChangedDocument, { zoneId: s.zone });
    const stranger = await server.actor('safety_officer');
    const theirs = subscribe(connect(stranger.token), QualificationChangedDocument, { zoneId: s.zone });
    await eventually(() => server.app.services.liveEvents.stats().followers === followersBefore + 2, 20_000);

    const expected = [
      { user: 'u2', qualified: false, missing: ['Site safety'], expiresAt: null },
      { user: 'u1', qualified: false, missing: ['Evacuation drill'], expiresAt: dayFromToday(0) },
      { user: 'u2', qualified: false, missing: ['Evacuation drill', 'Site safety'], expiresAt: null },
      { user: 'u4', qualified: false, missing: ['Evacuation drill', 'Zone induction'], expiresAt: null },
      { user: 'u1', qualified: false, missing: ['Evacuation drill', 'Zone induction'], expiresAt: null },
    ];
    // Each change waits for the one before to arrive: changes closer together than a subscriber's
    // reads may arrive merged into the latest state (README), which this test is not about.
    const arrived = (count: number) => feed.until((f) => f.results.length >= count);

    // 1. u2 passes the zone induction.
    await s.complete(s.people.u2, s.courses.zone, true, null);
    await arrived(1);
    // Not its zone: a completion by the equipment-only user, and another zone's new shift.
    await s.complete(s.people.u4, s.courses.general, true, null);
    await s.shift(s.people.u4, 1, uuid());
    // 2. A new required zone course (through the API): both are missing it.
    const created = await ok(
      s.officer.request(CreateTrainingCourseDocument, {
        input: { title: 'Evacuation drill', category: 'EMERGENCY_RESPONSE', entityType: 'ZONE', required: true },
      }),
    );
    await arrived(3);
    // 3. u4 starts working in the zone: a new user of it.
    await s.shift(s.people.u4, 0);
    await arrived(4);
    // 4. The change of day: u1's zone induction (last valid day today) has expired. Moved
    // without firing triggers, so only the scheduler's announcement can tell.
    await server.db.withConnection(async (c) => {
      await c.query(`SET session_replication_role = replica`);
      try {
        await c.query(`UPDATE training_completions SET expires_at = current_date - 1 WHERE id = $1`, [zoneCompletion]);
      } finally {
        await c.query(`SET session_replication_role = DEFAULT`);
      }
    });
    await runScheduledJob(
      jobRunner(server.db.prisma),
      jobNamed('qualification_expiry'),
      new Date('2026-12-03T00:00:00Z'),
    );
    await arrived(5);

    expect(feed.results.every((result) => !result.errors)).toBe(true);
    expect(feed.data.map((data) => summary(data.qualificationChanged))).toEqual(expected);
    expect(created.createTrainingCourse.id).toBeTruthy();
    // The other tenant's officer, subscribed to the same zone id, heard nothing.
    expect(theirs.results).toEqual([]);
    feed.unsubscribe();
    theirs.unsubscribe();
  });

  it('a revoked certificate no longer qualifies its holder, and the zone’s subscribers hear it', async () => {
    const s = await site();
    const completionId = await s.complete(s.people.u1, s.courses.zone, true, null);
    await s.complete(s.people.u1, s.courses.general, true, null);
    const code = `revocation-${uuid().replaceAll('-', '')}`;
    await server.owner.insert('certificates', {
      tenant_id: s.tenantId,
      completion_id: completionId,
      user_id: s.people.u1,
      course_id: s.courses.zone,
      code,
    });
    const u1 = async () =>
      (await ok(s.officer.request(QualificationsDocument, { zoneId: s.zone }))).qualifications
        .map(summary)
        .find((q) => q.user === 'u1');
    expect(await u1()).toEqual({ user: 'u1', qualified: true, missing: [], expiresAt: null });

    // Modules follow channels of their own (the LRS's revoked credentials): wait for one follower more.
    const followersBefore = server.app.services.liveEvents.stats().followers;
    const client = liveClient(server.url, s.officer.token);
    clients.push(client);
    const feed = subscribe(client, QualificationChangedDocument, { zoneId: s.zone });
    await eventually(() => server.app.services.liveEvents.stats().followers > followersBefore, 20_000);
    await ok(s.officer.request(RevokeCertificateDocument, { code, reason: 'Forged signature' }));

    const revoked = { user: 'u1', qualified: false, missing: ['Zone induction'], expiresAt: null };
    expect(await u1()).toEqual(revoked);
    await feed.until((f) => f.results.length >= 1);
    expect(feed.data.map((data) => summary(data.qualificationChanged))).toEqual([revoked]);
    feed.unsubscribe();
  });

  it('a worker cannot subscribe, and the arguments are checked', async () => {
    const s = await site();
    const worker = await server.actor('worker', { tenantId: s.tenantId, userId: s.people.u1 });
    const client = liveClient(server.url, worker.token);
    clients.push(client);
    const denied = subscribe(client, QualificationChangedDocument, { zoneId: s.zone });
    const both = subscribe(liveClient(server.url, s.officer.token), QualificationChangedDocument, {
      zoneId: s.zone,
      equipmentId: s.equipment,
    });
    await denied.until((sub) => sub.results.length > 0 || sub.error !== undefined);
    await both.until((sub) => sub.results.length > 0 || sub.error !== undefined);
    const code = (sub: typeof denied) =>
      (sub.results[0]?.errors?.[0]?.extensions as { code?: string } | undefined)?.code ?? JSON.stringify(sub.error);
    expect(code(denied)).toContain('FORBIDDEN');
    expect(code(both)).toContain('BAD_USER_INPUT');
  });
});
