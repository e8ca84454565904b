import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { courseWithQuiz, shownId, signIn, startedAssignment, takeQuiz } from '../support/quizzes.js';
import { setupTimeout } from '../support/citus.js';

/**
 * No N+1: an assignment's attempts, with their questions, saved answers, scores and reviews, cost the same number
 * of SQL statements for one attempt as for four (every statement Prisma sends is logged).
 */

let server: TestServer;
let officer: Actor;
let worker: Actor;
const statements: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  await signIn(worker);
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const ATTEMPTS = `query($id: ID!) {
  trainingAssignments(first: 1, filter: { courseId: $id }) {
    nodes { quizAttempts(first: 4) { id status score passed questions { id choices { id } savedAnswer { choiceIds } }
                           review { score questions { credit feedback correctAnswer { choiceIds } } } } }
  }
}`;

async function statementsFor(run: () => Promise<unknown>): Promise<number> {
  statements.length = 0;
  await run();
  return statements.length;
}

describe('reading attempts', () => {
  it('costs the same statements for one attempt as for four', async () => {
    const courses: string[] = [];
    for (const attempts of [1, 4]) {
      const { courseId } = await courseWithQuiz(officer, [
        {
          kind: 'SINGLE_CHOICE',
          text: 'Pick A',
          choices: [
            { text: 'A', credit: 100, feedback: 'Yes' },
            { text: 'B', credit: 0, feedback: 'No' },
          ],
        },
        { kind: 'NUMERIC', text: 'Two?', numericAnswer: 2 },
      ]);
      const assignmentId = await startedAssignment(officer, worker, courseId);
      for (let n = 0; n < attempts; n++) {
        await takeQuiz(worker, assignmentId, (q) =>
          q.kind === 'NUMERIC' ? { number: 3 } : { choiceIds: [shownId(q, 'B')] },
        );
      }
      courses.push(courseId);
    }
    await worker.request(ATTEMPTS, { id: courses[0] }); // warm up
    let few: unknown;
    let many: { trainingAssignments: { nodes: { quizAttempts: { review: unknown }[] }[] } } | undefined;
    const one = await statementsFor(async () => (few = await ok(worker.request(ATTEMPTS, { id: courses[0] }))));
    const four = await statementsFor(async () => (many = await ok(worker.request(ATTEMPTS, { id: courses[1] }))));
    expect(few).toBeDefined();
    expect(many!.trainingAssignments.nodes[0]!.quizAttempts).toHaveLength(4);
    expect(many!.trainingAssignments.nodes[0]!.quizAttempts.every((attempt) => attempt.review !== null)).toBe(true);
    expect(four).toBe(one);
  });
});
