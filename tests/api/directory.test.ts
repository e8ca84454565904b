import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  RecordPredictiveScoresDocument,
  UsersDocument,
  WebAutoAssignDocument,
  WebMeDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { TENANT_TABLES } from '../support/sql.js';
import { assignCourse, createCourse, startAssignment } from '../support/training.js';

/** The people directory (`users`) and input errors that name every invalid field at once. */

let server: TestServer;
let officer: Actor;
let admin: Actor;
let worker: Actor;
let outsider: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer', { name: 'Sam Officer', email: 'sam@example.com' });
  admin = await server.actor('admin', { tenantId: officer.tenantId, name: 'Ada Admin' });
  worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Chen', email: 'wei@example.com' });
  outsider = await server.actor('safety_officer', { name: 'Wei Outsider', email: 'wei@other.example' });
  // An unnamed profile (sorts last) and one whose name holds a wildcard character.
  await server.owner.insert('profiles', { id: crypto.randomUUID(), tenant_id: officer.tenantId, role: 'worker' });
  await server.owner.insert('profiles', {
    id: crypto.randomUUID(),
    tenant_id: officer.tenantId,
    role: 'worker',
    display_name: 'Percy 100%',
  });
  for (const actor of [admin, worker, outsider]) await actor.request(WebMeDocument);
});
afterAll(() => server?.stop());

const names = (response: Awaited<ReturnType<typeof search>>) =>
  response.data!.users.nodes.map((node) => node.displayName);
const search = (actor: Actor, variables: { search?: string; first?: number; after?: string } = {}) =>
  actor.request(UsersDocument, variables);

