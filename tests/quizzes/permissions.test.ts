import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/core/permissions.js';
import { ROLES } from '../../src/core/permissions.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Who may call each quiz operation: the bank, a course's quiz and regrading are for admins and safety officers;
 * attempts for the assignee (any role that learns); reading an attempt for everyone (RLS narrows a worker to
 * their own). A refused role gets FORBIDDEN before anything runs; an allowed one gets past the check (here to
 * NOT_FOUND or null, the ids being random).
 */

const MANAGERS: Role[] = ['admin', 'safety_officer'];
const LEARNERS: Role[] = ['admin', 'safety_officer', 'worker'];
const id = randomUUID();
const QUESTION = '{ kind: NUMERIC, text: "How many?", numericAnswer: 3 }';

const OPERATIONS: [name: string, query: string, allowed: Role[]][] = [
  ['questions', '{ questions { totalCount } }', MANAGERS],
  ['question', `{ question(id: "${id}") { id } }`, MANAGERS],
  ['createQuestion', `mutation { createQuestion(input: ${QUESTION}) { id } }`, MANAGERS],
  ['updateQuestion', `mutation { updateQuestion(id: "${id}", input: ${QUESTION}) { id } }`, MANAGERS],
  ['importQuestions', 'mutation { importQuestions(format: GIFT, text: "Q?{T}") { imported } }', MANAGERS],
  [
    'setCourseQuiz',
    `mutation { setCourseQuiz(courseId: "${id}", input: { tags: ["a"], questionCount: 1, passMark: 50 }) { passMark } }`,
    MANAGERS,
  ],
  ['startQuizAttempt', `mutation { startQuizAttempt(assignmentId: "${id}") { id } }`, LEARNERS],
  [
    'saveQuizAnswer',
    `mutation { saveQuizAnswer(attemptId: "${id}", questionId: "${id}", answer: { number: 1 }) }`,
    LEARNERS,
  ],
  ['submitQuizAttempt', `mutation { submitQuizAttempt(attemptId: "${id}") { id } }`, LEARNERS],
  ['quizAttempt', `{ quizAttempt(id: "${id}") { id } }`, [...ROLES]],
  ['regradeQuiz', `mutation { regradeQuiz(courseId: "${id}") { changed } }`, MANAGERS],
];

let server: TestServer;
const actors = {} as Record<Role, Actor>;

beforeAll(async () => {
  server = await startTestServer();
  actors.admin = await server.actor('admin');
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    actors[role] = await server.actor(role, { tenantId: actors.admin.tenantId });
  }
}, setupTimeout(60_000));
afterAll(() => server?.stop());

describe('quiz operations by role', () => {
  const cases = OPERATIONS.flatMap(([name, query, allowed]) =>
    ROLES.map((role) => ({ name, query, role, allowed: allowed.includes(role) })),
  );
  it.each(cases)('$name as $role: allowed $allowed', async ({ query, role, allowed }) => {
    const response = await actors[role].request(query);
    const codes = (response.errors ?? []).map((error) => error.extensions?.code);
    if (allowed) expect(codes).not.toContain('FORBIDDEN');
    else expect(codes).toEqual(['FORBIDDEN']);
  });
});
