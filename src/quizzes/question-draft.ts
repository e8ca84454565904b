/**
 * A question as written by an officer or read from an import, before it is stored: what
 * `createQuestion`/`updateQuestion` validate and what the GIFT reader produces.
 *
 * - SINGLE_CHOICE, MULTIPLE_CHOICE: `choices` with their `credit` (percent of the points; negative allowed
 *   for wrong choices of a multiple-choice question).
 * - TRUE_FALSE: exactly two choices, "True" and "False", the right one with credit 100.
 * - NUMERIC: `numericAnswer` within `tolerance` (0: exact).
 * - SHORT_ANSWER: `acceptedAnswers`, compared ignoring case and spacing.
 * - MATCHING: each choice is an item whose right partner is its `matchText`.
 * - ORDERING: `choices` in their right order.
 */
export type QuestionKindName =
  'SINGLE_CHOICE' | 'MULTIPLE_CHOICE' | 'TRUE_FALSE' | 'NUMERIC' | 'SHORT_ANSWER' | 'MATCHING' | 'ORDERING';

export interface ChoiceDraft {
  /** An existing choice's id keeps it (saved answers still point at it); absent: a new choice. */
  id?: string;
  text: string;
  credit: number;
  feedback: string | null;
  /** MATCHING only: the partner this item is matched with. */
  matchText?: string | null;
}

export interface QuestionDraft {
  kind: QuestionKindName;
  text: string;
  points: number;
  tags: string[];
  choices: ChoiceDraft[];
  acceptedAnswers: string[];
  numericAnswer: number | null;
  tolerance: number | null;
  /** Feedback shown with the review whatever was answered (GIFT's general feedback). */
  generalFeedback: string | null;
  /** From an import: the line its text starts on, so a problem the checks find names it. */
  line?: number;
}

/** A question an import could not read: its first line in the text, and why. */
export interface ImportProblem {
  line: number;
  message: string;
}
