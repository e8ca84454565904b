import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  StartTrainingAssignmentDocument,
  TrainingAssignmentsDocument,
  type AssignmentStatus,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * The status filter of trainingAssignments selects by effective status: an active assignment past
 * its due date is OVERDUE (stored or not), one due today is not yet; finished ones keep their status.
 * Each filter must return exactly its rows.
 */

let server: TestServer;
let officer: Actor;
let worker: Actor;
const ids: Record<string, string> = {};

async function assignment(name: string, dueDate: string | null) {
  const course = await officer.request(CreateTrainingCourseDocument, {
    input: { title: `Status ${name}`, category: 'HAZARD_AWARENESS' },
  });
  const assigned = await officer.request(AssignTrainingCourseDocument, {
    input: { courseId: course.data!.createTrainingCourse.id, userId: worker.userId, dueDate },
  });
  expect(assigned.errors).toBeUndefined();
  ids[name] = assigned.data!.assignTrainingCourse.id;
  return ids[name];
}

/** The API refuses past due dates, so time travel happens in the database. */
async function dueDaysAgo(name: string, days: number, status?: string) {
  await server.db.withConnection((c) =>
    c.query('UPDATE training_assignments SET due_date = $2::date, status = coalesce($3, status) WHERE id = $1', [
      ids[name],
      dayFromToday(-days),
      status ?? null,
    ]),
  );
}

const start = async (name: string) =>
  expect((await worker.request(StartTrainingAssignmentDocument, { assignmentId: ids[name]! })).errors).toBeUndefined();

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  await worker.request(MyTrainingAssignmentsDocument, {});

  await assignment('assignedNoDueDate', null);
  await assignment('assignedDueLater', dayFromToday(14));
  await assignment('assignedDueToday', dayFromToday(0));
  await assignment('assignedPastDue', dayFromToday(7));
  await dueDaysAgo('assignedPastDue', 3);

  await assignment('startedNoDueDate', null);
  await start('startedNoDueDate');
  await assignment('startedDueToday', dayFromToday(0));
  await start('startedDueToday');
  await assignment('startedPastDue', dayFromToday(7));
  await start('startedPastDue');
  await dueDaysAgo('startedPastDue', 1);

  await assignment('sweptOverdue', dayFromToday(7));
  await dueDaysAgo('sweptOverdue', 5, 'overdue');

  await assignment('completed', dayFromToday(7));
  await assignment('completedPastDue', dayFromToday(7));
  for (const name of ['completed', 'completedPastDue']) {
    await start(name);
    const completed = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: ids[name]!, score: 90 },
    });
    expect(completed.errors).toBeUndefined();
  }
  await dueDaysAgo('completedPastDue', 3);

  await assignment('cancelled', dayFromToday(7));
  await assignment('cancelledPastDue', dayFromToday(7));
  for (const name of ['cancelled', 'cancelledPastDue']) {
    const cancelled = await officer.request(CancelTrainingAssignmentDocument, { assignmentId: ids[name]! });
    expect(cancelled.errors).toBeUndefined();
  }
  await dueDaysAgo('cancelledPastDue', 3);
  // About thirty requests on a fresh database: slow on a loaded machine.
}, 240_000);
afterAll(() => server.stop());

/** The names of the assignments the filter returns, and the status each is shown with. */
async function filtered(status: AssignmentStatus) {
  const response = await officer.request(TrainingAssignmentsDocument, { filter: { status }, first: 100 });
  expect(response.errors).toBeUndefined();
  const names = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
  const nodes = response.data!.trainingAssignments.nodes;
  return {
    names: nodes.map((node) => names[node.id]).sort(),
    statuses: [...new Set(nodes.map((node) => node.status))],
    totalCount: response.data!.trainingAssignments.totalCount,
  };
}

describe('trainingAssignments(filter: { status })', () => {
  it('OVERDUE: exactly the active assignments past their due date, swept or not', async () => {
    expect(await filtered('OVERDUE')).toEqual({
      names: ['assignedPastDue', 'startedPastDue', 'sweptOverdue'],
      statuses: ['OVERDUE'],
      totalCount: 3,
    });
  });

  it('ASSIGNED: not started, with no due date or one not yet passed (due today included)', async () => {
    expect(await filtered('ASSIGNED')).toEqual({
      names: ['assignedDueLater', 'assignedDueToday', 'assignedNoDueDate'],
      statuses: ['ASSIGNED'],
      totalCount: 3,
    });
  });

  it('IN_PROGRESS: started, with no due date or one not yet passed (due today included)', async () => {
    expect(await filtered('IN_PROGRESS')).toEqual({
      names: ['startedDueToday', 'startedNoDueDate'],
      statuses: ['IN_PROGRESS'],
      totalCount: 2,
    });
  });

  it('COMPLETED: every completed assignment, past its due date or not', async () => {
    expect(await filtered('COMPLETED')).toEqual({
      names: ['completed', 'completedPastDue'],
      statuses: ['COMPLETED'],
      totalCount: 2,
    });
  });

  it('CANCELLED: every cancelled assignment, past its due date or not', async () => {
    expect(await filtered('CANCELLED')).toEqual({
      names: ['cancelled', 'cancelledPastDue'],
      statuses: ['CANCELLED'],
      totalCount: 2,
    });
  });
});
