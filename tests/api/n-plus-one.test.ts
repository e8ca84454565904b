import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingAssignmentsDocument, TrainingCompletionsDocument } from '../../src/generated/operations/graphql.js';
import { requestContext, queryReadsShareOneTransaction } from '../../src/core/caller/index.js';
import { sqlState } from '../../src/core/database-errors.js';
import { RequestLog } from '../../src/core/logger.js';
import { READ_ONLY_SQL_TRANSACTION } from '../../src/core/sqlstate.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { appliesCallerSettings } from '../support/sql.js';

/**
 * No N+1: a page of assignments with course, user and completion costs
 * a constant number of SQL statements, whatever the page size. Every statement
 * Prisma sends is logged, so an N+1 shows up as a failing count.
 */

let server: TestServer;
let admin: Actor;
const statements: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  admin = await server.actor('admin');
  // 10 courses × 12 workers = 120 assignments, each with a passed completion.
  await server.db.withConnection((c) =>
    c.query(
      `WITH users AS (
         INSERT INTO profiles (id, tenant_id, role)
         SELECT gen_random_uuid(), $1::uuid, 'worker' FROM generate_series(1, 12) RETURNING id),
       courses AS (
         INSERT INTO training_courses (tenant_id, title, category, created_by)
         SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid FROM generate_series(1, 10) n RETURNING id),
       assignments AS (
         INSERT INTO training_assignments (tenant_id, course_id, user_id, status, started_at, completed_at)
         SELECT $1::uuid, c.id, u.id, 'completed', now(), now() FROM courses c CROSS JOIN users u
         RETURNING id, course_id, user_id)
       INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, completion_time_minutes)
       SELECT $1::uuid, id, course_id, user_id, 90, 30 FROM assignments`,
      [admin.tenantId, admin.userId],
    ),
  );
});
afterAll(() => server.stop());

async function statementsFor(run: () => Promise<unknown>): Promise<number> {
  statements.length = 0;
  await run();
  return statements.length;
}

describe('no N+1', () => {
  it('lists 10 or 100 assignments with course, user and latest completion in the same number of statements', async () => {
    // Warm up: the caller's profile refresh happens once, on first use.
    await admin.request(TrainingAssignmentsDocument, { first: 1 });

    let small: { nodes: unknown[] } | undefined;
    let large: { nodes: { course: { title: string }; completion: { score: number | null } | null }[] } | undefined;
    const smallCount = await statementsFor(async () => {
      small = (await admin.request(TrainingAssignmentsDocument, { first: 10 })).data?.trainingAssignments;
    });
    const largeCount = await statementsFor(async () => {
      large = (await admin.request(TrainingAssignmentsDocument, { first: 100 })).data?.trainingAssignments;
    });

    expect(small?.nodes).toHaveLength(10);
    expect(large?.nodes).toHaveLength(100);
    expect(large?.nodes.every((node) => node.course.title.startsWith('Course') && node.completion?.score === 90)).toBe(
      true,
    );
    expect(largeCount).toBe(smallCount);
    expect(largeCount).toBeLessThanOrEqual(16);
  });

  it('reads User.trainingAssignments under 10 or 100 parents in the same number of statements', async () => {
    type Nested = {
      trainingAssignments: {
        nodes: {
          user: {
            id: string;
            trainingAssignments: { totalCount: number; nodes: { id: string; user: { id: string } }[] };
          };
        }[];
      };
    };
    const query = `query ($first: Int) { trainingAssignments(first: $first) { nodes { user { id
      trainingAssignments(first: 3, status: COMPLETED) { totalCount nodes { id user { id } course { title } } } } } } }`;
    let large: Nested | undefined;
    const smallCount = await statementsFor(() => admin.request(query, { first: 10 }));
    const largeCount = await statementsFor(async () => {
      large = await ok(admin.request<Nested, { first: number }>(query, { first: 100 }));
    });
    expect(largeCount).toBe(smallCount);
    expect(largeCount).toBeLessThanOrEqual(16);
    // Each user's own page: their 10 completed assignments, the newest 3 shown.
    for (const { user } of large!.trainingAssignments.nodes) {
      expect(user.trainingAssignments.totalCount).toBe(10);
      expect(user.trainingAssignments.nodes).toHaveLength(3);
      expect(user.trainingAssignments.nodes.every((node) => node.user.id === user.id)).toBe(true);
    }
  });

  it('lists completions with their assignment and course in a constant number of statements', async () => {
    const smallCount = await statementsFor(() => admin.request(TrainingCompletionsDocument, { first: 5 }));
    const largeCount = await statementsFor(() => admin.request(TrainingCompletionsDocument, { first: 100 }));
    expect(largeCount).toBe(smallCount);
  });
});

