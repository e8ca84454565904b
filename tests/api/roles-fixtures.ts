import { afterAll, beforeAll, expect } from 'vitest';
import { type Role } from '../../src/core/permissions.js';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * Shared by the roles-*.test.ts files: one tenant with a user of every role (and a second worker), a course all
 * can see, and the helpers that arrange what a call needs.
 */

export let server: TestServer;
export const actors = {} as Record<Role, Actor>;
/** The worker in `actors` is this tenant's first worker; this is a second one. */
export let otherWorker: Actor;
export let sharedCourseId: string;
export let otherWorkersAssignmentId: string;

/** Starts the file's server and signs every actor in once; call once at the top of a test file. */
export function useRolesServer(): void {
  beforeAll(async () => {
    server = await startTestServer();
    actors.admin = await server.actor('admin');
    const tenantId = actors.admin.tenantId;
    actors.safety_officer = await server.actor('safety_officer', { tenantId });
    actors.worker = await server.actor('worker', { tenantId, name: 'Wanda Worker' });
    actors.service = await server.actor('service', { tenantId });
    otherWorker = await server.actor('worker', { tenantId, name: 'Otto Other' });
    // Profiles are created on first use: everyone signs in once.
    for (const actor of [...Object.values(actors), otherWorker]) {
      expect((await actor.request(ME)).errors).toBeUndefined();
    }

    sharedCourseId = await newCourse('Shared course');
    // The worker has a passed completion; the other worker an open assignment.
    const done = await newAssignment(actors.worker);
    await startAs(actors.worker, done);
    const completed = await actors.worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: done, score: 88, passed: true, completionTimeMinutes: 25 },
    });
    expect(completed.errors).toBeUndefined();
    otherWorkersAssignmentId = await newAssignment(otherWorker);
  });
  afterAll(() => server.stop());
}

export const ME = '{ me { id } }';

export async function newCourse(
  title = `Course ${Math.random().toString(36).slice(2)}`,
  requirements: { practicalEvaluation?: boolean } = {},
): Promise<string> {
  const response = await actors.admin.request(CreateTrainingCourseDocument, {
    input: { title, category: 'SAFETY_FUNDAMENTALS', requirements },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse.id;
}

/** A fresh course assigned (by the admin) to `learner`; returns the assignment id. */
export async function newAssignment(
  learner: Actor,
  requirements: { practicalEvaluation?: boolean } = {},
): Promise<string> {
  const response = await actors.admin.request(AssignTrainingCourseDocument, {
    input: { courseId: await newCourse(undefined, requirements), userId: learner.userId, dueDate: dayFromToday(14) },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.assignTrainingCourse.id;
}

export async function startAs(actor: Actor, assignmentId: string): Promise<void> {
  const response = await actor.request(StartTrainingAssignmentDocument, { assignmentId });
  expect(response.errors).toBeUndefined();
}

/** Every row of every training table, fingerprinted: any insert, update or delete changes it. */
export const trainingTables = () =>
  server.owner.fingerprints([
    'training_courses',
    'training_assignments',
    'training_completions',
    'certificates',
    'training_evidence',
  ]);

export const assignmentRow = async (id: string) =>
  (await server.owner.query('SELECT * FROM training_assignments WHERE id = $1', [id]))[0];
