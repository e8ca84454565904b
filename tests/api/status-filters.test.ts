import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MyTrainingAssignmentsDocument,
  TrainingAssignmentsDocument,
  type AssignmentStatus,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The status filter of trainingAssignments selects by effective status: an active assignment past
 * its due date is OVERDUE (stored or not), one due today is not yet; finished ones keep their status.
 * Each filter must return exactly its rows.
 */

let server: TestServer;
let officer: Actor;
let worker: Actor;
const ids: Record<string, string> = {};

/** Each assignment's stored status and due date (days from today; null: none), on a course of its own. */
const ROWS: [name: string, status: string, dueInDays: number | null][] = [
  ['assignedNoDueDate', 'assigned', null],
  ['assignedDueLater', 'assigned', 14],
  ['assignedDueToday', 'assigned', 0],
  ['assignedPastDue', 'assigned', -3],
  ['startedNoDueDate', 'in_progress', null],
  ['startedDueToday', 'in_progress', 0],
  ['startedPastDue', 'in_progress', -1],
  ['sweptOverdue', 'overdue', -5],
  ['completed', 'completed', 7],
  ['completedPastDue', 'completed', -3],
  ['cancelled', 'cancelled', 7],
  ['cancelledPastDue', 'cancelled', -3],
];

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  await worker.request(MyTrainingAssignmentsDocument, {});
  // Rows in every state at once, past due dates included (the API refuses those), written as the owner.
  const inserted = await server.db.withConnection((c) =>
    c.query<{ id: string; name: string }>(
      `WITH rows AS (
         SELECT * FROM unnest($3::text[], $4::text[], $5::date[]) AS r(name, status, due_date)
       ), courses AS (
         INSERT INTO training_courses (tenant_id, title, category, created_by)
         SELECT $1, 'Status ' || name, 'hazard_awareness', $2 FROM rows
         RETURNING id, title
       ), assignments AS (
         INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, status, due_date,
                                           started_at, completed_at, cancelled_at)
         SELECT $1, courses.id, $6, $2, rows.status, rows.due_date,
                CASE WHEN rows.status IN ('in_progress', 'completed') THEN now() END,
                CASE WHEN rows.status = 'completed' THEN now() END,
                CASE WHEN rows.status = 'cancelled' THEN now() END
         FROM rows JOIN courses ON courses.title = 'Status ' || rows.name
         RETURNING id, course_id
       )
       SELECT assignments.id, substr(courses.title, 8) AS name
       FROM assignments JOIN courses ON courses.id = assignments.course_id`,
      [
        officer.tenantId,
        officer.userId,
        ROWS.map(([name]) => name),
        ROWS.map(([, status]) => status),
        ROWS.map(([, , days]) => (days === null ? null : dayFromToday(days))),
        worker.userId,
      ],
    ),
  );
  for (const { id, name } of inserted) ids[name] = id;
  expect(Object.keys(ids).sort()).toEqual(ROWS.map(([name]) => name).sort());
  // A fresh database and a server on a machine shared with other test runs: allow for a slow start.
}, setupTimeout(180_000));
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
