import { databaseEnum } from '../core/enums.js';
import type { QuestionKindName } from './question-draft.js';

/** The stored (lower-case) values of the quiz enums; GraphQL shows them upper-case (databaseEnum). */
export const QUESTION_KINDS = [
  'single_choice',
  'multiple_choice',
  'true_false',
  'numeric',
  'short_answer',
  'matching',
  'ordering',
] as const;
export type QuestionKindValue = (typeof QUESTION_KINDS)[number];

export const QUIZ_REVIEWS = ['none', 'score', 'answers', 'answers_after_pass'] as const;
export type QuizReviewValue = (typeof QUIZ_REVIEWS)[number];

export const ATTEMPT_STATUSES = ['in_progress', 'submitted'] as const;
export type AttemptStatusValue = (typeof ATTEMPT_STATUSES)[number];

export const QuestionKind = databaseEnum(
  'QuestionKind',
  QUESTION_KINDS,
  'What a question asks for and how it is scored.',
);
export const QuizReview = databaseEnum(
  'QuizReview',
  QUIZ_REVIEWS,
  'What an assignee sees of a closed attempt: NONE, SCORE, ANSWERS (the right answers and feedback), ' +
    'ANSWERS_AFTER_PASS (the answers once an attempt of the assignment has passed; the score before).',
);
export const QuizAttemptStatus = databaseEnum(
  'QuizAttemptStatus',
  ATTEMPT_STATUSES,
  'SUBMITTED: closed and scored, by its assignee or by its deadline.',
);

export const QuestionFormat = databaseEnum(
  'QuestionFormat',
  ['gift'] as const,
  "A text format of questions: GIFT is Moodle's.",
);

/** The draft's kind (upper case, as written) as stored. */
export const storedKind = (kind: QuestionKindName): QuestionKindValue => kind.toLowerCase() as QuestionKindValue;
/** A stored kind as the draft writes it. */
export const draftKind = (kind: string): QuestionKindName => kind.toUpperCase() as QuestionKindName;
