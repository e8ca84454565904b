import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  QuizAttemptDocument,
  SaveQuizAnswerDocument,
  StartQuizAttemptDocument,
  SubmitQuizAttemptDocument,
  type QuestionInput,
} from '../../src/generated/operations/graphql.js';
import { runAsAppRole } from '../../src/core/caller/index.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { setupTimeout } from '../support/citus.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import {
  courseWithQuiz,
  saveAnswer,
  shownId,
  signIn,
  startAttempt,
  startedAssignment,
  submitAttempt,
  takeQuiz,
} from '../support/quizzes.js';
import { assignCourse } from '../support/training.js';

/** Attempts: saving, closing by submit and by deadline, attempt limits, who reads what, and that nothing leaks. */

let server: TestServer;
let officer: Actor;
let worker: Actor;
let other: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  other = await server.actor('worker', { tenantId: officer.tenantId });
  for (const actor of [worker, other]) await signIn(actor);
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const GAS: Omit<QuestionInput, 'tags'> = {
  kind: 'SINGLE_CHOICE',
  text: 'Which gas collects at the bottom of a tank?',
  choices: [
    { text: 'Hydrogen sulfide', credit: 100, feedback: 'Right: it is heavier than air.' },
    { text: 'Methane', credit: 0, feedback: 'Methane rises.' },
  ],
  generalFeedback: 'Heavier-than-air gases pool low.',
};
const GRAVITY: Omit<QuestionInput, 'tags'> = {
  kind: 'NUMERIC',
  text: 'Gravity in m/s²?',
  numericAnswer: 9.81,
  tolerance: 0.05,
};
const PAIRS: Omit<QuestionInput, 'tags'> = {
  kind: 'MATCHING',
  text: 'Match each machine with what it moves.',
  choices: [
    { text: 'Forklift', matchText: 'Pallets' },
    { text: 'Crane', matchText: 'Loads overhead' },
  ],
};

const answerRow = (attemptId: string) =>
  server.owner.query<{ revision: number; choice_ids: string[]; saved_at: Date }>(
    'SELECT revision, choice_ids::text[] AS choice_ids, saved_at FROM quiz_answers WHERE attempt_id = $1',
    [attemptId],
  );
const expire = (attemptId: string) =>
  server.owner.query(`UPDATE quiz_attempts SET deadline = now() - interval '1 minute' WHERE id = $1`, [attemptId]);

describe('saving answers', () => {
  it('is idempotent: the same answer twice is one save, another answer replaces it (latest wins)', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS]);
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    const question = attempt.questions[0]!;
    const [right, wrong] = [shownId(question, 'Hydrogen sulfide'), shownId(question, 'Methane')];
    expect(await saveAnswer(worker, attempt.id, question.id, { choiceIds: [wrong] })).toEqual({ saveQuizAnswer: true });
    const [first] = await answerRow(attempt.id);
    await saveAnswer(worker, attempt.id, question.id, { choiceIds: [wrong] });
    expect(await answerRow(attempt.id)).toEqual([first]);
    await saveAnswer(worker, attempt.id, question.id, { choiceIds: [right] });
    expect(await answerRow(attempt.id)).toMatchObject([{ revision: 2, choice_ids: [right] }]);
    const read = (await ok(worker.request(QuizAttemptDocument, { id: attempt.id }))).quizAttempt!;
    expect(read.questions[0]!.savedAnswer).toEqual({
      choiceIds: [right],
      number: null,
      text: null,
      matches: null,
      order: null,
    });
    expect(read).toMatchObject({ status: 'IN_PROGRESS', score: null, passed: null, review: null });
  });

  it('refuses an answer that does not fit its question with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS, GRAVITY, PAIRS]);
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    const byKind = Object.fromEntries(attempt.questions.map((q) => [q.kind, q]));
    const gas = byKind.SINGLE_CHOICE!;
    const pairs = byKind.MATCHING!;
    const before = await server.owner.fingerprints(['quiz_answers', 'quiz_attempts'], officer.tenantId);
    const refused: [string, string, Record<string, unknown>, string][] = [
      [attempt.id, gas.id, { choiceIds: gas.choices.map((c) => c.id) }, 'answer.choiceIds'],
      [attempt.id, gas.id, { choiceIds: [pairs.choices[0]!.id] }, 'answer.choiceIds[0]'],
      [attempt.id, gas.id, { number: 1 }, 'answer.number'],
      [attempt.id, gas.id, {}, 'answer.choiceIds'],
      [attempt.id, byKind.NUMERIC!.id, { text: '9.81' }, 'answer.text'],
      [
        attempt.id,
        pairs.id,
        { matches: [{ itemId: pairs.choices[0]!.id, choiceId: pairs.choices[0]!.id }] },
        'answer.matches[0].itemId',
      ],
      [
        attempt.id,
        pairs.id,
        { matches: [{ itemId: pairs.items![0]!.id, choiceId: pairs.items![1]!.id }] },
        'answer.matches[0].choiceId',
      ],
      [attempt.id, officer.userId, { choiceIds: [] }, 'questionId'],
      ['not-a-uuid', gas.id, { choiceIds: [] }, 'attemptId'],
    ];
    for (const [attemptId, questionId, answer, field] of refused) {
      const response = await worker.request(SaveQuizAnswerDocument, { attemptId, questionId, answer });
      expect(errorCode(response), JSON.stringify(answer)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe(field);
    }
    expect(await server.owner.fingerprints(['quiz_answers', 'quiz_attempts'], officer.tenantId)).toEqual(before);
  });
});

