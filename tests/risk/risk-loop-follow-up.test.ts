import { describe, expect, it } from 'vitest';
import {
  CourseEffectivenessDocument,
  MyNotificationsDocument,
  RiskEscalationsDocument,
} from '../../src/generated/operations/graphql.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { probeAsCaller, uuid } from '../support/sql.js';
import { asHarness } from '../support/statement-log.js';
import { errorCode, ok } from '../support/server.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { server, useRiskLoopServer, daysAgo, tenant, score } from './risk-loop-fixtures.js';

/** After the training: its effectiveness, escalation of entities that still score high, and their RLS. */

useRiskLoopServer();

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
      // The test's own SQL, which spans tenants on purpose: not the API's (the statement tenancy check).
      const seen = await probeAsCaller(
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
    const worker = await asHarness(() =>
      runAsCaller(
        server.db.prisma,
        { tenantId: t.tenantId, userId: victim.userId, role: 'worker' },
        (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM risk_escalations`,
      ),
    );
    expect(worker[0]!.n).toBe(0);
    expect(await server.owner.count('risk_escalations', 'tenant_id = $1', [t.tenantId])).toBe(1);
  });
});
