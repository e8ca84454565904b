import {
  GiftProblem,
  indexOfUnescaped,
  parseNumber,
  quote,
  readWeight,
  roundDecimal,
  splitFeedback,
  splitMarked,
  tidy,
  tidyOrNull,
  type MarkedPart,
} from './gift-text.js';
import type { ChoiceDraft, QuestionDraft } from './question-draft.js';

/**
 * The answer block of a GIFT question (between `{` and `}`, general feedback removed) read into the
 * answer half of a question draft. The kind is told the way Moodle tells it, in this order: `#` first
 * is numeric, any `~` is multiple choice, `=` with `->` is matching, T/TRUE/F/FALSE is true/false, and
 * the rest is short answer.
 */

export type DraftAnswers = Pick<QuestionDraft, 'kind' | 'choices' | 'acceptedAnswers' | 'numericAnswer' | 'tolerance'>;

const NO_ANSWERS = { choices: [], acceptedAnswers: [], numericAnswer: null, tolerance: null };

/** Credits summing to 100 within this many percent count as 100 (three right answers at 33.33% each). */
const CREDIT_SUM_SLACK = 0.01 + 1e-9;

const TRUE_WORDS = new Set(['T', 'TRUE']);
const FALSE_WORDS = new Set(['F', 'FALSE']);

export function readAnswers(block: string): DraftAnswers {
  if (block === '') throw new GiftProblem('not supported: essay question (an empty answer block)');
  if (block.startsWith('#')) return readNumeric(block.slice(1));
  if (indexOfUnescaped(block, '~') >= 0) return readChoices(block);
  if (indexOfUnescaped(block, '=') >= 0 && indexOfUnescaped(block, '->') >= 0) return readMatching(block);
  const word = splitFeedback(block).head.trim().toUpperCase();
  if (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)) return readTrueFalse(block, TRUE_WORDS.has(word));
  return readShortAnswer(block);
}

/** Percent with at most five decimals, as Moodle writes shares (33.33333). */
function share(total: number, parts: number): number {
  return Math.round((total / parts) * 1e5) / 1e5;
}

function requireNoLead(lead: string): void {
  if (lead.trim() !== '') {
    throw new GiftProblem(`unknown syntax: ${quote(lead)} before the first answer (answers start with '=' or '~')`);
  }
}

interface WrittenAnswer {
  marker: string;
  weight: number | null;
  text: string;
  feedback: string | null;
}

function readWritten({ marker, body }: MarkedPart): WrittenAnswer {
  const { weight, rest } = readWeight(body);
  const { head, feedback } = splitFeedback(rest);
  const text = tidy(head);
  if (text === '') throw new GiftProblem(`empty answer after '${marker}'`);
  return { marker, weight, text, feedback: tidyOrNull(feedback) };
}

/**
 * One `=` (and no weight on it) is a single-choice question; the other choices keep the weights written
 * on them (0 without one). Anything else is a multiple-choice question: several `=` share 100% equally,
 * `~%50%` gives a right choice its share, a negative weight marks a wrong choice down; the right choices'
 * weights must add up to 100%.
 */
function readChoices(block: string): DraftAnswers {
  const { lead, parts } = splitMarked(block, '~=');
  requireNoLead(lead);
  if (parts.length < 2) throw new GiftProblem('a multiple-choice question needs at least 2 answers');
  const written = parts.map(readWritten);
  const marked = written.filter((answer) => answer.marker === '=');
  const toChoice = (answer: WrittenAnswer, credit: number): ChoiceDraft => ({
    text: answer.text,
    credit,
    feedback: answer.feedback,
  });

  if (marked.length === 1 && marked[0]!.weight === null) {
    const choices = written.map((answer) => toChoice(answer, answer.marker === '=' ? 100 : (answer.weight ?? 0)));
    return { ...NO_ANSWERS, kind: 'SINGLE_CHOICE', choices };
  }

  const rightShare = share(100, marked.filter((answer) => answer.weight === null).length);
  const choices = written.map((answer) => toChoice(answer, answer.weight ?? (answer.marker === '=' ? rightShare : 0)));
  const rightTotal = choices.reduce((sum, choice) => sum + Math.max(choice.credit, 0), 0);
  if (rightTotal === 0) {
    throw new GiftProblem("no right answer: mark one with '=' or give right answers weights such as '~%50%'");
  }
  if (Math.abs(rightTotal - 100) > CREDIT_SUM_SLACK) {
    throw new GiftProblem(`the right answers' weights add up to ${roundDecimal(rightTotal)}%, not 100%`);
  }
  return { ...NO_ANSWERS, kind: 'MULTIPLE_CHOICE', choices };
}

/**
 * `{T#wrong#right}`: the first feedback is shown to whoever answers wrongly, the second to whoever answers
 * rightly, so each lands on the choice that earns it.
 */
