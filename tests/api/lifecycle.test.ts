import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  StartTrainingAssignmentDocument,
  SweepOverdueTrainingAssignmentsDocument,
  TrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, errorCode, startTestServer, type Actor, type TestServer } from '../support/server.js';

/** The assignment life cycle and completion, through the API as its users would call it. */

let server: TestServer;
let officer: Actor;
let worker: Actor;
let otherWorker: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Wanda Worker' });
  otherWorker = await server.actor('worker', { tenantId: officer.tenantId });
  // Profiles are created on first use: let both workers sign in once.
  await worker.request(MyTrainingAssignmentsDocument, {});
  await otherWorker.request(MyTrainingAssignmentsDocument, {});
});
afterAll(() => server.stop());

async function course(overrides: Record<string, unknown> = {}) {
  const response = await officer.request(CreateTrainingCourseDocument, {
    input: { title: `Course ${Math.random()}`, category: 'HAZARD_AWARENESS', ...overrides },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse;
}

async function assign(courseId: string, userId = worker.userId, dueDate: string | null = dayFromToday(14)) {
  const response = await officer.request(AssignTrainingCourseDocument, {
    input: { courseId, userId, dueDate, assignmentReason: 'New forklift on site' },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.assignTrainingCourse;
}

async function row(id: string) {
  const [result] = await server.db.withConnection((c) =>
    c.query<Record<string, unknown>>('SELECT * FROM training_assignments WHERE id = $1', [id]),
  );
  return result!;
}

const completionCount = async (assignmentId: string) =>
  Number(
    (
      await server.db.withConnection((c) =>
        c.query<{ n: string }>('SELECT count(*) AS n FROM training_completions WHERE assignment_id = $1', [
          assignmentId,
        ]),
      )
    )[0]!.n,
  );

describe('manual assignment', () => {
  it('assigns a course to a user with due date and reason, as MANUAL and ASSIGNED', async () => {
    const { id: courseId } = await course();
    const assignment = await assign(courseId);
    expect(assignment).toMatchObject({
      status: 'ASSIGNED',
      assignmentType: 'MANUAL',
      assignmentReason: 'New forklift on site',
      dueDate: dayFromToday(14),
      user: { id: worker.userId },
      assignedBy: { id: officer.userId },
      course: { id: courseId },
      completion: null,
      trigger: null,
    });
  });

  it('refuses a second active assignment of the same course with CONFLICT, writing nothing', async () => {
    const { id: courseId } = await course();
    await assign(courseId);
    const again = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: worker.userId, dueDate: dayFromToday(3) },
    });
    expect(errorCode(again)).toBe('CONFLICT');
    const rows = await server.db.withConnection((c) =>
      c.query('SELECT id FROM training_assignments WHERE course_id = $1', [courseId]),
    );
    expect(rows).toHaveLength(1);
  });

  it('refuses an unknown course or user with NOT_FOUND and a past due date with BAD_USER_INPUT', async () => {
    const { id: courseId } = await course();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const noCourse = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId: unknown, userId: worker.userId },
    });
    expect(errorCode(noCourse)).toBe('NOT_FOUND');
    const noUser = await officer.request(AssignTrainingCourseDocument, { input: { courseId, userId: unknown } });
    expect(errorCode(noUser)).toBe('NOT_FOUND');
    const past = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: worker.userId, dueDate: dayFromToday(-1) },
    });
    expect(errorCode(past)).toBe('BAD_USER_INPUT');
    expect(past.errors![0]!.extensions!.field).toBe('input.dueDate');
    const malformed = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId: 'not-a-uuid', userId: worker.userId },
    });
    expect(malformed.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.courseId' });
    const notADay = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: worker.userId, dueDate: '2030-02-30' },
    });
    expect(notADay.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.dueDate' });
    const rows = await server.db.withConnection((c) =>
      c.query('SELECT id FROM training_assignments WHERE course_id = $1', [courseId]),
    );
    expect(rows).toHaveLength(0);
  });
});

