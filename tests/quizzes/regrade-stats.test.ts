import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTimeout } from '../support/citus.js';
import {
  QuestionDocument,
  QuestionStatsDocument,
  RegradeQuizDocument,
  UpdateQuestionDocument,
  type AnswerInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import {
  courseWithQuiz,
  shownId,
  signIn,
  startedAssignment,
  takeQuiz,
  type ShownQuestion,
} from '../support/quizzes.js';

/** Regrading after a key is fixed, and the item analysis of a quiz on a small data set computed by hand. */

let server: TestServer;
let officer: Actor;
const workers: Actor[] = [];

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('admin');
  for (let n = 0; n < 5; n++) {
    const worker = await server.actor('worker', { tenantId: officer.tenantId });
    await signIn(worker);
    workers.push(worker);
  }
}, setupTimeout(60_000));
afterAll(() => server?.stop());

/** Each assignment's status, its latest completion's result and its certificate's revocation reason. */
const standing = async (assignmentIds: string[]) =>
  (
    await server.owner.query<{ id: string; status: string; passed: boolean | null; revoke_reason: string | null }>(
      `SELECT a.id, a.status, c.passed, ce.revoke_reason
       FROM training_assignments a
       LEFT JOIN LATERAL (SELECT * FROM training_completions c WHERE c.tenant_id = a.tenant_id AND c.assignment_id = a.id
                          ORDER BY c.completed_at DESC LIMIT 1) c ON true
       LEFT JOIN certificates ce ON ce.tenant_id = c.tenant_id AND ce.completion_id = c.id
       WHERE a.id = ANY($1::uuid[])`,
      [assignmentIds],
    )
  )
    .sort((a, b) => assignmentIds.indexOf(a.id) - assignmentIds.indexOf(b.id))
    .map(({ id: _id, ...rest }) => rest);

const attemptRows = (courseId: string) =>
  server.owner.query<{ user_id: string; score: number; passed: boolean }>(
    'SELECT user_id, score, passed FROM quiz_attempts WHERE course_id = $1 ORDER BY user_id',
    [courseId],
  );

describe('regradeQuiz', () => {
  it('scores every submitted attempt again against the fixed key; passes lost and won follow to completions and certificates', async () => {
    const { courseId, questionIds } = await courseWithQuiz(
      officer,
      [
        {
          kind: 'SINGLE_CHOICE',
          text: 'Hand signal for emergency stop?',
          choices: [
            { text: 'One arm waved', credit: 100 },
            { text: 'Both arms waved', credit: 0 },
          ],
        },
      ],
      {},
      { requirements: { quiz: true, content: false, practicalEvaluation: false }, issuesCertificate: true },
    );
    const [first, second] = workers as [Actor, Actor];
    const answer = (text: string) => (q: ShownQuestion) => ({ choiceIds: [shownId(q, text)] });
    const [firstAssignment, secondAssignment] = [
      await startedAssignment(officer, first, courseId),
      await startedAssignment(officer, second, courseId),
    ];
    expect(await takeQuiz(first, firstAssignment, answer('One arm waved'))).toMatchObject({ score: 100, passed: true });
    expect(await takeQuiz(second, secondAssignment, answer('Both arms waved'))).toMatchObject({
      score: 0,
      passed: false,
    });
    expect(await standing([firstAssignment, secondAssignment])).toEqual([
      { status: 'completed', passed: true, revoke_reason: null },
      { status: 'in_progress', passed: null, revoke_reason: null },
    ]);

    // The key was wrong: both arms is the emergency stop.
    const question = (await ok(officer.request(QuestionDocument, { id: questionIds[0]! }))).question!;
    await ok(
      officer.request(UpdateQuestionDocument, {
        id: question.id,
        input: {
          kind: 'SINGLE_CHOICE',
          text: question.text,
          choices: question.choices.map((c) => ({ id: c.id, text: c.text, credit: c.credit === 100 ? 0 : 100 })),
        },
      }),
    );
    expect((await ok(officer.request(RegradeQuizDocument, { courseId }))).regradeQuiz).toEqual({
      attemptsRegraded: 2,
      changed: 2,
    });
    const byUser = Object.fromEntries((await attemptRows(courseId)).map((row) => [row.user_id, row]));
    expect(byUser[first.userId]).toMatchObject({ score: 0, passed: false });
    expect(byUser[second.userId]).toMatchObject({ score: 100, passed: true });
    // The first worker's completion no longer stands (certificate revoked, assignment reopened); the second's now does.
    expect(await standing([firstAssignment, secondAssignment])).toEqual([
      { status: 'assigned', passed: false, revoke_reason: 'regrade' },
      { status: 'completed', passed: true, revoke_reason: null },
    ]);
    // Nothing left to change.
    expect((await ok(officer.request(RegradeQuizDocument, { courseId }))).regradeQuiz).toEqual({
      attemptsRegraded: 2,
      changed: 0,
    });
  });

  it('is for admins and safety officers, in their own tenant', async () => {
    const { courseId } = await courseWithQuiz(officer, [{ kind: 'NUMERIC', text: 'Two?', numericAnswer: 2 }]);
    expect(errorCode(await workers[0]!.request(RegradeQuizDocument, { courseId }))).toBe('FORBIDDEN');
    const elsewhere = await server.actor('safety_officer');
    expect(errorCode(await elsewhere.request(RegradeQuizDocument, { courseId }))).toBe('NOT_FOUND');
  });
});

