import { Assignment } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import type { Context } from '../core/caller/index.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import * as validate from '../core/validate.js';
import { expiredScore } from './attempt-sql.js';
import { MAX_CHOICES } from './question-rules.js';
import { MAX_QUESTION_COUNT } from './quiz.js';
import { QuestionKind, QuizAttemptStatus, type AttemptStatusValue, type QuestionKindValue } from './kinds.js';
import { attemptReview, AttemptReview, QuizAnswer, shownAnswer, type StoredAnswer } from './review.js';

/**
 * An attempt as its assignee sees it: what was drawn and frozen when it started (no part of the key), the
 * answers saved, and once closed its score and the review its quiz allows. An attempt past its deadline reads
 * as submitted with the score its saved answers earn, before the deadline job or the next write stores that.
 */

interface ShownChoice {
  id: string;
  text: string;
}

export const AttemptChoice = builder.objectRef<ShownChoice>('AttemptChoice');
AttemptChoice.implement({
  description: 'A choice as an attempt shows it: its id (for the answer) and text.',
  fields: (t) => ({ id: t.exposeID('id'), text: t.exposeString('text') }),
});

interface ShownQuestion {
  questionId: string;
  kind: QuestionKindValue;
  text: string;
  points: number;
  choices: ShownChoice[];
  items: ShownChoice[] | null;
  answer: StoredAnswer | null;
}

const AttemptQuestion = builder.objectRef<ShownQuestion>('AttemptQuestion');
AttemptQuestion.implement({
  description: 'A question as the attempt shows it, frozen when the attempt started.',
  fields: (t) => ({
    id: t.exposeID('questionId', { description: 'The questionId of saveQuizAnswer.' }),
    kind: t.field({ type: QuestionKind, resolve: (q) => q.kind }),
    text: t.exposeString('text'),
    points: t.exposeFloat('points'),
    choices: t.field({
      type: [AttemptChoice],
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_CHOICES },
      description:
        'Choice questions: the choices, in the order shown. ORDERING: the choices to order. MATCHING: the partners ' +
        'to match the items with. NUMERIC and SHORT_ANSWER: none.',
      resolve: (q) => q.choices,
    }),
    items: t.field({
      type: [AttemptChoice],
      nullable: true,
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_CHOICES },
      description: 'MATCHING: the items (left side) to give a partner each; null for other kinds.',
      resolve: (q) => q.items,
    }),
    savedAnswer: t.field({
      type: QuizAnswer,
      nullable: true,
      description: 'The answer saved last; null when none.',
      resolve: (q) => (q.answer ? shownAnswer(q.kind, q.answer) : null),
    }),
  }),
});

interface AttemptState {
  status: string;
  deadline: Date | null;
  score: number | null;
  passed: boolean | null;
}

/** The attempt's result as reads show it: stored once closed, computed for one past its deadline; null while open. */
export async function resultOf(
  context: Context,
  attempt: AttemptState & { id: string },
): Promise<{ score: number; passed: boolean } | null> {
  if (attempt.status === 'submitted') return { score: attempt.score!, passed: attempt.passed! };
  if (!attempt.deadline || attempt.deadline.getTime() > Date.now()) return null;
  return expiredScore(context, attempt.id);
}

const STATE = { id: true, status: true, deadline: true, score: true, passed: true } as const;

export const QuizAttempt = builder.prismaObject('QuizAttempt', {
  variant: 'QuizAttempt',
  select: { id: true },
  description: "An attempt at a course's quiz by the assignment's assignee, scored by the server.",
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeInt('number', { description: 'First, second… attempt at this assignment.' }),
    status: t.field({
      type: QuizAttemptStatus,
      select: STATE,
      resolve: async (attempt, _args, context) =>
        ((await resultOf(context, attempt)) ? 'submitted' : 'in_progress') as AttemptStatusValue,
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    deadline: t.expose('deadline', {
      type: 'DateTime',
      nullable: true,
      description: "The server's: no answer is saved after it. Null: no time limit.",
    }),
    submittedAt: t.expose('submittedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it closed (an attempt closed by its deadline: the deadline).',
    }),
    questions: t.field({
      type: [AttemptQuestion],
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_QUESTION_COUNT },
      select: {
        questions: {
          orderBy: { position: 'asc' },
          select: { questionId: true, kind: true, text: true, points: true, choices: true, items: true, answer: true },
        },
      },
      resolve: (attempt) =>
        attempt.questions.map((q) => ({
          questionId: q.questionId,
          kind: q.kind as QuestionKindValue,
          text: q.text,
          points: q.points,
          choices: q.choices as unknown as ShownChoice[],
          items: q.items as unknown as ShownChoice[] | null,
          answer: q.answer,
        })),
    }),
    score: t.float({
      nullable: true,
      description: 'Percent score (two decimals) once closed; null while in progress.',
      select: STATE,
      resolve: async (attempt, _args, context) => (await resultOf(context, attempt))?.score ?? null,
    }),
    passed: t.boolean({
      nullable: true,
      description: 'Whether the score reached the pass mark, once closed; null while in progress.',
      select: STATE,
      resolve: async (attempt, _args, context) => (await resultOf(context, attempt))?.passed ?? null,
    }),
    review: t.field({
      type: AttemptReview,
      nullable: true,
      description:
        "What the quiz's review policy shows of the closed attempt (admins and safety officers: everything); null " +
        'while in progress and under NONE.',
      select: { ...STATE, course: { select: { quiz: { select: { review: true } } } } },
      resolve: async (attempt, _args, context) => attemptReview(context, attempt, await resultOf(context, attempt)),
    }),
    assignment: t.relation('assignment', { type: Assignment }),
  }),
});

/** The most attempts one Assignment.quizAttempts lists (what the query cost counts them as with `first`). */
const MAX_LISTED_ATTEMPTS = 100;

builder.prismaObjectField(Assignment, 'quizAttempts', (t) =>
  t.relation('quizAttempts', {
    type: QuizAttempt,
    description: "Attempts at the course's quiz, latest first (a worker: their own).",
    args: { first: t.arg.int({ defaultValue: 10, description: `0–${MAX_LISTED_ATTEMPTS}.` }) },
    query: (args) => ({
      orderBy: { number: 'desc' },
      take: validate.integer('first', args.first ?? 10, { min: 0, max: MAX_LISTED_ATTEMPTS }),
    }),
  }),
);

builder.queryField('quizAttempt', (t) =>
  t.withAuth({ authenticated: true }).prismaField({
    type: QuizAttempt,
    nullable: true,
    description: 'One quiz attempt; null when there is none the caller may read (a worker reads only their own).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.quizAttempt.findFirst({
        ...query,
        where: { id: validate.uuid('id', args.id), tenantId: context.caller.tenantId },
      }),
  }),
);