describe('start and complete', () => {
  it('moves assigned → in progress → completed, with a completion carrying expiry and certificate', async () => {
    const { id: courseId } = await course({ expiryMonths: 12, issuesCertificate: true });
    const { id } = await assign(courseId);

    const started = await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    expect(started.data?.startTrainingAssignment).toMatchObject({ status: 'IN_PROGRESS' });
    expect(started.data?.startTrainingAssignment.startedAt).toBeTruthy();

    const completed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 92.5, passed: true, completionTimeMinutes: 41 },
    });
    const assignment = completed.data!.completeTrainingAssignment;
    expect(assignment.status).toBe('COMPLETED');
    expect(assignment.completedAt).toBeTruthy();
    const completion = assignment.completion!;
    expect(completion).toMatchObject({ score: 92.5, passed: true, completionTimeMinutes: 41, expired: false });
    const completedOn = new Date(completion.completedAt!);
    const expected = new Date(
      Date.UTC(completedOn.getUTCFullYear() + 1, completedOn.getUTCMonth(), completedOn.getUTCDate()),
    );
    expect(completion.expiresAt).toBe(expected.toISOString().slice(0, 10));
    // The PDF of its certificate, under the server's public URL (certificates-issuing.test.ts reads it back).
    expect(completion.certificateUrl).toMatch(
      new RegExp(`^${server.app.services.config.publicUrl}/certificates/[A-Za-z0-9_-]{24}\\.pdf$`),
    );
  });

  it('gives no expiry and no certificate when the course sets neither', async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId);
    await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    const completed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 80, passed: true, completionTimeMinutes: 10 },
    });
    expect(completed.data!.completeTrainingAssignment.completion).toMatchObject({
      expiresAt: null,
      certificateUrl: null,
    });
  });

  it('leaves a failed attempt re-startable and records it', async () => {
    const { id: courseId } = await course({ issuesCertificate: true });
    const { id } = await assign(courseId);
    await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    const failed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 35, passed: false, completionTimeMinutes: 20 },
    });
    expect(failed.data!.completeTrainingAssignment).toMatchObject({
      status: 'ASSIGNED',
      startedAt: null,
      completedAt: null,
      completion: { passed: false, score: 35, certificateUrl: null, expiresAt: null },
    });
    const restarted = await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    expect(restarted.data!.startTrainingAssignment.status).toBe('IN_PROGRESS');
    const passed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 88, passed: true, completionTimeMinutes: 15 },
    });
    expect(passed.data!.completeTrainingAssignment).toMatchObject({ status: 'COMPLETED', completion: { score: 88 } });
    expect(await completionCount(id)).toBe(2);
  });

  it('refuses bad completion input with BAD_USER_INPUT naming the field, changing nothing', async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId);
    await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    const before = await row(id);
    for (const [input, field] of [
      [{ score: 101 }, 'input.score'],
      [{ score: -0.5 }, 'input.score'],
      [{ completionTimeMinutes: 0 }, 'input.completionTimeMinutes'],
      [{ completionTimeMinutes: -5 }, 'input.completionTimeMinutes'],
    ] as const) {
      const response = await worker.request(CompleteTrainingAssignmentDocument, {
        input: { assignmentId: id, passed: true, ...input },
      });
      expect(response.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await row(id)).toEqual(before);
    expect(await completionCount(id)).toBe(0);
  });
});

describe('illegal transitions are CONFLICT and change nothing', () => {
  let courseId: string;
  beforeEach(async () => {
    ({ id: courseId } = await course());
  });

  async function expectConflict(send: () => Promise<{ errors?: unknown[] }>, assignmentId: string) {
    const before = await row(assignmentId);
    const completions = await completionCount(assignmentId);
    const response = (await send()) as Parameters<typeof errorCode>[0];
    expect(errorCode(response)).toBe('CONFLICT');
    expect(await row(assignmentId)).toEqual(before);
    expect(await completionCount(assignmentId)).toBe(completions);
  }

  const start = (id: string) => () => worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
  const complete = (id: string) => () =>
    worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 90, completionTimeMinutes: 5 },
    });
  const cancel = (id: string) => () => officer.request(CancelTrainingAssignmentDocument, { assignmentId: id });

  it('complete before start', async () => {
    const { id } = await assign(courseId);
    await expectConflict(complete(id), id);
  });

  it('start twice', async () => {
    const { id } = await assign(courseId);
    await start(id)();
    await expectConflict(start(id), id);
  });

  it('start, complete or cancel a completed assignment; complete twice', async () => {
    const { id } = await assign(courseId);
    await start(id)();
    await complete(id)();
    await expectConflict(start(id), id);
    await expectConflict(complete(id), id);
    await expectConflict(cancel(id), id);
  });

  it('start, complete or cancel a cancelled assignment', async () => {
    const { id } = await assign(courseId);
    await cancel(id)();
    await expectConflict(start(id), id);
    await expectConflict(complete(id), id);
    await expectConflict(cancel(id), id);
  });

  it('concurrent completes: exactly one wins', async () => {
    const { id } = await assign(courseId);
    await start(id)();
    const results = await Promise.all(Array.from({ length: 5 }, () => complete(id)()));
    expect(results.filter((result) => !result.errors)).toHaveLength(1);
    expect(results.filter((result) => result.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(4);
    expect(await completionCount(id)).toBe(1);
  });
});