describe('closing', () => {
  it('after submitting, saving and submitting again get ATTEMPT_CLOSED and change nothing', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS]);
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    const question = attempt.questions[0]!;
    await saveAnswer(worker, attempt.id, question.id, { choiceIds: [shownId(question, 'Hydrogen sulfide')] });
    expect(await submitAttempt(worker, attempt.id)).toMatchObject({ status: 'SUBMITTED', score: 100, passed: true });
    const before = await answerRow(attempt.id);
    const save = await worker.request(SaveQuizAnswerDocument, {
      attemptId: attempt.id,
      questionId: question.id,
      answer: { choiceIds: [shownId(question, 'Methane')] },
    });
    expect(errorCode(save)).toBe('ATTEMPT_CLOSED');
    expect(errorCode(await worker.request(SubmitQuizAttemptDocument, { attemptId: attempt.id }))).toBe(
      'ATTEMPT_CLOSED',
    );
    expect(await answerRow(attempt.id)).toEqual(before);
  });

  it('after the deadline a save gets ATTEMPT_CLOSED; the next read shows the attempt scored with its saved answers', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS, GRAVITY], { timeLimitMinutes: 10 });
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    expect(new Date(attempt.deadline!).getTime() - new Date(attempt.startedAt).getTime()).toBe(10 * 60_000);
    const gas = attempt.questions.find((q) => q.kind === 'SINGLE_CHOICE')!;
    await saveAnswer(worker, attempt.id, gas.id, { choiceIds: [shownId(gas, 'Hydrogen sulfide')] });
    await expire(attempt.id);
    const late = await worker.request(SaveQuizAnswerDocument, {
      attemptId: attempt.id,
      questionId: attempt.questions.find((q) => q.kind === 'NUMERIC')!.id,
      answer: { number: 9.81 },
    });
    expect(errorCode(late)).toBe('ATTEMPT_CLOSED');
    const read = (await ok(worker.request(QuizAttemptDocument, { id: attempt.id }))).quizAttempt!;
    expect(read).toMatchObject({ status: 'SUBMITTED', score: 50, passed: false, review: { score: 50 } });
    // Stored by the deadline job (or the next write), not by the read.
    const [stored] = await server.owner.query<{ status: string }>('SELECT status FROM quiz_attempts WHERE id = $1', [
      attempt.id,
    ]);
    expect(stored!.status).toBe('in_progress');
  });

  it('the deadline job stores the expired attempts of every tenant, scored at their deadline, and nothing else', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS], { timeLimitMinutes: 10 });
    const expired = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    const open = await startAttempt(other, await startedAssignment(officer, other, courseId));
    const gas = expired.questions[0]!;
    await saveAnswer(worker, expired.id, gas.id, { choiceIds: [shownId(gas, 'Hydrogen sulfide')] });
    await expire(expired.id);
    // The job visits the tenants with an expired attempt only, not every tenant with a profile.
    await signIn(await server.actor('worker'));
    const due = await runAsAppRole(
      server.db.prisma,
      (tx) => tx.$queryRaw<{ t: string }[]>`SELECT t::text FROM scheduled_job_tenants('quiz_deadlines') AS t`,
    );
    expect(due.map((row) => row.t)).toEqual([officer.tenantId]);
    const summary = await runScheduledJob(jobRunner(server.db.prisma), jobNamed('quiz_deadlines'), new Date());
    expect(summary.failed).toBe(0);
    const rows = await server.owner.query<{ id: string; status: string; score: number | null; at_deadline: boolean }>(
      `SELECT id, status, score, submitted_at = deadline AS at_deadline FROM quiz_attempts WHERE id = ANY($1::uuid[])`,
      [[expired.id, open.id]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, row]))).toEqual({
      [expired.id]: { id: expired.id, status: 'submitted', score: 100, at_deadline: true },
      [open.id]: { id: open.id, status: 'in_progress', score: null, at_deadline: null },
    });
  });
});