type Counted = { data?: { trainingCourses: { totalCount: number } } | null; errors?: GraphQLFormattedError[] };

describe('one transaction per query operation', () => {
  /** Each transaction applies the caller's settings once (src/core/caller/index.ts). */
  const transactions = () => statements.filter(appliesCallerSettings).length;

  it('runs every read of a query in one transaction as the caller', async () => {
    statements.length = 0;
    const result = await admin.request(
      `{ trainingCourses(first: 5) { totalCount nodes { id } }
         trainingAssignments(first: 5) { totalCount nodes { id course { title } completion { score } } }
         me { id } }`,
    );
    expect(result.errors).toBeUndefined();
    // Both lists read (one statement each with the compiled page reads; `me` reads nothing)
    // after the one application of the caller's settings.
    const reads = statements.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql) && !appliesCallerSettings(sql));
    expect(reads.length, statements.join('\n')).toBeGreaterThanOrEqual(2);
    expect(transactions()).toBe(1);
  });

  it('runs the Prisma reads of a query in that same transaction as its compiled pages', async () => {
    statements.length = 0;
    const result = await admin.request(
      `{ trainingCourses(first: 5) { nodes { id } }
         trainingAssignments(first: 5) { nodes { id user { displayName } } } }`,
    );
    expect(result.errors).toBeUndefined();
    // The names come from the profiles table through Prisma (a DataLoader), the lists from compiled pages.
    expect(statements.filter((sql) => /FROM "public"\."profiles"/.test(sql))).toHaveLength(1);
    expect(transactions()).toBe(1);
  });

  it("refuses a read that comes after the query's transaction ended, instead of opening another", async () => {
    // graphql-js answers without waiting for pending siblings of a field whose error nulled their parent.
    const context = await requestContext(
      server.app.services,
      `Bearer ${admin.token}`,
      new RequestLog(server.app.services.logger),
    );
    const hooks = await queryReadsShareOneTransaction.requestDidStart!({ contextValue: context } as never);
    await hooks!.didResolveOperation!({ operation: { operation: 'query' } } as never);
    expect(await context.db.trainingCourse.count()).toBe(10);
    await hooks!.willSendResponse!({} as never);

    statements.length = 0;
    await expect(context.db.trainingCourse.count()).rejects.toThrow(/transaction ended/);
    await expect(context.read(Prisma.sql`SELECT 1`)).rejects.toThrow(/transaction ended/);
    expect(statements).toEqual([]);
  });

  it('makes it read only: a query operation cannot write, even through a resolver that tried', async () => {
    const context = await requestContext(
      server.app.services,
      `Bearer ${admin.token}`,
      new RequestLog(server.app.services.logger),
    );
    const hooks = await queryReadsShareOneTransaction.requestDidStart!({ contextValue: context } as never);
    await hooks!.didResolveOperation!({ operation: { operation: 'query' } } as never);
    const write = context.transaction(
      (tx) =>
        tx.$executeRaw`UPDATE training_courses SET title = 'overwritten' WHERE tenant_id = ${admin.tenantId}::uuid`,
    );
    const refused = await write.then(
      () => undefined,
      (error: unknown) => error,
    );
    await hooks!.willSendResponse!({} as never);
    expect(sqlState(refused)).toBe(READ_ONLY_SQL_TRANSACTION);
    const titles = await server.owner.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM training_courses WHERE title = 'overwritten'",
    );
    expect(titles).toEqual([{ n: 0 }]);
  });

  it('ends it with every request, failed fields included: far more requests than pooled connections all succeed', async () => {
    for (let round = 0; round < 40; round++) {
      const partly: Counted = await admin.request(
        '{ trainingCourses(first: 1) { totalCount } trainingCourse(id: "not-a-uuid") { id } }',
      );
      expect(partly.data?.trainingCourses.totalCount).toBe(10);
      expect(partly.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    const after: Counted = await admin.request('{ trainingCourses(first: 1) { totalCount } }');
    expect(after.data?.trainingCourses.totalCount).toBe(10);
  });
});
