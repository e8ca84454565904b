import { getNamedType, isNonNullType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerInput, QuizReview } from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import { LEAK_BANK, leaksIn } from '../support/quiz-leaks.js';
import {
  courseWithQuiz,
  saveAnswer,
  signIn,
  startAttempt,
  startedAssignment,
  type ShownQuestion,
} from '../support/quizzes.js';
import {
  leafPaths,
  pathName,
  planReads,
  printSelections,
  reaches,
  readPlanned,
  selectEverything,
  selectToward,
  type ReadPlan,
  type Selection,
} from '../support/schema-walk.js';
import { errorCode, startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Nothing leaks: whatever the schema can reach from a quiz attempt or the question bank, read by the assignee at
 * every stage where the quiz's review shows no answers, carries nothing of the key. The queries are built from
 * the schema (every root field that reaches QuizAttempt, AttemptQuestion, Question or Choice, and every field of
 * those and below), so a field added later is read too.
 */

const DEPTH = 6;
const TARGETS = new Set(['QuizAttempt', 'AttemptQuestion', 'Question', 'Choice']);
const ENTITY_TYPES = ['Assignment', 'Course', 'User', 'Completion'];
/** The mutations answering quiz types: the assignee's, read at every stage, and the bank's, refused to workers. */
const TAKING = ['startQuizAttempt', 'submitQuizAttempt'];
const BANK_WRITES = ['createQuestion', 'updateQuestion', 'importQuestions'];

let server: TestServer;
let officer: Actor;
let planner: Actor;
let tag: string;
let questionIds: string[];
let choiceIds: Set<string>;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  planner = await server.actor('worker');
  ({ tag, questionIds } = await courseWithQuiz(officer, LEAK_BANK));
  const rows = await server.owner.query<{ id: string }>('SELECT id::text FROM quiz_choices WHERE tenant_id = $1', [
    officer.tenantId,
  ]);
  choiceIds = new Set(rows.map((row) => row.id));
}, setupTimeout(60_000));
afterAll(() => server?.stop());

interface Ids {
  userId: string;
  courseId: string;
  assignmentId: string;
  attemptId: string;
}

/** A wrong or partly right answer of each kind (the worker's own saved answers show what they gave, not the key). */
function guess(question: ShownQuestion): AnswerInput {
  const [first, second] = question.choices;
  switch (question.kind) {
    case 'NUMERIC':
      return { number: 12 };
    case 'SHORT_ANSWER':
      return { text: 'a guess' };
    case 'MATCHING':
      return {
        matches: question.items!.map((item, index) => ({ itemId: item.id, choiceId: question.choices[index]!.id })),
      };
    case 'ORDERING':
      return { order: question.choices.map((choice) => choice.id) };
    case 'MULTIPLE_CHOICE':
      return { choiceIds: [first!.id, second!.id] };
    default:
      return { choiceIds: [first!.id] };
  }
}

/** The argument lists to try a root field with: every id of the scenario for an `id`, the entities for `_entities`. */
function argumentVariants(ids: Ids, field: GraphQLField<unknown, unknown>): string[] {
  const representations = ENTITY_TYPES.flatMap((type) =>
    Object.values(ids).map((id) => `{ __typename: "${type}", id: "${id}" }`),
  );
  const candidates: Record<string, string[]> = {
    id: [ids.attemptId, ids.assignmentId, ids.courseId, questionIds[0]!, [...choiceIds][0]!].map((id) => `"${id}"`),
    userId: [`"${ids.userId}"`],
    representations: [`[${representations.join(', ')}]`],
  };
  let variants = [field.args.some((arg) => arg.name === 'first') ? ['first: 2'] : []];
  for (const arg of field.args.filter((candidate) => isNonNullType(candidate.type))) {
    const values = candidates[arg.name];
    if (!values) throw new Error(`no value known for the argument ${arg.name} of Query.${field.name}`);
    variants = variants.flatMap((variant) => values.map((value) => [...variant, `${arg.name}: ${value}`]));
  }
  return variants.map((variant) => variant.join(', '));
}

/** Every root query field reaching the quiz types, with the selections to read through it. */
const ROOTS = Object.values(schema.getQueryType()!.getFields()).flatMap((field) => {
  const type = getNamedType(field.type).name;
  if (!reaches(schema, type, TARGETS)) return [];
  // A root answering a quiz type itself is read with everything below it, its way back to the assignment too.
  const selections = TARGETS.has(type)
    ? selectEverything(schema, type, DEPTH - 1)
    : selectToward(schema, type, TARGETS, DEPTH - 1);
  return [{ field, selections }];
});