describe('cancel', () => {
  it('records who cancelled, when and why; frees the slot for a new assignment', async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId);
    const cancelled = await officer.request(CancelTrainingAssignmentDocument, {
      assignmentId: id,
      reason: 'Moved to another site',
    });
    expect(cancelled.data!.cancelTrainingAssignment).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'Moved to another site',
      cancelledBy: { id: officer.userId },
    });
    expect(cancelled.data!.cancelTrainingAssignment.cancelledAt).toBeTruthy();
    const again = await assign(courseId);
    expect(again.id).not.toBe(id);
  });

  it('is refused to workers (FORBIDDEN) and leaves the assignment active', async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId);
    const response = await worker.request(CancelTrainingAssignmentDocument, { assignmentId: id });
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect((await row(id)).status).toBe('assigned');
  });
});

describe('workers act only on their own assignments', () => {
  it("cannot start or complete another worker's assignment", async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId, otherWorker.userId);
    const before = await row(id);
    const started = await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    expect(errorCode(started)).toBe('NOT_FOUND');
    const completed = await worker.request(CompleteTrainingAssignmentDocument, { input: { assignmentId: id } });
    expect(errorCode(completed)).toBe('NOT_FOUND');
    expect(await row(id)).toEqual(before);
  });

  it('see only their own assignments in every list', async () => {
    const { id: courseId } = await course();
    await assign(courseId, otherWorker.userId);
    const mine = await worker.request(MyTrainingAssignmentsDocument, { first: 100 });
    const all = await worker.request(TrainingAssignmentsDocument, { first: 100 });
    for (const list of [mine.data!.myTrainingAssignments, all.data!.trainingAssignments]) {
      expect(list.nodes.every((node) => node.user.id === worker.userId)).toBe(true);
    }
  });
});

describe('overdue', () => {
  it('shows OVERDUE as soon as the due date has passed, before any sweep; overdue can still be started and completed', async () => {
    const { id: courseId } = await course();
    const { id } = await assign(courseId);
    // The API refuses past due dates, so time travel happens in the database.
    await server.db.withConnection((c) =>
      c.query('UPDATE training_assignments SET due_date = current_date - 3 WHERE id = $1', [id]),
    );
    const overdue = await officer.request(TrainingAssignmentsDocument, { filter: { status: 'OVERDUE' }, first: 100 });
    expect(overdue.data!.trainingAssignments.nodes.map((node) => node.id)).toContain(id);
    const assigned = await officer.request(TrainingAssignmentsDocument, { filter: { status: 'ASSIGNED' }, first: 100 });
    expect(assigned.data!.trainingAssignments.nodes.map((node) => node.id)).not.toContain(id);
    expect((await row(id)).status).toBe('assigned');

    const swept = await officer.request(SweepOverdueTrainingAssignmentsDocument, {});
    expect(swept.data!.sweepOverdueTrainingAssignments).toBeGreaterThanOrEqual(1);
    expect((await row(id)).status).toBe('overdue');

    const started = await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
    expect(started.data!.startTrainingAssignment.status).toBe('OVERDUE');
    expect(started.data!.startTrainingAssignment.startedAt).toBeTruthy();
    const completed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: 75, completionTimeMinutes: 30 },
    });
    expect(completed.data!.completeTrainingAssignment.status).toBe('COMPLETED');
  });
});
