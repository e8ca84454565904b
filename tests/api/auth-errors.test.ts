import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  TrainingAssignmentsDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { serverUrl } from '../support/database.js';
import { dayFromToday, errorCode, startTestServer, type Actor, type GraphQLResponse } from '../support/server.js';
import { server, admin, useAuthServer } from './auth-fixtures.js';

/** What an error may tell a client: expected errors without internals, and an unexpected one masked. */

useAuthServer();

describe('errors tell the client what went wrong, and nothing more', () => {
  /** What must never reach a client: stack traces, SQL, driver names, database object names. */
  function expectNothingLeaked(response: GraphQLResponse<unknown>, foreign: string[] = []): void {
    const raw = JSON.stringify(response);
    expect(response.errors?.length, raw).toBeGreaterThan(0);
    expect(raw).not.toMatch(/stacktrace|exception/i);
    expect(raw).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET|WHERE)\b/i);
    expect(raw).not.toMatch(/prisma|pglite|postgres|node_modules|\.ts:\d+|\.js:\d+/i);
    expect(raw).not.toMatch(
      /duplicate key|violates|constraint|relation "|row-level security|training_(courses|assignments|completions)/i,
    );
    for (const value of foreign) expect(raw).not.toContain(value);
  }

  let other: Actor;
  let theirCourse: { id: string; title: string };
  beforeAll(async () => {
    other = await server.actor('admin', { name: 'Other Tenant Admin' });
    theirCourse = (
      await other.request(CreateTrainingCourseDocument, {
        input: { title: 'Their confidential course', category: 'OTHER' },
      })
    ).data!.createTrainingCourse;
  });
  const foreign = () => [other.tenantId, other.userId, theirCourse.title];

  it('CONFLICT from the database (duplicate active assignment) hides the constraint', async () => {
    const course = (await admin.request(CreateTrainingCourseDocument, { input: { title: 'Twice', category: 'OTHER' } }))
      .data!.createTrainingCourse;
    const input = { courseId: course.id, userId: admin.userId, dueDate: dayFromToday(5) };
    expect((await admin.request(AssignTrainingCourseDocument, { input })).errors).toBeUndefined();

    const response = await admin.request(AssignTrainingCourseDocument, { input });

    expect(errorCode(response)).toBe('CONFLICT');
    expectNothingLeaked(response);
  });

  it("NOT_FOUND for another tenant's course tells nothing about that tenant", async () => {
    const update = await admin.request(UpdateTrainingCourseDocument, { id: theirCourse.id, input: { title: 'x' } });
    const assign = await admin.request(AssignTrainingCourseDocument, {
      input: { courseId: theirCourse.id, userId: admin.userId, dueDate: dayFromToday(5) },
    });

    expect(errorCode(update)).toBe('NOT_FOUND');
    expect(errorCode(assign)).toBe('NOT_FOUND');
    expectNothingLeaked(update, foreign());
    expectNothingLeaked(assign, foreign());
  });

  it('FORBIDDEN, UNAUTHENTICATED and BAD_USER_INPUT responses are clean', async () => {
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    const responses = [
      await worker.request(CreateTrainingCourseDocument, { input: { title: 'No', category: 'OTHER' } }),
      await worker.request(TrainingAssignmentsDocument, { filter: { userId: admin.userId } }),
      await server.request(TrainingCoursesDocument, {}, 'Bearer not-a-jwt'),
      await admin.request(CreateTrainingCourseDocument, { input: { title: '', category: 'OTHER' } }),
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'x', category: 'WRONG' as 'OTHER' } }),
      await admin.request('{ trainingCourses { nodes { id secretColumn } } }'),
      await admin.request('{ trainingCourses {'),
    ];

    for (const response of responses) expectNothingLeaked(response, foreign());
  });

  it('malformed values that reach the database or the pager are not echoed with internals', async () => {
    const responses = [
      // PostgreSQL text cannot hold NUL.
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'Nul\u0000byte', category: 'OTHER' } }),
      await admin.request(TrainingCoursesDocument, { after: 'not-a-cursor' }),
      await admin.request(TrainingCoursesDocument, { first: -1 }),
    ];

    for (const response of responses) expectNothingLeaked(response, foreign());
  });
});

describe('an unexpected internal error', () => {
  it('is masked as INTERNAL_SERVER_ERROR "Internal server error" (database closed under a running server)', async () => {
    // A throwaway server, so this file's server keeps its database.
    const broken = await startTestServer();
    try {
      const caller = await broken.actor('admin');
      expect((await caller.request(TrainingCoursesDocument, {})).errors).toBeUndefined();
      await broken.app.db.close();

      const response = await caller.request(TrainingCoursesDocument, {});

      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(Object.keys(response.errors![0]!.extensions!)).toEqual(['code']);
      expectNoInternals(JSON.stringify(response));
    } finally {
      await broken.app.stop().catch(() => {});
      if (broken.db.url) await dropDatabase(broken.db.url);
    }
  });
});

function expectNoInternals(raw: string): void {
  expect(raw).not.toMatch(/stacktrace|prisma|pglite|pool|closed|SELECT|\.ts:\d+|\.js:\d+/i);
}

/** The throwaway server's database is closed, so its own `stop()` cannot drop it. */
async function dropDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
