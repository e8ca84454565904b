import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CourseQuizDocument,
  CreateQuestionDocument,
  ImportQuestionsDocument,
  QuestionDocument,
  QuestionsDocument,
  SetCourseQuizDocument,
  UpdateQuestionDocument,
  type QuestionInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { createQuestion } from '../support/quizzes.js';
import { createCourse } from '../support/training.js';
import { setupTimeout } from '../support/citus.js';

/** The question bank and a course's quiz: officers write them, checked per kind; workers never read the bank. */

let server: TestServer;
let officer: Actor;
let worker: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId });
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const bank = () => server.owner.fingerprints(['quiz_questions', 'quiz_choices'], officer.tenantId);

const VALID: Record<string, QuestionInput> = {
  SINGLE_CHOICE: {
    kind: 'SINGLE_CHOICE',
    text: 'Pick one',
    tags: ['bank'],
    choices: [
      { text: 'A', credit: 100 },
      { text: 'B', credit: 0 },
    ],
  },
  MULTIPLE_CHOICE: {
    kind: 'MULTIPLE_CHOICE',
    text: 'Pick some',
    tags: ['bank'],
    choices: [
      { text: 'A', credit: 33.333 },
      { text: 'B', credit: 33.333 },
      { text: 'C', credit: 33.333 },
      { text: 'D', credit: -100 },
    ],
  },
  TRUE_FALSE: {
    kind: 'TRUE_FALSE',
    text: 'True?',
    tags: ['bank'],
    choices: [
      { text: 'True', credit: 0 },
      { text: 'False', credit: 100 },
    ],
  },
  NUMERIC: { kind: 'NUMERIC', text: 'How many?', tags: ['bank'], numericAnswer: 3 },
  SHORT_ANSWER: { kind: 'SHORT_ANSWER', text: 'Say it', tags: ['bank'], acceptedAnswers: ['it'] },
  MATCHING: {
    kind: 'MATCHING',
    text: 'Match',
    tags: ['bank'],
    choices: [
      { text: 'A', matchText: '1' },
      { text: 'B', matchText: '2' },
    ],
  },
  ORDERING: { kind: 'ORDERING', text: 'Order', tags: ['bank'], choices: [{ text: 'first' }, { text: 'second' }] },
};

const REFUSED: [what: string, input: QuestionInput, field: string][] = [
  ['an empty text', { ...VALID.NUMERIC!, text: '  ' }, 'input.text'],
  ['no points', { ...VALID.NUMERIC!, points: 0 }, 'input.points'],
  ['a NUMERIC question without its answer', { ...VALID.NUMERIC!, numericAnswer: null }, 'input.numericAnswer'],
  ['a negative tolerance', { ...VALID.NUMERIC!, tolerance: -1 }, 'input.tolerance'],
  ['choices on a NUMERIC question', { ...VALID.NUMERIC!, choices: [{ text: 'x' }] }, 'input.choices'],
  [
    'a SHORT_ANSWER question without accepted answers',
    { ...VALID.SHORT_ANSWER!, acceptedAnswers: [] },
    'input.acceptedAnswers',
  ],
  [
    'accepted answers on a choice question',
    { ...VALID.SINGLE_CHOICE!, acceptedAnswers: ['A'] },
    'input.acceptedAnswers',
  ],
  [
    'a SINGLE_CHOICE question without a right choice',
    { ...VALID.SINGLE_CHOICE!, choices: [{ text: 'A', credit: 50 }, { text: 'B' }] },
    'input.choices',
  ],
  [
    'a negative credit on a SINGLE_CHOICE choice',
    {
      ...VALID.SINGLE_CHOICE!,
      choices: [
        { text: 'A', credit: 100 },
        { text: 'B', credit: -10 },
      ],
    },
    'input.choices[1].credit',
  ],
  [
    'MULTIPLE_CHOICE credits not adding up to 100',
    {
      ...VALID.MULTIPLE_CHOICE!,
      choices: [
        { text: 'A', credit: 50 },
        { text: 'B', credit: 40 },
      ],
    },
    'input.choices',
  ],
  [
    'a credit over 100',
    {
      ...VALID.MULTIPLE_CHOICE!,
      choices: [
        { text: 'A', credit: 150 },
        { text: 'B', credit: -50 },
      ],
    },
    'input.choices[0].credit',
  ],
  [
    'TRUE_FALSE choices other than True and False',
    { ...VALID.TRUE_FALSE!, choices: [{ text: 'Yes', credit: 100 }, { text: 'No' }] },
    'input.choices',
  ],
  [
    'TRUE_FALSE with both right',
    {
      ...VALID.TRUE_FALSE!,
      choices: [
        { text: 'True', credit: 100 },
        { text: 'False', credit: 100 },
      ],
    },
    'input.choices',
  ],
  [
    'a MATCHING item without its partner',
    { ...VALID.MATCHING!, choices: [{ text: 'A', matchText: '1' }, { text: 'B' }] },
    'input.choices[1].matchText',
  ],
  [
    'a partner on a choice question',
    { ...VALID.SINGLE_CHOICE!, choices: [{ text: 'A', credit: 100, matchText: '1' }, { text: 'B' }] },
    'input.choices[0].matchText',
  ],
  ['an ORDERING question with one choice', { ...VALID.ORDERING!, choices: [{ text: 'only' }] }, 'input.choices'],
  ['an empty tag', { ...VALID.NUMERIC!, tags: [''] }, 'input.tags[0]'],
  [
    'a choice id that is not a UUID',
    { ...VALID.ORDERING!, choices: [{ id: 'x', text: 'a' }, { text: 'b' }] },
    'input.choices[0].id',
  ],
];

