import { afterAll, beforeAll, expect } from 'vitest';
import {
  AutoAssignTrainingDocument,
  CancelTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  SetCourseRiskLoopDocument,
} from '../../src/generated/operations/graphql.js';
import { uuid } from '../support/sql.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { type LiveClient } from '../support/ws.js';

/**
 * Shared by the risk-loop-*.test.ts files, which test closing the risk loop: the stale-score rule and the
 * hysteresis of auto-assignment, effectiveness, escalation, and who is qualified now (query and subscription).
 * Each block seeds its own tenant.
 */

export let server: TestServer;
export const clients: LiveClient[] = [];

/** Starts the file's server, closing it and the file's subscription `clients` at the end; call once per test file. */
export function useRiskLoopServer(): void {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await server.stop();
  });
}

export const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
export const daysAgo = (days: number) => hoursAgo(days * 24);

/** A tenant with an officer, an integration and a worker; `course` is an auto-assign WORKER course. */
export async function tenant(course: { threshold: number; rearmMargin?: number; escalateAfterDays?: number }) {
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
export async function score(t: { tenantId: string; workerId: string }, value: number, computedAt: Date) {
  await server.owner.insert('predictive_scores', {
    tenant_id: t.tenantId,
    entity_type: 'worker',
    entity_id: t.workerId,
    score: value,
    computed_at: computedAt,
  });
}

export async function autoAssign(actor: Actor, dryRun = false) {
  const data = await ok(actor.request(AutoAssignTrainingDocument, { dryRun }));
  return data.autoAssignTraining;
}

/** A dry run and then a real run, which must agree; returns the trigger scores of what was created. */
export async function dryThenReal(actor: Actor): Promise<number[]> {
  const dry = await autoAssign(actor, true);
  const real = await autoAssign(actor);
  expect(dry.assignmentsCreated).toBe(real.assignmentsCreated);
  expect(dry.assignments.map((a) => a.trigger?.score)).toEqual(real.assignments.map((a) => a.trigger?.score));
  return real.assignments.map((a) => a.trigger!.score);
}

export async function cancelActive(t: { officer: Actor; tenantId: string; courseId: string }) {
  const [active] = await server.owner.query<{ id: string }>(
    `SELECT id FROM training_assignments WHERE tenant_id = $1 AND course_id = $2 AND status = 'assigned'`,
    [t.tenantId, t.courseId],
  );
  await ok(t.officer.request(CancelTrainingAssignmentDocument, { assignmentId: active!.id, reason: 'not needed' }));
}
