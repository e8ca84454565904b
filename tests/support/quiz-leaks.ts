import type { QuestionInput } from '../../src/generated/operations/graphql.js';

/**
 * A question bank whose key is written in marker strings, and a scan of responses for any trace of that key: a
 * plain substring search finds the markers wherever they end up (a field, an error message, an extension), and a
 * walk of each response checks where the bank's choice ids and texts appear.
 */

/** In every secret of the bank; never hexadecimal, so no UUID contains it. */
export const MARKER = 'LEAKZQ';
const secret = (what: string) => `${MARKER}-${what}`;

/** A NUMERIC question's answer and tolerance, as JSON writes them. */
export const NUMERIC_ANSWER = 4817.375;
export const NUMERIC_TOLERANCE = 0.8125;

/** Every kind of question, each with feedback on its choices and a general feedback that are all secrets. */
export const LEAK_BANK: Omit<QuestionInput, 'tags'>[] = [
  {
    kind: 'SINGLE_CHOICE',
    text: 'Which gas pools at the bottom of a tank?',
    choices: [
      { text: 'Hydrogen sulfide', credit: 100, feedback: secret('single-right') },
      { text: 'Carbon dioxide', credit: 50, feedback: secret('single-half') },
      { text: 'Methane', credit: 0, feedback: secret('single-wrong') },
    ],
    generalFeedback: secret('single-general'),
  },
  {
    kind: 'MULTIPLE_CHOICE',
    text: 'Which belong on a forklift pre-use check?',
    choices: [
      { text: 'Brakes', credit: 50, feedback: secret('multiple-brakes') },
      { text: 'Horn', credit: 50, feedback: secret('multiple-horn') },
      { text: 'Radio', credit: -50, feedback: secret('multiple-radio') },
    ],
    generalFeedback: secret('multiple-general'),
  },
  {
    kind: 'TRUE_FALSE',
    text: 'A harness is inspected before each use.',
    choices: [
      { text: 'True', credit: 100, feedback: secret('true-right') },
      { text: 'False', credit: 0, feedback: secret('true-wrong') },
    ],
    generalFeedback: secret('true-general'),
  },
  {
    kind: 'TRUE_FALSE',
    text: 'A ladder may stand on a pallet.',
    // The right choice written first, as authors tend to write it: the order shown must not follow.
    choices: [
      { text: 'False', credit: 100, feedback: secret('false-right') },
      { text: 'True', credit: 0, feedback: secret('false-wrong') },
    ],
    generalFeedback: secret('false-general'),
  },
  {
    kind: 'NUMERIC',
    text: 'How many kilograms may the crane lift?',
    numericAnswer: NUMERIC_ANSWER,
    tolerance: NUMERIC_TOLERANCE,
    generalFeedback: secret('numeric-general'),
  },
  {
    kind: 'SHORT_ANSWER',
    text: 'Name the permit needed for hot work.',
    acceptedAnswers: [secret('accepted-one'), secret('accepted-two')],
    generalFeedback: secret('short-general'),
  },
  {
    kind: 'MATCHING',
    text: 'Match each machine with what it moves.',
    choices: [
      { text: 'Forklift', matchText: 'Pallets', feedback: secret('matching-forklift') },
      { text: 'Crane', matchText: 'Loads overhead', feedback: secret('matching-crane') },
      { text: 'Conveyor', matchText: 'Parcels', feedback: secret('matching-conveyor') },
      { text: '', matchText: 'Water', feedback: secret('matching-distractor') },
    ],
    generalFeedback: secret('matching-general'),
  },
  {
    kind: 'ORDERING',
    text: 'Put the steps of a lockout in order.',
    choices: [
      { text: 'Notify', feedback: secret('ordering-1') },
      { text: 'Shut down', feedback: secret('ordering-2') },
      { text: 'Isolate', feedback: secret('ordering-3') },
      { text: 'Verify', feedback: secret('ordering-4') },
    ],
    generalFeedback: secret('ordering-general'),
  },
];

/** The bank's texts a worker is shown (choices, items, partners): only where an attempt shows its choices. */
export const SHOWN_TEXTS = new Set(
  LEAK_BANK.flatMap((question) =>
    (question.choices ?? []).flatMap((choice) => [choice.text, choice.matchText ?? '']).filter(Boolean),
  ),
);

/** Fields that hold the key; a worker's response may carry them only as null or empty. */
const KEY_FIELDS = new Set([
  'credit',
  'feedback',
  'acceptedAnswers',
  'numericAnswer',
  'tolerance',
  'matchText',
  'correctAnswer',
  'generalFeedback',
]);
/** Types of the bank and of a review's questions: a worker never gets one. */
const KEY_TYPES = new Set(['Question', 'Choice', 'QuestionReview']);

const SHOWN_TEXT_PATH = /(^|\.)questions\.\d+\.(choices|items)\.\d+\.text$/;
const SHOWN_ID_PATH =
  /(^|\.)questions\.\d+\.((choices|items)\.\d+\.id|savedAnswer\.(choiceIds|order)\.\d+|savedAnswer\.matches\.\d+\.(itemId|choiceId))$/;

/**
 * What in `body` (a response, data and errors) gives away the key of the bank whose choices have `choiceIds`:
 * a secret string or number anywhere; a key field with a value; an object of the bank's types; a choice id or
 * a choice's text anywhere but where an attempt shows its choices (and, for ids, the caller's saved answer).
 */
export function leaksIn(body: unknown, choiceIds: ReadonlySet<string>): string[] {
  const leaks: string[] = [];
  const text = JSON.stringify(body);
  if (text.includes(MARKER))
    leaks.push(`a secret marker: …${text.slice(text.indexOf(MARKER) - 120, text.indexOf(MARKER) + 40)}…`);
  for (const number of [NUMERIC_ANSWER, NUMERIC_TOLERANCE]) {
    if (text.includes(String(number))) leaks.push(`the number ${number}`);
  }
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, `${path}.${index}`));
    if (typeof value === 'string') {
      if (choiceIds.has(value) && !SHOWN_ID_PATH.test(path)) leaks.push(`choice id at ${path}`);
      if (SHOWN_TEXTS.has(value) && !SHOWN_TEXT_PATH.test(path)) leaks.push(`choice text "${value}" at ${path}`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__typename' && KEY_TYPES.has(child as string)) leaks.push(`a ${String(child)} at ${path}`);
      const empty = child === null || (Array.isArray(child) && child.length === 0);
      if (KEY_FIELDS.has(key) && !empty) leaks.push(`${at} = ${JSON.stringify(child)}`);
      walk(child, at);
    }
  };
  walk(body, '');
  return leaks;
}
