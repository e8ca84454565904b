import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTimeout } from '../support/citus.js';
import type { AnswerInput, QuestionInput } from '../../src/generated/operations/graphql.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import {
  courseWithQuiz,
  shownId,
  signIn,
  startedAssignment,
  takeQuiz,
  type ShownQuestion,
} from '../support/quizzes.js';

/**
 * The server scores each kind of question, with partial credit, from the answer saved: one question per quiz, so
 * each attempt's score is that question's credit.
 */

let server: TestServer;
let officer: Actor;
let worker: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  await signIn(worker);
}, setupTimeout(60_000));
afterAll(() => server?.stop());

type Given = (question: ShownQuestion) => AnswerInput | null;
const choose =
  (...texts: string[]): Given =>
  (q) => ({ choiceIds: texts.map((text) => shownId(q, text)) });

const QUESTIONS: Record<string, Omit<QuestionInput, 'tags'>> = {
  SINGLE_CHOICE: {
    kind: 'SINGLE_CHOICE',
    text: 'Which gas collects at the bottom of a tank?',
    choices: [
      { text: 'Hydrogen sulfide', credit: 100 },
      { text: 'Carbon dioxide', credit: 50 },
      { text: 'Methane', credit: 0 },
    ],
  },
  MULTIPLE_CHOICE: {
    kind: 'MULTIPLE_CHOICE',
    text: 'Which belong on a forklift pre-use check?',
    choices: [
      { text: 'Brakes', credit: 50 },
      { text: 'Horn', credit: 50 },
      { text: 'Radio', credit: -50 },
      { text: 'Cup holder', credit: -100 },
    ],
  },
  TRUE_FALSE: {
    kind: 'TRUE_FALSE',
    text: 'A harness must be inspected before each use.',
    choices: [
      { text: 'True', credit: 100 },
      { text: 'False', credit: 0 },
    ],
  },
  NUMERIC: { kind: 'NUMERIC', text: 'Gravity in m/s²?', numericAnswer: 9.81, tolerance: 0.05 },
  SHORT_ANSWER: {
    kind: 'SHORT_ANSWER',
    text: 'Name the rotten-egg gas.',
    acceptedAnswers: ['Hydrogen sulfide', 'H2S'],
  },
  MATCHING: {
    kind: 'MATCHING',
    text: 'Match each machine with what it moves.',
    choices: [
      { text: 'Forklift', matchText: 'Pallets' },
      { text: 'Crane', matchText: 'Loads overhead' },
      { text: 'Conveyor', matchText: 'Parcels' },
      { text: '', matchText: 'Water' },
    ],
  },
  ORDERING: {
    kind: 'ORDERING',
    text: 'Order the lockout steps.',
    choices: [{ text: 'Notify' }, { text: 'Shut down' }, { text: 'Isolate' }, { text: 'Lock and tag' }],
  },
};

const match =
  (pairs: [string, string][]): Given =>
  (q) => ({
    matches: pairs.map(([item, partner]) => ({ itemId: shownId(q, item, 'items'), choiceId: shownId(q, partner) })),
  });
const order =
  (...texts: string[]): Given =>
  (q) => ({ order: texts.map((text) => shownId(q, text)) });

