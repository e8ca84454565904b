import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  WebAssignmentsDocument,
  WebMeDocument,
  WebMyAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';

/** People by name: `User.displayName` and `email` come from the tenant's profiles, never another tenant's. */

let server: TestServer;
let officer: Actor;
let worker: Actor;
let outsider: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer', { name: 'Sam Officer' });
  worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Chen' });
  outsider = await server.actor('safety_officer', { name: 'Other Tenant' });
  await worker.request(WebMeDocument);
  await outsider.request(WebMeDocument);
  const course = await officer.request(CreateTrainingCourseDocument, {
    input: { title: 'Forklift Safety', category: 'EQUIPMENT_SAFETY' },
  });
  const assigned = await officer.request(AssignTrainingCourseDocument, {
    input: { courseId: course.data!.createTrainingCourse.id, userId: worker.userId, dueDate: dayFromToday(10) },
  });
  expect(assigned.errors).toBeUndefined();
});
afterAll(() => server?.stop());

describe('User.displayName and User.email', () => {
  it('name the caller from the profile their token created', async () => {
    const response = await worker.request(WebMeDocument);

    expect(response.errors).toBeUndefined();
    expect(response.data!.me).toMatchObject({ id: worker.userId, displayName: 'Wei Chen', email: null });
  });

  it('name the assignee and the assigner on an officer’s list', async () => {
    const response = await officer.request(WebAssignmentsDocument, { first: 10 });

    expect(response.errors).toBeUndefined();
    const [row] = response.data!.trainingAssignments.nodes;
    expect(row!.user).toEqual({ id: worker.userId, displayName: 'Wei Chen', email: null });
    expect(row!.assignedBy).toEqual({ id: officer.userId, displayName: 'Sam Officer', email: null });
  });

  it('let a worker read who assigned their own training (the tenant directory)', async () => {
    const response = await worker.request(WebMyAssignmentsDocument, { first: 10 });

    expect(response.errors).toBeUndefined();
    expect(response.data!.myTrainingAssignments.nodes[0]!.assignedBy?.displayName).toBe('Sam Officer');
  });

  it('read null for a user of another tenant, even through an entity lookup by id', async () => {
    const response = await outsider.request<
      { _entities: ({ id: string; displayName: string | null; email: string | null } | null)[] },
      Record<string, unknown>
    >(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on User { id displayName email } }
      }`,
      { representations: [{ __typename: 'User', id: worker.userId }] },
    );

    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([{ id: worker.userId, displayName: null, email: null }]);
    expect(JSON.stringify(response)).not.toContain('Wei Chen');
  });

  it('are refused to the anonymous', async () => {
    const response = await server.request('{ me { displayName } }');

    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
