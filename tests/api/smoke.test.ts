import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTrainingCourseDocument, TrainingCoursesDocument } from '../../src/generated/operations/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('smoke', () => {
  it('an admin creates a course and lists it', async () => {
    const admin = await server.actor('admin');
    const created = await admin.request(CreateTrainingCourseDocument, {
      input: { title: 'Forklift', category: 'EQUIPMENT_SAFETY' },
    });
    expect(created.errors).toBeUndefined();
    const list = await admin.request(TrainingCoursesDocument, {});
    expect(list.data?.trainingCourses.totalCount).toBe(1);
  });
});
