import { afterAll, beforeAll, expect } from 'vitest';
import {
  CreateTrainingCourseDocument,
  type CreateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode, startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../support/server.js';

/**
 * Shared by the courses-*.test.ts files (the course operations — createTrainingCourse, updateTrainingCourse,
 * trainingCourses, trainingCourse — over HTTP, as a dashboard calls them): one server per file, its actors,
 * and the helpers that create a course and check a refusal.
 */

export let server: TestServer;
export let admin: Actor;
export let officer: Actor;
/** An admin of another tenant. */
export let stranger: Actor;

/** Starts the file's server and its actors; call once at the top of a test file. */
export function useCoursesServer(): void {
  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.actor('admin');
    officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
    stranger = await server.actor('admin');
  });
  afterAll(() => server.stop());
}

export const UNKNOWN_ID = '6f0b1e4c-3a7d-4c1e-9f2a-8b5d7c9e0a11';

/** The stored row, as text: any change to any column shows. */
export const storedRow = async (id: string): Promise<string | undefined> =>
  (
    await server.owner.query<{ row: string }>(
      'SELECT row_to_json(c)::text AS row FROM training_courses c WHERE id = $1',
      [id],
    )
  )[0]?.row;

export async function createCourse(actor: Actor, input: Partial<CreateTrainingCourseInput> = {}) {
  const response = await actor.request(CreateTrainingCourseDocument, {
    input: { title: 'Working at Height', category: 'SAFETY_FUNDAMENTALS', ...input },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse;
}

export function expectBadInput(response: GraphQLResponse<unknown>, field?: string): void {
  expect(errorCode(response), JSON.stringify(response.errors)).toBe('BAD_USER_INPUT');
  if (field) expect(response.errors![0]!.extensions?.field).toBe(field);
}

export const FULL_INPUT: CreateTrainingCourseInput = {
  title: 'Forklift Operation',
  description: 'Safe operation of counterbalance forklifts.',
  category: 'EQUIPMENT_SAFETY',
  contentUrl: 'https://learning.example.com/courses/forklift',
  durationMinutes: 90,
  difficultyLevel: 'BEGINNER',
  riskThreshold: 72.5,
  entityType: 'WORKER',
  autoAssignEnabled: true,
  required: true,
  expiryMonths: 12,
  issuesCertificate: true,
};