describe('questionStats', () => {
  let statsCourseId = '';
  it('gives answered, correct rate and point-biserial discrimination per question, as computed by hand', async () => {
    const tf = (text: string) => ({
      kind: 'TRUE_FALSE' as const,
      text,
      choices: [
        { text: 'True', credit: 100 },
        { text: 'False', credit: 0 },
      ],
    });
    const { courseId } = await courseWithQuiz(
      officer,
      [
        tf('Q1 Harnesses are inspected before use.'),
        tf('Q2 Guards stay on.'),
        { kind: 'NUMERIC', text: 'Q3 Two?', numericAnswer: 2, points: 2 },
      ],
      { passMark: 100 },
    );
    statsCourseId = courseId;
    // Credits per attempt (Q1, Q2, Q3; null: left unanswered).
    const credits: [number, number, number | null][] = [
      [1, 1, 1],
      [1, 1, 0],
      [1, 0, 1],
      [0, 0, null],
      [0, 1, 0],
    ];
    for (const [n, row] of credits.entries()) {
      const worker = workers[n]!;
      await takeQuiz(worker, await startedAssignment(officer, worker, courseId), (q): AnswerInput | null => {
        const credit = row[Number(q.text[1]) - 1]!;
        if (credit === null) return null;
        if (q.kind === 'NUMERIC') return { number: credit ? 2 : 3 };
        return { choiceIds: [shownId(q, credit ? 'True' : 'False')] };
      });
    }
    const analytics = (await ok(officer.request(QuestionStatsDocument, { courseId }))).trainingAnalytics;
    expect(analytics.byCourse.map((row) => row.course.id)).toEqual([courseId]);
    const stats = analytics.byCourse[0]!.questionStats;
    const byText = Object.fromEntries(stats.map((s) => [s.question.text.slice(0, 2), s]));
    // Q1: credits 1,1,1,0,0 against the rest of each attempt (100, 33.33, 66.67, 0, 33.33): r = 60 / √(1.2 × 5777.8).
    expect(byText.Q1).toMatchObject({ answered: 5, correctRate: 0.6, discrimination: 0.7206 });
    // Q2: credits 1,1,0,0,1 against (100, 33.33, 100, 0, 0): r = −6.667 / √(1.2 × 10222.2).
    expect(byText.Q2).toMatchObject({ answered: 5, correctRate: 0.6, discrimination: -0.0602 });
    // Q3 (2 points, one left unanswered): credits 1,0,1,0,0 against (100, 100, 50, 0, 50): r = 30 / √(1.2 × 7000).
    expect(byText.Q3).toMatchObject({ answered: 4, correctRate: 0.4, discrimination: 0.3273 });
  });

  it('is refused to workers, even on their own course', async () => {
    const response = await workers[0]!.request(QuestionStatsDocument, { courseId: statsCourseId });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