function readTrueFalse(block: string, answerIsTrue: boolean): DraftAnswers {
  const { feedback: rest } = splitFeedback(block);
  const { head: wrongFeedback, feedback: rightFeedback } = splitFeedback(rest ?? '');
  const right = { credit: 100, feedback: tidyOrNull(rightFeedback) };
  const wrong = { credit: 0, feedback: tidyOrNull(wrongFeedback) };
  const choices = [
    { text: 'True', ...(answerIsTrue ? right : wrong) },
    { text: 'False', ...(answerIsTrue ? wrong : right) },
  ];
  return { ...NO_ANSWERS, kind: 'TRUE_FALSE', choices };
}

/**
 * `{=forklift =fork lift =%50%truck}`: the answers without a weight or at 100% are accepted. Partly right
 * answers and per-answer feedback have no place in the draft and are left out: such an answer scores 0.
 */
function readShortAnswer(block: string): DraftAnswers {
  const { lead, parts } = splitMarked(block, '=');
  requireNoLead(lead);
  const accepted = parts
    .map(readWritten)
    .filter((answer) => (answer.weight ?? 100) === 100)
    .map((answer) => answer.text);
  if (accepted.length === 0) throw new GiftProblem('no right answer: no answer is worth 100%');
  return { ...NO_ANSWERS, kind: 'SHORT_ANSWER', acceptedAnswers: [...new Set(accepted)] };
}

/**
 * `{=item -> match ...}`: each pair is a choice (the item) with its `matchText`, worth an equal share. A pair
 * with no item (`= -> extra`) is Moodle's distractor: a partner nothing matches, kept as a choice with empty
 * text and no credit. At least 2 real pairs, as Moodle's own importer asks (its docs suggest 3).
 */
function readMatching(block: string): DraftAnswers {
  const { lead, parts } = splitMarked(block, '=');
  requireNoLead(lead);
  const pairs = parts.map(({ body }) => {
    const arrow = indexOfUnescaped(body, '->');
    if (arrow < 0) throw new GiftProblem(`unknown syntax: the matching pair ${quote(`=${body}`)} has no '->'`);
    const match = tidy(body.slice(arrow + 2));
    if (match === '') throw new GiftProblem(`the matching pair ${quote(`=${body}`)} has nothing after '->'`);
    return { item: tidy(body.slice(0, arrow)), match };
  });
  const items = pairs.filter((pair) => pair.item !== '').length;
  if (items < 2) throw new GiftProblem('a matching question needs at least 2 pairs');
  const credit = share(100, items);
  const choices = pairs.map(({ item, match }) => ({
    text: item,
    credit: item === '' ? 0 : credit,
    feedback: null,
    matchText: match,
  }));
  return { ...NO_ANSWERS, kind: 'MATCHING', choices };
}

/** `value`, `value:tolerance` or `min..max` (read as its middle, give or take half its width). */
function readNumber(raw: string): { answer: number; tolerance: number } {
  const written = raw.trim();
  const range = written.indexOf('..', 1);
  if (range > 0) {
    const min = parseNumber(written.slice(0, range));
    const max = parseNumber(written.slice(range + 2));
    if (min > max) throw new GiftProblem(`bad range: '${written}' (the smaller number comes first)`);
    return { answer: roundDecimal((min + max) / 2), tolerance: roundDecimal((max - min) / 2) };
  }
  const colon = written.indexOf(':', 1);
  if (colon < 0) return { answer: parseNumber(written), tolerance: 0 };
  const tolerance = parseNumber(written.slice(colon + 1));
  if (tolerance < 0) throw new GiftProblem(`bad tolerance: '${written}' (a tolerance is not negative)`);
  return { answer: parseNumber(written.slice(0, colon)), tolerance };
}

/**
 * `{#2.5:0.1}`, `{#1..3}` or `{#=2.5:0.1 =%50%2.5:0.5 ~#feedback}`. The draft holds one answer: the one at
 * 100%. Partly right alternatives are checked and then left out (an answer only they accept scores 0);
 * two answers at 100% cannot be expressed and are refused. `~#feedback` (for any other answer) and
 * per-answer feedback have no place in the draft.
 */
function readNumeric(block: string): DraftAnswers {
  const { lead, parts } = splitMarked(block, '=~');
  const written = parts.filter((part) => part.marker === '=').map((part) => readWeight(part.body));
  if (lead.trim() !== '') written.unshift({ weight: null, rest: lead });
  for (const other of parts.filter((part) => part.marker === '~')) {
    if (splitFeedback(other.body).head.trim() !== '') {
      throw new GiftProblem(
        `unknown syntax: ${quote(`~${other.body}`)} (in a numeric block '~' only takes '#feedback')`,
      );
    }
  }
  const answers = written.map(({ weight, rest }) => ({
    weight: weight ?? 100,
    ...readNumber(splitFeedback(rest).head),
  }));
  if (answers.length === 0) throw new GiftProblem("a numeric question needs a number after '#'");
  const full = answers.filter((answer) => answer.weight === 100);
  if (full.length === 0) throw new GiftProblem('no right answer: no number is worth 100%');
  if (full.length > 1) throw new GiftProblem('not supported: more than one numeric answer worth 100%');
  const { answer, tolerance } = full[0]!;
  return { ...NO_ANSWERS, kind: 'NUMERIC', numericAnswer: answer, tolerance };
}
