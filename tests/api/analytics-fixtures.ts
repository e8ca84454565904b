import { afterAll, beforeAll } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  TrainingAnalyticsDocument,
  type CourseCategory,
  type TrainingAnalyticsQuery,
} from '../../src/generated/operations/graphql.js';
import { setupTimeout } from '../support/citus.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * Shared by the analytics-*.test.ts files: `trainingAnalytics` checked figure by figure against
 * values computed by hand for a small data set built through the API.
 *
 * Tenant T: 3 courses in 2 categories, 4 workers, 8 assignments:
 *
 *   #  course              user  what happened                              effective status
 *   1  Ladder Safety (SF)  W1    completed, 30 min, score 80 (due date past) completed
 *   2  Ladder Safety (SF)  W2    completed, 45 min, score 90                 completed
 *   3  Forklift (ES)       W2    completed, 60 min, score 70                 completed
 *   4  Lockout (SF)        W1    failed attempt, 90 min, score 40            assigned
 *   5  Lockout (SF)        W2    started                                     in_progress
 *   6  Forklift (ES)       W1    started                                     in_progress
 *   7  Ladder Safety (SF)  W3    due date moved into the past, not swept     overdue
 *   8  Lockout (SF)        W3    cancelled (due date past)                   cancelled
 *
 * W4 has nothing. SF = SAFETY_FUNDAMENTALS, ES = EQUIPMENT_SAFETY.
 * Another tenant O has rows of its own that must never be counted in T.
 */

export let server: TestServer;
export let admin: Actor;
export let officer: Actor;
export let service: Actor;
export const workers: Actor[] = [];
export const course: Record<'ladder' | 'lockout' | 'forklift', string> = { ladder: '', lockout: '', forklift: '' };
export const assignment: string[] = [];
export let otherAdmin: Actor;
export let otherWorker: Actor;
/** Every SQL statement Prisma sends (to count transactions per request). */
export const statements: string[] = [];

export async function createCourse(by: Actor, title: string, category: CourseCategory) {
  return (await ok(by.request(CreateTrainingCourseDocument, { input: { title, category } }))).createTrainingCourse.id;
}

export async function assign(by: Actor, courseId: string, worker: Actor, dueDate = dayFromToday(14)) {
  const { assignTrainingCourse } = await ok(
    by.request(AssignTrainingCourseDocument, { input: { courseId, userId: worker.userId, dueDate } }),
  );
  return assignTrainingCourse.id;
}

async function startAndComplete(
  worker: Actor,
  assignmentId: string,
  attempt?: { minutes: number; score: number; passed?: boolean },
) {
  await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId }));
  if (!attempt) return;
  await ok(
    worker.request(CompleteTrainingAssignmentDocument, {
      input: {
        assignmentId,
        score: attempt.score,
        passed: attempt.passed ?? true,
        completionTimeMinutes: attempt.minutes,
      },
    }),
  );
}

async function movePastDue(ids: string[], daysAgo = 4) {
  await server.owner.query(
    `UPDATE training_assignments SET due_date = training_today() - $2::int WHERE id = ANY($1::uuid[])`,
    [ids, daysAgo],
  );
}

export async function analytics(actor: Actor): Promise<TrainingAnalyticsQuery['trainingAnalytics']> {
  return (await ok(actor.request(TrainingAnalyticsDocument))).trainingAnalytics;
}

/** byCourse keyed by course title, for readable expectations. */
export function byTitle(figures: TrainingAnalyticsQuery['trainingAnalytics']) {
  return Object.fromEntries(figures.byCourse.map(({ course: c, ...rest }) => [c.title, rest]));
}

export const statusCounts = (counts: Partial<Record<string, number>>) =>
  (['ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'OVERDUE', 'CANCELLED'] as const).map((status) => ({
    status,
    count: counts[status] ?? 0,
  }));

/** Starts the file's server and builds the data set above; call once at the top of a test file. */
export function useAnalyticsData(): void {
  beforeAll(async () => {
    server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
    admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    officer = await server.actor('safety_officer', { tenantId });
    service = await server.actor('service', { tenantId });
    for (let i = 1; i <= 4; i++) workers.push(await server.actor('worker', { tenantId, name: `Worker ${i}` }));
    for (const actor of [officer, ...workers]) await ok(actor.request('{ me { id } }')); // profiles on first use
    const [w1, w2, w3] = workers as [Actor, Actor, Actor];

    course.ladder = await createCourse(admin, 'Ladder Safety', 'SAFETY_FUNDAMENTALS');
    course.lockout = await createCourse(officer, 'Lockout Tagout', 'SAFETY_FUNDAMENTALS');
    course.forklift = await createCourse(admin, 'Forklift Operation', 'EQUIPMENT_SAFETY');

    assignment.push(await assign(admin, course.ladder, w1)); // 1
    assignment.push(await assign(admin, course.ladder, w2)); // 2
    assignment.push(await assign(officer, course.forklift, w2)); // 3
    assignment.push(await assign(admin, course.lockout, w1)); // 4
    assignment.push(await assign(admin, course.lockout, w2)); // 5
    assignment.push(await assign(officer, course.forklift, w1)); // 6
    assignment.push(await assign(admin, course.ladder, w3)); // 7
    assignment.push(await assign(admin, course.lockout, w3)); // 8
    const [a1, a2, a3, a4, a5, a6, a7, a8] = assignment as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    await startAndComplete(w1, a1, { minutes: 30, score: 80 });
    await startAndComplete(w2, a2, { minutes: 45, score: 90 });
    await startAndComplete(w2, a3, { minutes: 60, score: 70 });
    await startAndComplete(w1, a4, { minutes: 90, score: 40, passed: false });
    await startAndComplete(w2, a5);
    await startAndComplete(w1, a6);
    await ok(officer.request(CancelTrainingAssignmentDocument, { assignmentId: a8, reason: 'Changed role' }));
    // The API refuses past due dates: move them as the owner. Only #7 is active, so only
    // #7 is overdue; a completed or cancelled assignment past its due date is not.
    await movePastDue([a1, a7, a8]);

    // Another tenant with rows of its own: 1 course, 2 assignments (one completed in 10 minutes
    // with score 100, one overdue). Never to be counted in T.
    otherAdmin = await server.actor('admin');
    otherWorker = await server.actor('worker', { tenantId: otherAdmin.tenantId });
    await ok(otherWorker.request('{ me { id } }'));
    const otherCourse = await createCourse(otherAdmin, 'Other Tenant Ladder Safety', 'SAFETY_FUNDAMENTALS');
    const otherCourse2 = await createCourse(otherAdmin, 'Other Tenant Forklift', 'EQUIPMENT_SAFETY');
    await startAndComplete(otherWorker, await assign(otherAdmin, otherCourse, otherWorker), {
      minutes: 10,
      score: 100,
    });
    await movePastDue([await assign(otherAdmin, otherCourse2, otherWorker)]);
  }, setupTimeout(120_000));

  afterAll(() => server?.stop());
}