interface Reading {
  responses: GraphQLResponse<unknown>[];
  /** The paths read (root field first). */
  answered: Set<string>;
}

const plans = new Map<string, Promise<ReadPlan>>();

/**
 * Everything the actor reads through the root queries reaching quiz types, given these ids as arguments. Each root
 * is read in the parts its plan found, made once by a worker of another tenant (no limit depends on the data).
 */
async function readEverything(actor: Actor, ids: Ids): Promise<Reading> {
  const reading: Reading = { responses: [], answered: new Set() };
  for (const { field, selections } of ROOTS) {
    const variants = argumentVariants(ids, field);
    const query = (args: string) => (q: string) => `{ ${field.name}${args ? `(${args})` : ''} { ${q} } }`;
    if (!plans.has(field.name)) plans.set(field.name, planReads(planner, selections, query(variants[0]!)));
    const plan = await plans.get(field.name)!;
    for (const path of plan.answered) reading.answered.add(`${field.name}.${path}`);
    for (const args of variants) reading.responses.push(...(await readPlanned(actor, plan, query(args))));
  }
  return reading;
}

/** The attempt's own fields and below, without the way back to its assignment (the root queries read that). */
const ATTEMPT_ITSELF: Selection[] = selectEverything(schema, 'QuizAttempt', DEPTH - 1).filter(
  (selection) => selection.field !== 'assignment',
);

/** A mutation answering a QuizAttempt, with all of ATTEMPT_ITSELF selected. */
async function mutate(actor: Actor, mutation: string): Promise<GraphQLResponse<unknown>> {
  const response = await actor.request(`mutation { ${mutation} { ${printSelections(ATTEMPT_ITSELF)} } }`);
  expect(response.errors).toBeUndefined();
  return response;
}

const STAGES = ['in progress', 'NONE', 'SCORE', 'ANSWERS_AFTER_PASS failed', 'past its deadline (SCORE)'] as const;
type Stage = (typeof STAGES)[number] | 'ANSWERS';

const REVIEW_OF: Record<Stage, QuizReview> = {
  'in progress': 'ANSWERS',
  NONE: 'NONE',
  SCORE: 'SCORE',
  'ANSWERS_AFTER_PASS failed': 'ANSWERS_AFTER_PASS',
  'past its deadline (SCORE)': 'SCORE',
  ANSWERS: 'ANSWERS',
};

/** A worker of their own whose attempt (every question answered) is at `stage`; what the mutations answered. */
async function attemptAt(stage: Stage) {
  const { courseId } = await courseWithQuiz(officer, [], {
    tags: [tag],
    questionCount: LEAK_BANK.length,
    timeLimitMinutes: 60,
    review: REVIEW_OF[stage],
  });
  const worker = await server.actor('worker', { tenantId: officer.tenantId });
  await signIn(worker);
  const assignmentId = await startedAssignment(officer, worker, courseId);
  const attempt = await startAttempt(worker, assignmentId);
  expect(attempt.questions).toHaveLength(LEAK_BANK.length);
  for (const question of attempt.questions) await saveAnswer(worker, attempt.id, question.id, guess(question));
  const ids: Ids = { userId: worker.userId, courseId, assignmentId, attemptId: attempt.id };
  const responses = [await mutate(worker, `startQuizAttempt(assignmentId: "${assignmentId}")`)];
  if (stage === 'past its deadline (SCORE)') {
    await server.owner.query(`UPDATE quiz_attempts SET deadline = now() - interval '1 minute' WHERE id = $1`, [
      attempt.id,
    ]);
  } else if (stage !== 'in progress') {
    responses.push(await mutate(worker, `submitQuizAttempt(attemptId: "${attempt.id}")`));
  }
  return { worker, ids, responses };
}

const leaksOf = (responses: GraphQLResponse<unknown>[]) =>
  responses.flatMap((response) => leaksIn(response, choiceIds));