describe('the question bank', () => {
  it.each(Object.entries(VALID))('creates a well-formed %s question', async (kind, input) => {
    const created = (await ok(officer.request(CreateQuestionDocument, { input }))).createQuestion;
    expect(created).toMatchObject({ kind, text: input.text, points: 1, tags: ['bank'] });
    expect(created.choices.map((choice) => choice.text)).toEqual((input.choices ?? []).map((choice) => choice.text));
  });

  it.each(REFUSED)('refuses %s with BAD_USER_INPUT at its field, writing nothing', async (_what, input, field) => {
    const before = await bank();
    const response = await officer.request(CreateQuestionDocument, { input });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await bank()).toEqual(before);
  });

  it('updates a question keeping the choices sent with their ids, removing the others', async () => {
    const id = await createQuestion(officer, {
      kind: 'SINGLE_CHOICE',
      text: 'Which extinguisher for electrical fires?',
      tags: ['fire'],
      choices: [
        { text: 'Water', credit: 100 },
        { text: 'CO2', credit: 0 },
        { text: 'Foam', credit: 0 },
      ],
    });
    const before = (await ok(officer.request(QuestionDocument, { id }))).question!;
    const [water, co2] = before.choices;
    const fixed = (
      await ok(
        officer.request(UpdateQuestionDocument, {
          id,
          input: {
            kind: 'SINGLE_CHOICE',
            text: before.text,
            tags: ['fire', 'electrical'],
            choices: [
              { id: co2!.id, text: 'CO2', credit: 100, feedback: 'No conductive agent.' },
              { id: water!.id, text: 'Water', credit: 0 },
              { text: 'Powder', credit: 50 },
            ],
          },
        }),
      )
    ).updateQuestion;
    expect(fixed.choices.map((c) => [c.text, c.credit])).toEqual([
      ['CO2', 100],
      ['Water', 0],
      ['Powder', 50],
    ]);
    expect(fixed.choices.slice(0, 2).map((c) => c.id)).toEqual([co2!.id, water!.id]);
    expect(await server.owner.count('quiz_choices', 'question_id = $1', [id])).toBe(3);

    const foreign = await officer.request(UpdateQuestionDocument, {
      id,
      input: { kind: 'SINGLE_CHOICE', text: 'x', choices: [{ id: id, text: 'A', credit: 100 }, { text: 'B' }] },
    });
    expect(errorCode(foreign)).toBe('BAD_USER_INPUT');
    expect(foreign.errors![0]!.extensions!.field).toBe('input.choices[0].id');
    expect((await ok(officer.request(QuestionDocument, { id }))).question!.text).toBe(before.text);
  });

  it('lists questions by tag and text, a page at a time', async () => {
    for (const n of [1, 2, 3]) {
      await createQuestion(officer, { ...VALID.NUMERIC!, text: `Ladder rung ${n}`, tags: ['ladders'] });
    }
    const first = (await ok(officer.request(QuestionsDocument, { filter: { tag: 'ladders' }, first: 2 }))).questions;
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((q) => q.text)).toEqual(['Ladder rung 3', 'Ladder rung 2']);
    const rest = (
      await ok(
        officer.request(QuestionsDocument, { filter: { tag: 'ladders' }, first: 2, after: first.pageInfo.endCursor }),
      )
    ).questions;
    expect(rest.nodes.map((q) => q.text)).toEqual(['Ladder rung 1']);
    const found = (await ok(officer.request(QuestionsDocument, { filter: { search: 'RUNG 2' } }))).questions;
    expect(found.nodes.map((q) => q.text)).toEqual(['Ladder rung 2']);
  });

  it('is closed to workers: FORBIDDEN to read or write', async () => {
    const id = await createQuestion(officer, VALID.NUMERIC!);
    expect(errorCode(await worker.request(QuestionsDocument, {}))).toBe('FORBIDDEN');
    expect(errorCode(await worker.request(QuestionDocument, { id }))).toBe('FORBIDDEN');
    expect(errorCode(await worker.request(CreateQuestionDocument, { input: VALID.NUMERIC! }))).toBe('FORBIDDEN');
    expect(errorCode(await worker.request(UpdateQuestionDocument, { id, input: VALID.NUMERIC! }))).toBe('FORBIDDEN');
  });
});