const CASES: [kind: string, what: string, score: number, given: Given][] = [
  ['SINGLE_CHOICE', 'the right choice', 100, choose('Hydrogen sulfide')],
  ['SINGLE_CHOICE', 'a half-credit choice', 50, choose('Carbon dioxide')],
  ['SINGLE_CHOICE', 'a wrong choice', 0, choose('Methane')],
  ['SINGLE_CHOICE', 'no answer', 0, () => null],
  ['MULTIPLE_CHOICE', 'both right choices', 100, choose('Brakes', 'Horn')],
  ['MULTIPLE_CHOICE', 'one of two right choices', 50, choose('Horn')],
  ['MULTIPLE_CHOICE', 'both right and one wrong: credits add up', 50, choose('Brakes', 'Horn', 'Radio')],
  ['MULTIPLE_CHOICE', 'one right, one wrong', 0, choose('Brakes', 'Radio')],
  ['MULTIPLE_CHOICE', 'only a -100 % choice: clamped to 0', 0, choose('Cup holder')],
  ['MULTIPLE_CHOICE', 'nothing ticked', 0, choose()],
  ['TRUE_FALSE', 'True', 100, choose('True')],
  ['TRUE_FALSE', 'False', 0, choose('False')],
  ['NUMERIC', 'the exact number', 100, () => ({ number: 9.81 })],
  ['NUMERIC', 'within the tolerance', 100, () => ({ number: 9.77 })],
  ['NUMERIC', 'outside the tolerance', 0, () => ({ number: 9.7 })],
  ['SHORT_ANSWER', 'another case and spacing', 100, () => ({ text: '  hydrogen   SULFIDE ' })],
  ['SHORT_ANSWER', 'the other accepted answer, spaced out', 100, () => ({ text: 'h 2 s' })],
  ['SHORT_ANSWER', 'a wrong answer', 0, () => ({ text: 'methane' })],
  [
    'MATCHING',
    'every item with its partner',
    100,
    match([
      ['Forklift', 'Pallets'],
      ['Crane', 'Loads overhead'],
      ['Conveyor', 'Parcels'],
    ]),
  ],
  [
    'MATCHING',
    'two of three (one given the distractor)',
    66.67,
    match([
      ['Forklift', 'Pallets'],
      ['Crane', 'Loads overhead'],
      ['Conveyor', 'Water'],
    ]),
  ],
  ['MATCHING', 'one of three matched, the others left out', 33.33, match([['Crane', 'Loads overhead']])],
  ['ORDERING', 'the right order', 100, order('Notify', 'Shut down', 'Isolate', 'Lock and tag')],
  ['ORDERING', 'the first two swapped', 50, order('Shut down', 'Notify', 'Isolate', 'Lock and tag')],
  ['ORDERING', 'reversed', 0, order('Lock and tag', 'Isolate', 'Shut down', 'Notify')],
];

describe('scoring, per kind', () => {
  const assignments = new Map<string, string>();
  const assignmentOf = async (kind: string) => {
    if (!assignments.has(kind)) {
      const { courseId } = await courseWithQuiz(officer, [QUESTIONS[kind]!]);
      assignments.set(kind, await startedAssignment(officer, worker, courseId));
    }
    return assignments.get(kind)!;
  };

  const cases = CASES.map(([kind, what, score, given]) => ({ kind, what, score, given }));
  it.each(cases)('$kind, $what: $score %', async ({ kind, score, given }) => {
    const attempt = await takeQuiz(worker, await assignmentOf(kind), given);
    expect(attempt).toMatchObject({ status: 'SUBMITTED', score, passed: score >= 70 });
    expect(attempt.review?.score).toBe(score);
    expect(attempt.review?.questions?.[0]?.credit).toBe(score);
  });
});

describe('scoring, across questions', () => {
  it('weights each question by its points: the 3-point question right and the 1-point one wrong is 75 %', async () => {
    const { courseId } = await courseWithQuiz(officer, [
      { ...QUESTIONS.TRUE_FALSE!, points: 1 },
      { ...QUESTIONS.NUMERIC!, points: 3 },
    ]);
    const assignmentId = await startedAssignment(officer, worker, courseId);
    const attempt = await takeQuiz(worker, assignmentId, (q) =>
      q.kind === 'NUMERIC' ? { number: 9.81 } : choose('False')(q),
    );
    expect(attempt).toMatchObject({ score: 75, passed: true });
    const credits = Object.fromEntries(attempt.review!.questions!.map((q) => [q.questionId, q.credit]));
    expect(Object.values(credits).sort()).toEqual([0, 100]);
  });
});