describe('starting', () => {
  it('answers the attempt in progress instead of starting another', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS], { maxAttempts: 1 });
    const assignmentId = await startedAssignment(officer, worker, courseId);
    const first = await startAttempt(worker, assignmentId);
    const again = await startAttempt(worker, assignmentId);
    expect(again.id).toBe(first.id);
    expect(again.questions).toEqual(first.questions);
    expect(await server.owner.count('quiz_attempts', 'assignment_id = $1', [assignmentId])).toBe(1);
  });

  it('refuses with TOO_MANY_ATTEMPTS once none is left (no retryAfter) or during the cooldown (retryAfter)', async () => {
    const wrong = (q: { choices: { id: string; text: string }[] }) => ({ choiceIds: [shownId(q as never, 'Methane')] });
    const limited = await courseWithQuiz(officer, [GAS], { maxAttempts: 1 });
    const used = await startedAssignment(officer, worker, limited.courseId);
    expect(await takeQuiz(worker, used, wrong)).toMatchObject({ passed: false });
    const none = await worker.request(StartQuizAttemptDocument, { assignmentId: used });
    expect(errorCode(none)).toBe('TOO_MANY_ATTEMPTS');
    expect(none.errors![0]!.extensions).toEqual({ code: 'TOO_MANY_ATTEMPTS' });

    const cooling = await courseWithQuiz(officer, [GAS], { cooldownMinutes: 30 });
    const waiting = await startedAssignment(officer, worker, cooling.courseId);
    await takeQuiz(worker, waiting, wrong);
    const soon = await worker.request(StartQuizAttemptDocument, { assignmentId: waiting });
    expect(errorCode(soon)).toBe('TOO_MANY_ATTEMPTS');
    const retryAfter = (soon.errors![0]!.extensions as { retryAfter: number }).retryAfter;
    expect(retryAfter).toBeGreaterThan(29 * 60);
    expect(retryAfter).toBeLessThanOrEqual(30 * 60);
    // Once the cooldown has passed, the next attempt starts.
    await server.owner.query(
      `UPDATE quiz_attempts SET submitted_at = now() - interval '31 minutes' WHERE assignment_id = $1`,
      [waiting],
    );
    expect((await startAttempt(worker, waiting)).number).toBe(2);
  });

  it('refuses an assignment not started (CONFLICT) and one of someone else (NOT_FOUND)', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS]);
    const assigned = await assignCourse(officer, courseId, worker.userId);
    expect(errorCode(await worker.request(StartQuizAttemptDocument, { assignmentId: assigned }))).toBe('CONFLICT');
    expect(errorCode(await other.request(StartQuizAttemptDocument, { assignmentId: assigned }))).toBe('NOT_FOUND');
    expect(await server.owner.count('quiz_attempts', 'assignment_id = $1', [assigned])).toBe(0);
  });
});

describe('who reads what', () => {
  it("a worker never reads another worker's attempt, nor saves into or submits it", async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS]);
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    expect((await ok(other.request(QuizAttemptDocument, { id: attempt.id }))).quizAttempt).toBeNull();
    const question = attempt.questions[0]!;
    const save = await other.request(SaveQuizAnswerDocument, {
      attemptId: attempt.id,
      questionId: question.id,
      answer: { choiceIds: [question.choices[0]!.id] },
    });
    expect(errorCode(save)).toBe('NOT_FOUND');
    expect(errorCode(await other.request(SubmitQuizAttemptDocument, { attemptId: attempt.id }))).toBe('NOT_FOUND');
    // The officer reads it.
    expect((await ok(officer.request(QuizAttemptDocument, { id: attempt.id }))).quizAttempt!.id).toBe(attempt.id);
  });

  it('an attempt shows nothing of the key before its review: no credit, feedback, accepted answer or pairing', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS, GRAVITY, PAIRS]);
    const attempt = await startAttempt(worker, await startedAssignment(officer, worker, courseId));
    const text = JSON.stringify(attempt);
    for (const secret of ['Right: it is heavier', 'Methane rises', 'Heavier-than-air', '9.81', 'credit', 'feedback']) {
      expect(text).not.toContain(secret);
    }
    const pairs = attempt.questions.find((q) => q.kind === 'MATCHING')!;
    const itemIds = pairs.items!.map((item) => item.id);
    expect(pairs.choices.map((c) => c.text).sort()).toEqual(['Loads overhead', 'Pallets']);
    expect(pairs.choices.some((c) => itemIds.includes(c.id))).toBe(false);
  });
});

