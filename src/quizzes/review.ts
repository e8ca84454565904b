import { builder } from '../core/builder.js';
import type { Context } from '../core/caller/index.js';
import { may } from '../core/permissions.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import { reviewRows, type ReviewRow } from './attempt-sql.js';
import type { QuestionKindValue, QuizReviewValue } from './kinds.js';
import { MAX_CHOICES } from './question-rules.js';
import { MAX_QUESTION_COUNT } from './quiz.js';

/** Answers as the API shows them (saved, or right in a review), and the review of a closed attempt. */

interface AnswerMatchShape {
  itemId: string;
  choiceId: string;
}

/** An answer: the field its question's kind uses is set, the others null (AnswerInput's shape). */
export interface AnswerShape {
  choiceIds: string[] | null;
  number: number | null;
  text: string | null;
  matches: AnswerMatchShape[] | null;
  order: string[] | null;
}

const AnswerMatch = builder.objectRef<AnswerMatchShape>('AnswerMatch');
AnswerMatch.implement({
  description: 'A MATCHING item (an id of AttemptQuestion.items) and the partner given (an id of its choices).',
  fields: (t) => ({ itemId: t.exposeID('itemId'), choiceId: t.exposeID('choiceId') }),
});

export const QuizAnswer = builder.objectRef<AnswerShape>('QuizAnswer');
QuizAnswer.implement({
  description: 'An answer to a quiz question, shaped as AnswerInput: only the field of its kind is set.',
  fields: (t) => ({
    choiceIds: t.idList({ nullable: true, resolve: (a) => a.choiceIds }),
    number: t.float({ nullable: true, resolve: (a) => a.number }),
    text: t.string({ nullable: true, resolve: (a) => a.text }),
    matches: t.field({
      type: [AnswerMatch],
      nullable: true,
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_CHOICES },
      resolve: (a) => a.matches,
    }),
    order: t.idList({ nullable: true, resolve: (a) => a.order }),
  }),
});

/** A saved answer row's columns. */
export interface StoredAnswer {
  choiceIds: string[];
  number: number | null;
  text: string | null;
  matches: unknown;
  ordering: string[];
}

const NONE: AnswerShape = { choiceIds: null, number: null, text: null, matches: null, order: null };

/** A stored answer as its question's kind shows it. */
export function shownAnswer(kind: QuestionKindValue, answer: StoredAnswer): AnswerShape {
  switch (kind) {
    case 'numeric':
      return { ...NONE, number: answer.number };
    case 'short_answer':
      return { ...NONE, text: answer.text };
    case 'matching':
      return { ...NONE, matches: (answer.matches as AnswerMatchShape[] | null) ?? [] };
    case 'ordering':
      return { ...NONE, order: answer.ordering };
    default:
      return { ...NONE, choiceIds: answer.choiceIds };
  }
}

interface QuestionReviewShape {
  questionId: string;
  credit: number;
  correctAnswer: AnswerShape;
  acceptedAnswers: string[];
  tolerance: number | null;
  feedback: string[];
}

const QuestionReview = builder.objectRef<QuestionReviewShape>('QuestionReview');
QuestionReview.implement({
  description: 'One question of a reviewed attempt: what it earned, the right answer and the feedback.',
  fields: (t) => ({
    questionId: t.exposeID('questionId'),
    credit: t.exposeFloat('credit', { description: "Percent of the question's points earned." }),
    correctAnswer: t.field({
      type: QuizAnswer,
      description:
        'The right answer: SINGLE_CHOICE and TRUE_FALSE the best choice(s), MULTIPLE_CHOICE every choice with credit, ' +
        'NUMERIC the number (± tolerance), SHORT_ANSWER the first accepted answer, MATCHING each item with its ' +
        'partner, ORDERING the right order.',
      resolve: (q) => q.correctAnswer,
    }),
    acceptedAnswers: t.exposeStringList('acceptedAnswers', { description: 'SHORT_ANSWER: every answer accepted.' }),
    tolerance: t.exposeFloat('tolerance', { nullable: true, description: 'NUMERIC: how far off is still right.' }),
    feedback: t.exposeStringList('feedback', {
      description: "The feedback of the choices picked, then the question's general feedback.",
    }),
  }),
});

interface ReviewShape {
  score: number;
  passed: boolean;
  questions: QuestionReviewShape[] | null;
}

export const AttemptReview = builder.objectRef<ReviewShape>('AttemptReview');
AttemptReview.implement({
  description: "What the quiz's review policy shows of a closed attempt.",
  fields: (t) => ({
    score: t.exposeFloat('score'),
    passed: t.exposeBoolean('passed'),
    questions: t.field({
      type: [QuestionReview],
      nullable: true,
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_QUESTION_COUNT },
      description: 'Per question, in the order shown; null when the policy shows the score only.',
      resolve: (review) => review.questions,
    }),
  }),
});

const asAnswer = (row: ReviewRow): AnswerShape => ({
  choiceIds: row.correct.choiceIds ?? null,
  number: row.correct.number ?? null,
  text: row.correct.text ?? null,
  matches: (row.correct.matches as AnswerMatchShape[] | undefined) ?? null,
  order: row.correct.order ?? null,
});

/**
 * The review a caller gets of an attempt with this result (null: still open): nothing under NONE, the score under
 * SCORE (and under ANSWERS_AFTER_PASS before a pass), the answers otherwise, whose rows the database gives only when
 * its own check of the policy agrees. Admins and safety officers, who may read the bank, always get everything.
 */
export async function attemptReview(
  context: Context,
  attempt: { id: string; course: { quiz: { review: string } | null } },
  result: { score: number; passed: boolean } | null,
): Promise<ReviewShape | null> {
  if (!result) return null;
  const officer = context.caller !== null && may(context.caller.role, 'quizzes.manage');
  const policy = (attempt.course.quiz?.review ?? 'none') as QuizReviewValue;
  if (!officer && policy === 'none') return null;
  const scoreOnly: ReviewShape = { ...result, questions: null };
  if (!officer && policy === 'score') return scoreOnly;
  const rows = await reviewRows(context, attempt.id);
  if (rows.length === 0) return scoreOnly;
  return {
    ...result,
    questions: rows.map((row) => ({
      questionId: row.question_id,
      credit: Math.round(row.credit * 10_000) / 100,
      correctAnswer: asAnswer(row),
      acceptedAnswers: row.accepted_answers,
      tolerance: row.tolerance,
      feedback: row.feedback,
    })),
  };
}