describe('importing GIFT', () => {
  const GIFT = [
    '// Forklift basics, for the course quiz',
    '$CATEGORY: $course$/top/forklift-basics',
    '',
    '::Load centre:: Where is a load carried?{=Low and tilted back#Right. ~High for visibility ~Tilted forward}',
    '',
    'Forks are lowered fully when parked.{T}',
    '',
    'What is the rated capacity in kg?{#1500:0}',
    '',
    'A broken question {=one ~two',
    '',
    'Too many choices{=a ~b ~c ~d ~e ~f ~g ~h ~i ~j ~k ~l ~m ~n ~o ~p ~q ~r ~s ~t ~u}',
    '',
    'Order the start-up checks.{=Walk around -> 1 =Seat belt -> 2 =Horn -> 3}',
  ].join('\n');

  it('adds the questions it reads, tagged by their category, and reports the others with their line', async () => {
    const before = await server.owner.count('quiz_questions', 'tenant_id = $1', [officer.tenantId]);
    const result = (await ok(officer.request(ImportQuestionsDocument, { format: 'GIFT', text: GIFT }))).importQuestions;
    expect(result.imported).toBe(4);
    expect(result.questions.map((q) => [q.kind, q.tags])).toEqual([
      ['SINGLE_CHOICE', ['forklift-basics']],
      ['TRUE_FALSE', ['forklift-basics']],
      ['NUMERIC', ['forklift-basics']],
      ['MATCHING', ['forklift-basics']],
    ]);
    expect(result.questions[0]!.choices.find((c) => c.credit === 100)).toMatchObject({
      text: 'Low and tilted back',
      feedback: 'Right.',
    });
    expect(result.errors.map((e) => e.line)).toEqual([10, 12]);
    expect(result.errors[1]!.message).toMatch(/at most 20 choices/);
    expect(await server.owner.count('quiz_questions', 'tenant_id = $1', [officer.tenantId])).toBe(before + 4);
  });

  it('is closed to workers', async () => {
    expect(errorCode(await worker.request(ImportQuestionsDocument, { format: 'GIFT', text: GIFT }))).toBe('FORBIDDEN');
  });
});

describe("a course's quiz", () => {
  it('is set by an officer, read by everyone on the course, and checked', async () => {
    const courseId = await createCourse(officer, { title: 'Forklift basics', category: 'EQUIPMENT_SAFETY' });
    const input = { tags: ['forklift'], questionCount: 10, passMark: 80, timeLimitMinutes: 20, maxAttempts: 3 };
    const quiz = (await ok(officer.request(SetCourseQuizDocument, { courseId, input }))).setCourseQuiz;
    expect(quiz).toEqual({ ...input, cooldownMinutes: 0, shuffleChoices: true, review: 'SCORE' });
    expect((await ok(worker.request(CourseQuizDocument, { id: courseId }))).trainingCourse!.quiz).toEqual(quiz);
    const changed = (
      await ok(officer.request(SetCourseQuizDocument, { courseId, input: { ...input, review: 'ANSWERS' } }))
    ).setCourseQuiz;
    expect(changed.review).toBe('ANSWERS');
    expect(await server.owner.count('course_quizzes', 'course_id = $1', [courseId])).toBe(1);

    const refused: [Record<string, unknown>, string][] = [
      [{ tags: [] }, 'input.tags'],
      [{ questionCount: 0 }, 'input.questionCount'],
      [{ passMark: 101 }, 'input.passMark'],
      [{ timeLimitMinutes: 0 }, 'input.timeLimitMinutes'],
      [{ cooldownMinutes: -1 }, 'input.cooldownMinutes'],
    ];
    for (const [change, field] of refused) {
      const response = await officer.request(SetCourseQuizDocument, { courseId, input: { ...input, ...change } });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe(field);
    }
    expect((await ok(worker.request(CourseQuizDocument, { id: courseId }))).trainingCourse!.quiz!.review).toBe(
      'ANSWERS',
    );
    expect(errorCode(await worker.request(SetCourseQuizDocument, { courseId, input }))).toBe('FORBIDDEN');
    const elsewhere = await server.actor('admin');
    expect(errorCode(await elsewhere.request(SetCourseQuizDocument, { courseId, input }))).toBe('NOT_FOUND');
  });
});
