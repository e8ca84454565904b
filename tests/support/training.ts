import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  type CompleteTrainingAssignmentInput,
  type CreateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, ok, type Actor } from './server.js';

/** Training through the API, as a caller would do it; each step fails the test if the API refuses it. */

/** Creates a course as `actor`; its id. */
export async function createCourse(actor: Actor, input: CreateTrainingCourseInput): Promise<string> {
  return (await ok(actor.request(CreateTrainingCourseDocument, { input }))).createTrainingCourse.id;
}

/** Assigns the course to the user as `actor`, due in `dueDate` (default: in a week); the assignment's id. */
export async function assignCourse(
  actor: Actor,
  courseId: string,
  userId: string,
  dueDate: string | null = dayFromToday(7),
): Promise<string> {
  const input = { courseId, userId, dueDate };
  return (await ok(actor.request(AssignTrainingCourseDocument, { input }))).assignTrainingCourse.id;
}

export async function startAssignment(actor: Actor, assignmentId: string): Promise<void> {
  await ok(actor.request(StartTrainingAssignmentDocument, { assignmentId }));
}

/** Records an attempt (passed unless `attempt.passed` is false) as `actor`; the completion's id. */
export async function completeAssignment(
  actor: Actor,
  assignmentId: string,
  attempt: Omit<CompleteTrainingAssignmentInput, 'assignmentId'> = {},
): Promise<string> {
  const input = { assignmentId, ...attempt };
  return (await ok(actor.request(CompleteTrainingAssignmentDocument, { input }))).completeTrainingAssignment.completion!
    .id;
}
