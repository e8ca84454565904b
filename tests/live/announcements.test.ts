import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  AutoAssignTrainingDocument,
  AutoAssignTrainingSummaryDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  RecordShiftAssignmentsDocument,
  RevokeCertificateDocument,
  RunRecertificationDocument,
  SetEquipmentOperatorsDocument,
  StartTrainingAssignmentDocument,
  UpdateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { mintDemoTokens, seedDemoTenant } from '../../src/web/demo-data.js';
import { DEMO_TENANT_ID } from '../../src/web/demo-tenant.js';
import { listen, type Listener } from '../support/notifications.js';
import { dayFromToday, ok, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { uuid } from '../support/sql.js';
import { sleep } from '../support/wait.js';

/**
 * The API announces what live subscribers follow itself, in the writing transaction after its writes (no
 * trigger does: on a distributed database a trigger's NOTIFY fires on the shard, where nobody listens). Every
 * path that inserts assignments announces each new one exactly once, a rolled-back run (dryRun) announces
 * nothing, and every write that can change a qualification announces the users it concerns once.
 */

let server: TestServer;
let created: Listener;
let qualification: Listener;

beforeAll(async () => {
  server = await startTestServer();
  created = await listen(server.db, 'training_assignment_created');
  qualification = await listen(server.db, 'qualification_changed');
});
afterAll(async () => {
  await created.close();
  await qualification.close();
  await server.stop();
});
beforeEach(() => {
  created.clear();
  qualification.clear();
});

type Pair = [id: string, userId: string];
const pairs = (): Pair[] =>
  created.payloads.flatMap((payload) => (JSON.parse(payload) as { assignments: Pair[] }).assignments);
const sorted = (list: Pair[]) => [...list].sort(([a], [b]) => a.localeCompare(b));

/** Every pair announced once `ids` all were, after a moment for duplicates or strays to arrive. */
async function announcedOnce(ids: string[]): Promise<Pair[]> {
  await created.waitFor(() => ids.every((id) => pairs().some(([announced]) => announced === id)), 15_000);
  await sleep(300);
  return sorted(pairs());
}

/** The qualification payloads once `count` arrived, after a moment for duplicates or strays. */
async function qualificationPayloads(count = 1): Promise<unknown[]> {
  await qualification.waitFor((payloads) => payloads.length >= count);
  await sleep(300);
  return qualification.payloads.map((payload) => JSON.parse(payload) as unknown);
}

/** A fresh tenant's admin, `count` workers with profiles, and a course (owner's rows). */
async function tenant(count: number, course: Record<string, unknown> = {}) {
  const admin = await server.actor('admin');
  const workers = Array.from({ length: count }, () => uuid());
  for (const id of workers) await server.owner.insert('profiles', { id, tenant_id: admin.tenantId, role: 'worker' });
  const row = await server.owner.insert('training_courses', {
    tenant_id: admin.tenantId,
    title: 'Hot work',
    category: 'compliance',
    created_by: admin.userId,
    ...course,
  });
  return { admin, workers, courseId: row.id as string };
}

describe('new assignments are announced once by every path that inserts them', () => {
  it('assignTrainingCourse', async () => {
    const { admin, workers, courseId } = await tenant(1);

    const { assignTrainingCourse } = await ok(
      admin.request(AssignTrainingCourseDocument, { input: { courseId, userId: workers[0]! } }),
    );

    expect(await announcedOnce([assignTrainingCourse.id])).toEqual([[assignTrainingCourse.id, workers[0]]]);
  });

  it('auto-assignment; its dry run announces nothing', async () => {
    const { admin, workers } = await tenant(3, {
      auto_assign_enabled: true,
      risk_threshold: 50,
      entity_type: 'worker',
    });
    for (const worker of workers) {
      await server.owner.insert('predictive_scores', {
        tenant_id: admin.tenantId,
        entity_type: 'worker',
        entity_id: worker,
        score: 80,
      });
    }

    const preview = await ok(admin.request(AutoAssignTrainingSummaryDocument, { dryRun: true }));
    expect(preview.autoAssignTraining.assignmentsCreated).toBe(3);
    const { autoAssignTraining } = await ok(admin.request(AutoAssignTrainingDocument, {}));

    const expected = autoAssignTraining.assignments.map((row): Pair => [row.id, row.user.id]);
    expect(expected).toHaveLength(3);
    expect(await announcedOnce(expected.map(([id]) => id))).toEqual(sorted(expected));
  });

  it('recertification; its dry run announces nothing', async () => {
    const { admin, workers, courseId } = await tenant(2, { expiry_months: 12, recertify_days_before: 30 });
    for (const worker of workers) {
      const assignment = await server.owner.insert('training_assignments', {
        tenant_id: admin.tenantId,
        course_id: courseId,
        user_id: worker,
        status: 'completed',
        completed_at: new Date(),
      });
      await server.owner.insert('training_completions', {
        tenant_id: admin.tenantId,
        assignment_id: assignment.id,
        course_id: courseId,
        user_id: worker,
        passed: true,
        score: 90,
        expires_at: dayFromToday(10),
      });
    }

    const preview = await ok(admin.request(RunRecertificationDocument, { dryRun: true }));
    expect(preview.runRecertification.assignmentsCreated).toBe(2);
    const { runRecertification } = await ok(admin.request(RunRecertificationDocument, {}));

    const expected = runRecertification.assignments.map((row): Pair => [row.id, row.user.id]);
    expect(expected).toHaveLength(2);
    expect(await announcedOnce(expected.map(([id]) => id))).toEqual(sorted(expected));
  });

  it('the demo seed, through the API and its own insert of overdue assignments', async () => {
    await seedDemoTenant({ url: server.url, db: server.db }, await mintDemoTokens(TEST_JWT_SECRET, '1h'));

    const rows = await server.owner.query<{ id: string; user_id: string }>(
      `SELECT id::text, user_id::text FROM training_assignments WHERE tenant_id = $1`,
      [DEMO_TENANT_ID],
    );
    const expected = rows.map((row): Pair => [row.id, row.user_id]);
    expect(await announcedOnce(expected.map(([id]) => id))).toEqual(sorted(expected));
  }, 300_000);
});

describe('a change of qualification is announced once by the write that makes it', () => {
  let admin: Actor;
  let worker: Actor;
  let courseId: string;
  const ofWorker = () => ({ tenantId: admin.tenantId, users: [worker.userId] });

  beforeAll(async () => {
    ({ admin, courseId } = await tenant(0, { issues_certificate: true }));
    worker = await server.actor('worker', { tenantId: admin.tenantId });
    await ok(worker.request('{ me { id } }'));
  });

  it('a completion, and the revocation of its certificate', async () => {
    const { assignTrainingCourse } = await ok(
      admin.request(AssignTrainingCourseDocument, { input: { courseId, userId: worker.userId } }),
    );
    await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId: assignTrainingCourse.id }));
    qualification.clear();
    await ok(
      worker.request(CompleteTrainingAssignmentDocument, {
        input: { assignmentId: assignTrainingCourse.id, score: 90, passed: true, completionTimeMinutes: 20 },
      }),
    );
    expect(await qualificationPayloads()).toEqual([ofWorker()]);

    const [certificate] = await server.owner.query<{ code: string }>(
      `SELECT code FROM certificates WHERE tenant_id = $1 AND user_id = $2`,
      [admin.tenantId, worker.userId],
    );
    qualification.clear();
    await ok(admin.request(RevokeCertificateDocument, { code: certificate!.code, reason: 'Issued in error' }));
    expect(await qualificationPayloads()).toEqual([ofWorker()]);
  });

  it('a cancellation', async () => {
    const other = await server.owner.insert('training_courses', {
      tenant_id: admin.tenantId,
      title: 'Ladders',
      category: 'other',
      created_by: admin.userId,
    });
    const { assignTrainingCourse } = await ok(
      admin.request(AssignTrainingCourseDocument, { input: { courseId: other.id as string, userId: worker.userId } }),
    );
    qualification.clear();
    await ok(admin.request(CancelTrainingAssignmentDocument, { assignmentId: assignTrainingCourse.id }));
    expect(await qualificationPayloads()).toEqual([ofWorker()]);
  });

  it('a shift, and an operator added (not one kept)', async () => {
    const zoneId = uuid();
    const equipmentId = uuid();
    const startsAt = new Date().toISOString();
    const shift = { zoneId, userId: worker.userId, startsAt, endsAt: new Date(Date.now() + 3_600_000).toISOString() };
    await ok(admin.request(RecordShiftAssignmentsDocument, { shifts: [shift] }));
    expect(await qualificationPayloads()).toEqual([ofWorker()]);

    const operators = { equipment: [{ equipmentId, userIds: [worker.userId] }] };
    qualification.clear();
    await ok(admin.request(SetEquipmentOperatorsDocument, operators));
    expect(await qualificationPayloads()).toEqual([ofWorker()]);

    qualification.clear();
    await ok(admin.request(SetEquipmentOperatorsDocument, operators));
    await sleep(300);
    expect(qualification.payloads).toEqual([]);
  });

  it('a required course created or made optional concerns the whole tenant; an optional one nobody', async () => {
    const everyone = { tenantId: admin.tenantId, all: true };
    const input = { title: 'Site induction', category: 'COMPLIANCE' as const };
    const optional = await ok(admin.request(CreateTrainingCourseDocument, { input }));
    const { createTrainingCourse } = await ok(
      admin.request(CreateTrainingCourseDocument, { input: { ...input, required: true } }),
    );
    expect(await qualificationPayloads()).toEqual([everyone]);

    qualification.clear();
    await ok(
      admin.request(UpdateTrainingCourseDocument, { id: optional.createTrainingCourse.id, input: { title: 'B' } }),
    );
    await ok(admin.request(UpdateTrainingCourseDocument, { id: createTrainingCourse.id, input: { required: false } }));
    expect(await qualificationPayloads()).toEqual([everyone]);
  });
});