describe('review', () => {
  const reviewAfter = async (review: 'NONE' | 'SCORE' | 'ANSWERS_AFTER_PASS', pass: boolean[]) => {
    const { courseId } = await courseWithQuiz(officer, [GAS], { review });
    const assignmentId = await startedAssignment(officer, worker, courseId);
    const attempts = [];
    for (const right of pass) {
      attempts.push(
        await takeQuiz(worker, assignmentId, (q) => ({
          choiceIds: [shownId(q, right ? 'Hydrogen sulfide' : 'Methane')],
        })),
      );
    }
    return attempts;
  };

  it('NONE shows no review, SCORE the score only', async () => {
    const [none] = await reviewAfter('NONE', [true]);
    expect(none).toMatchObject({ score: 100, passed: true, review: null });
    const [scored] = await reviewAfter('SCORE', [false]);
    expect(scored!.review).toEqual({ score: 0, passed: false, questions: null });
  });

  it('ANSWERS_AFTER_PASS shows the score before a pass and the answers with feedback once passed', async () => {
    const [failed, passed] = await reviewAfter('ANSWERS_AFTER_PASS', [false, true]);
    expect(failed!.review).toEqual({ score: 0, passed: false, questions: null });
    const question = passed!.questions[0]!;
    expect(passed!.review!.questions).toEqual([
      {
        questionId: question.id,
        credit: 100,
        correctAnswer: {
          choiceIds: [shownId(question, 'Hydrogen sulfide')],
          number: null,
          text: null,
          matches: null,
          order: null,
        },
        acceptedAnswers: [],
        tolerance: null,
        feedback: ['Right: it is heavier than air.', 'Heavier-than-air gases pool low.'],
      },
    ]);
    // The failed attempt's answers show too, now that the assignment has a pass.
    const again = (await ok(worker.request(QuizAttemptDocument, { id: failed!.id }))).quizAttempt!;
    expect(again.review!.questions![0]!.feedback).toEqual(['Methane rises.', 'Heavier-than-air gases pool low.']);
  });
});

describe('completing', () => {
  const REQUIRES_QUIZ = {
    requirements: { quiz: true, content: false, practicalEvaluation: false },
    issuesCertificate: true,
    expiryMonths: 12,
  };
  const assignmentState = (assignmentId: string) =>
    server.owner.query<{ status: string; source: string | null; score: number | null; certificates: number }>(
      `SELECT a.status, c.source, c.score::float8 AS score,
              (SELECT count(*)::int FROM certificates ce
               WHERE ce.tenant_id = c.tenant_id AND ce.completion_id = c.id) AS certificates
       FROM training_assignments a
       LEFT JOIN training_completions c ON c.tenant_id = a.tenant_id AND c.assignment_id = a.id AND c.passed
       WHERE a.id = $1`,
      [assignmentId],
    );
  const pick = (text: string) => (q: { choices: { id: string; text: string }[] }) => ({
    choiceIds: [shownId(q as never, text)],
  });

  it('a failed attempt leaves a course that requires the quiz open; a passed one completes it with its score', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS], {}, REQUIRES_QUIZ);
    const assignmentId = await startedAssignment(officer, worker, courseId);
    await takeQuiz(worker, assignmentId, pick('Methane'));
    expect(await assignmentState(assignmentId)).toEqual([
      { status: 'in_progress', source: null, score: null, certificates: 0 },
    ]);
    await takeQuiz(worker, assignmentId, pick('Hydrogen sulfide'));
    expect(await assignmentState(assignmentId)).toEqual([
      { status: 'completed', source: 'quiz', score: 100, certificates: 1 },
    ]);
    // Completed: no further attempt.
    expect(errorCode(await worker.request(StartQuizAttemptDocument, { assignmentId }))).toBe('CONFLICT');
  });

  it('a pass closed by the deadline job completes the assignment too', async () => {
    const { courseId } = await courseWithQuiz(officer, [GAS], { timeLimitMinutes: 5 }, REQUIRES_QUIZ);
    const assignmentId = await startedAssignment(officer, other, courseId);
    const attempt = await startAttempt(other, assignmentId);
    const gas = attempt.questions[0]!;
    await saveAnswer(other, attempt.id, gas.id, { choiceIds: [shownId(gas, 'Hydrogen sulfide')] });
    await expire(attempt.id);
    const summary = await runScheduledJob(
      jobRunner(server.db.prisma),
      jobNamed('quiz_deadlines'),
      new Date(Date.now() + 60_000),
    );
    expect(summary.failed).toBe(0);
    expect(await assignmentState(assignmentId)).toEqual([
      { status: 'completed', source: 'quiz', score: 100, certificates: 1 },
    ]);
  });
});