describe('what the assignee reads of their own attempt', () => {
  it.each(STAGES)('%s: no response carries anything of the key', { timeout: 120_000 }, async (stage) => {
    const { worker, ids, responses } = await attemptAt(stage);
    const reading = await readEverything(worker, ids);
    expect(leaksOf([...responses, ...reading.responses])).toEqual([]);
    // The reads covered the attempt: each of its fields and below was answered through quizAttempt(id)…
    const attemptPaths = leafPaths(ATTEMPT_ITSELF).map((path) => `quizAttempt.${pathName(path)}`);
    expect(attemptPaths.filter((path) => !reading.answered.has(path))).toEqual([]);
    // …about the attempt itself, open or closed as the stage has it.
    const statuses = reading.responses.map(
      (r) => (r.data as { quizAttempt?: { status?: string } } | null)?.quizAttempt?.status,
    );
    expect(statuses.filter(Boolean)).toEqual([stage === 'in progress' ? 'IN_PROGRESS' : 'SUBMITTED']);
  });

  it(
    'the same reads show the key once the review allows it: the scan finds what would leak',
    { timeout: 120_000 },
    async () => {
      const { worker, ids, responses } = await attemptAt('ANSWERS');
      const leaks = leaksOf([...responses, ...(await readEverything(worker, ids)).responses]);
      expect(leaks.some((leak) => leak.startsWith('a secret marker'))).toBe(true);
      expect(
        leaks.some((leak) => /correctAnswer\.choiceIds\.0 /.test(leak) || /choice id at .*correctAnswer/.test(leak)),
      ).toBe(true);
      expect(leaks.some((leak) => leak.startsWith('the number'))).toBe(true);
    },
  );
});

describe('the bank, and attempts of others', () => {
  // Through an entity (an assignment, a course…) a mutation's answer shows what the query roots read of it.
  const quizMutations = Object.values(schema.getMutationType()!.getFields()).filter((field) =>
    reaches(schema, getNamedType(field.type).name, TARGETS, new Set(ENTITY_TYPES)),
  );

  it('the other mutations answering quiz types are the ones these tests send', () => {
    expect(quizMutations.map((field) => field.name).sort()).toEqual([...TAKING, ...BANK_WRITES].sort());
  });

  it('a worker gets FORBIDDEN and no data from every read and write of the bank, and writes nothing', async () => {
    const worker = await server.actor('worker', { tenantId: officer.tenantId });
    await signIn(worker);
    const question = printSelections(selectEverything(schema, 'Question', DEPTH - 1));
    const input = `{ kind: SINGLE_CHOICE, text: "Which?", tags: ["${tag}"], choices: [{ text: "A", credit: 100 }, { text: "B" }] }`;
    const requests: [string, string][] = [
      ['question', `{ question(id: "${questionIds[0]}") { ${question} } }`],
      ['questions', `{ questions(first: 5) { totalCount nodes { ${question} } } }`],
      ['createQuestion', `mutation { createQuestion(input: ${input}) { ${question} } }`],
      ['updateQuestion', `mutation { updateQuestion(id: "${questionIds[0]}", input: ${input}) { ${question} } }`],
      [
        'importQuestions',
        `mutation { importQuestions(format: GIFT, text: "Q {=A ~B}") { imported questions { ${question} } } }`,
      ],
    ];
    const before = await server.owner.fingerprints(['quiz_questions', 'quiz_choices'], officer.tenantId);
    for (const [field, query] of requests) {
      const response = await worker.request(query);
      expect(errorCode(response), field).toBe('FORBIDDEN');
      expect((response.data as Record<string, unknown> | null)?.[field] ?? null, field).toBeNull();
      expect(leaksIn(response, choiceIds)).toEqual([]);
    }
    expect(await server.owner.fingerprints(['quiz_questions', 'quiz_choices'], officer.tenantId)).toEqual(before);
  });

  it.each(['the same tenant', 'another tenant'])(
    "a worker of %s reads nothing of another's attempt through any query, and cannot start, save into or submit it",
    { timeout: 120_000 },
    async (where) => {
      const { ids } = await attemptAt('in progress');
      const intruder = await server.actor('worker', where === 'the same tenant' ? { tenantId: officer.tenantId } : {});
      await signIn(intruder);
      const before = await server.owner.fingerprints(['quiz_attempts', 'quiz_answers'], officer.tenantId);
      const reading = await readEverything(intruder, ids);
      expect(leaksOf(reading.responses)).toEqual([]);
      const data = JSON.stringify(reading.responses.map((response) => response.data));
      expect(data).not.toContain(ids.attemptId);
      expect(data).not.toContain(ids.assignmentId);
      const attempt = printSelections(ATTEMPT_ITSELF);
      for (const mutation of [
        `startQuizAttempt(assignmentId: "${ids.assignmentId}") { ${attempt} }`,
        `submitQuizAttempt(attemptId: "${ids.attemptId}") { ${attempt} }`,
        `saveQuizAnswer(attemptId: "${ids.attemptId}", questionId: "${questionIds[0]}", answer: { choiceIds: [] })`,
      ]) {
        const response = await intruder.request(`mutation { ${mutation} }`);
        expect(errorCode(response), mutation).toBe('NOT_FOUND');
        expect(response.data).toBeNull();
      }
      expect(await server.owner.fingerprints(['quiz_attempts', 'quiz_answers'], officer.tenantId)).toEqual(before);
    },
  );
});