describe('users (the people directory)', () => {
  it("lists the tenant's people by name, unnamed last, with their email", async () => {
    const response = await search(officer);

    expect(response.errors).toBeUndefined();
    expect(names(response)).toEqual(['Ada Admin', 'Percy 100%', 'Sam Officer', 'Wei Chen', null]);
    expect(response.data!.users.totalCount).toBe(5);
    expect(response.data!.users.nodes[3]).toEqual({
      id: worker.userId,
      displayName: 'Wei Chen',
      email: 'wei@example.com',
    });
  });

  it('finds people by part of the name or email, case-insensitively; % and _ match themselves', async () => {
    expect(names(await search(admin, { search: 'wei' }))).toEqual(['Wei Chen']);
    expect(names(await search(admin, { search: 'SAM@EXAMPLE' }))).toEqual(['Sam Officer']);
    expect(names(await search(admin, { search: '0%' }))).toEqual(['Percy 100%']);
    expect(names(await search(admin, { search: 'a_a' }))).toEqual([]);
    const none = await search(admin, { search: 'nobody at all' });
    expect(none.data!.users).toMatchObject({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false } });
  });

  it('pages forward with first and after, each person once', async () => {
    const seen: (string | null | undefined)[] = [];
    let after: string | undefined;
    for (;;) {
      const response = await search(officer, { first: 2, ...(after ? { after } : {}) });
      expect(response.errors).toBeUndefined();
      seen.push(...names(response));
      expect(response.data!.users.totalCount).toBe(5);
      if (!response.data!.users.pageInfo.hasNextPage) break;
      after = response.data!.users.pageInfo.endCursor!;
    }
    expect(seen).toEqual(['Ada Admin', 'Percy 100%', 'Sam Officer', 'Wei Chen', null]);
  });

  it("never shows another tenant's people, whatever the search", async () => {
    const response = await search(outsider, { search: 'wei' });

    expect(names(response)).toEqual(['Wei Outsider']);
    expect(JSON.stringify(await search(outsider))).not.toContain('Wei Chen');
    // A cursor naming another tenant's person starts nowhere in this one.
    const foreign = await search(officer, { search: 'wei' });
    const cursor = Buffer.from(`GPC:S:${outsider.userId}`).toString('base64');
    expect(names(await search(officer, { after: cursor }))).toEqual([]);
    expect(names(foreign)).toEqual(['Wei Chen']);
  });

  it('is refused to workers (FORBIDDEN) and to the anonymous (UNAUTHENTICATED)', async () => {
    const refused = await search(worker);
    expect(refused.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
    const anonymous = await server.request(UsersDocument, {});
    expect(anonymous.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses bad arguments with BAD_USER_INPUT naming them', async () => {
    for (const [variables, field] of [
      [{ first: -1 }, 'first'],
      [{ first: 501 }, 'first'],
      [{ search: 'x'.repeat(201) }, 'search'],
      [{ after: 'not-a-cursor' }, 'after'],
    ] as const) {
      const response = await search(officer, variables);
      expect(response.errors![0]!.extensions, JSON.stringify(variables)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });
});

describe('the reason of a risk-based assignment', () => {
  it('names the person a score is about (null for a zone)', async () => {
    await createCourse(admin, {
      title: 'Fatigue',
      category: 'RISK_MANAGEMENT',
      entityType: 'WORKER',
      riskThreshold: 70,
      autoAssignEnabled: true,
    });
    const recorded = await admin.request(RecordPredictiveScoresDocument, {
      scores: [{ entityType: 'WORKER', entityId: worker.userId, score: 72 }],
      autoAssign: false,
    });
    expect(recorded.errors).toBeUndefined();
    const preview = await officer.request(WebAutoAssignDocument, { dryRun: true });

    expect(preview.errors).toBeUndefined();
    expect(preview.data!.autoAssignTraining.assignments.map((a) => a.trigger)).toEqual([
      {
        score: 72,
        entityType: 'WORKER',
        entityId: worker.userId,
        threshold: 70,
        person: { id: worker.userId, displayName: 'Wei Chen', email: 'wei@example.com' },
      },
    ]);
  });
});

describe('an input with several invalid fields', () => {
  it('is refused with every invalid field in extensions.fields, the first in field, nothing written', async () => {
    const before = await server.owner.fingerprints(TENANT_TABLES, officer.tenantId);
    const response = await officer.request(AssignTrainingCourseDocument, {
      input: {
        courseId: 'Forklift',
        userId: 'Wei Chen',
        dueDate: dayFromToday(-1),
        assignmentReason: 'x'.repeat(1001),
      },
    });

    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.courseId',
      fields: [
        { field: 'input.courseId', message: 'must be a UUID' },
        { field: 'input.userId', message: 'must be a UUID' },
        { field: 'input.dueDate', message: 'must not be in the past' },
        { field: 'input.assignmentReason', message: 'must be at most 1000 characters' },
      ],
    });
    expect(response.errors![0]!.message).toBe(
      'input.courseId: must be a UUID; input.userId: must be a UUID; input.dueDate: must not be in the past; ' +
        'input.assignmentReason: must be at most 1000 characters',
    );
    expect(await server.owner.fingerprints(TENANT_TABLES, officer.tenantId)).toEqual(before);
  });

  it('names both bad figures of a completion', async () => {
    const courseId = await createCourse(officer, { title: 'Ladders', category: 'COMPLIANCE' });
    const assignmentId = await assignCourse(officer, courseId, worker.userId);
    await startAssignment(worker, assignmentId);
    const response = await worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId, score: 120, completionTimeMinutes: 0 },
    });

    expect(response.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.score',
      fields: [
        { field: 'input.score', message: 'must be from 0 to 100' },
        { field: 'input.completionTimeMinutes', message: 'must be an integer from 1 to 100000' },
      ],
    });
    expect(await server.owner.count('training_completions', 'assignment_id = $1', [assignmentId])).toBe(0);
  });

  it('names every bad field of a course', async () => {
    const response = await officer.request(CreateTrainingCourseDocument, {
      input: { title: ' ', category: 'COMPLIANCE', riskThreshold: 101, durationMinutes: 0 },
    });

    const fields = (response.errors![0]!.extensions as { fields: { field: string }[] }).fields;
    expect(fields.map((problem) => problem.field)).toEqual([
      'input.title',
      'input.durationMinutes',
      'input.riskThreshold',
    ]);
  });

  it('keeps a single invalid field as it was: field and message, and fields with the one problem', async () => {
    const response = await officer.request(AssignTrainingCourseDocument, {
      input: { courseId: crypto.randomUUID(), userId: 'Wei Chen' },
    });

    expect(response.errors![0]!.message).toBe('input.userId: must be a UUID');
    expect(response.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.userId',
      fields: [{ field: 'input.userId', message: 'must be a UUID' }],
    });
  });
});
