import { badInput } from '../core/errors.js';
import * as validate from '../core/validate.js';
import type { ChoiceDraft, QuestionDraft, QuestionKindName } from './question-draft.js';
import { QuizRule } from './input-rules.js';
import { Rule } from '../core/field-rules.js';

/**
 * What makes a question well formed, per kind: the one check of `createQuestion`, `updateQuestion` and the
 * importers. Each refusal names the path of what to fix (e.g. `input.choices[2].credit`); the answer is the
 * draft as it is stored (texts trimmed, tags without duplicates, what the kind does not use emptied).
 */

/** Also what the query cost counts a question's choices as (attempt.ts). */
export const MAX_CHOICES = 20;
const MAX_TAGS = 50;
const MAX_ACCEPTED_ANSWERS = 50;
/** Credits are percentages; floating sums of thirds and sixths land within this of 100. */
const CREDIT_SLACK = 0.5;

const CHOICE_KINDS: readonly QuestionKindName[] = ['SINGLE_CHOICE', 'MULTIPLE_CHOICE', 'TRUE_FALSE'];
const KINDS_WITH_CHOICES: readonly QuestionKindName[] = [...CHOICE_KINDS, 'MATCHING', 'ORDERING'];

const tooFewChoices = (path: string) =>
  badInput(`${path}.choices`, 'needs at least two choices', QuizRule.minChoices, { min: 2 });
const onlyFor = (field: string, kind: QuestionKindName) =>
  badInput(field, `is for ${kind} questions only`, QuizRule.onlyForKind, { kind });

function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value == null) return null;
  return validate.text(field, value, { max }) || null;
}

function checkTags(path: string, tags: string[]): string[] {
  if (tags.length > MAX_TAGS)
    throw badInput(`${path}.tags`, `must hold at most ${MAX_TAGS} tags`, Rule.maxItems, {
      max: MAX_TAGS,
    });
  const checked = tags.map((tag, index) => validate.text(`${path}.tags[${index}]`, tag, { min: 1, max: 100 }));
  return [...new Set(checked)];
}

function checkChoice(path: string, kind: QuestionKindName, choice: ChoiceDraft): ChoiceDraft {
  const id = choice.id == null ? undefined : validate.uuid(`${path}.id`, choice.id);
  // A MATCHING choice without text is a distractor: only its partner is offered.
  const text = validate.text(`${path}.text`, choice.text, { min: kind === 'MATCHING' ? 0 : 1, max: 2000 });
  const feedback = optionalText(`${path}.feedback`, choice.feedback, 2000);
  if (kind === 'MATCHING') {
    if (choice.matchText == null)
      throw badInput(
        `${path}.matchText`,
        'is required: the partner this item is matched with',
        QuizRule.matchPartnerRequired,
      );
    const matchText = validate.text(`${path}.matchText`, choice.matchText, { min: 1, max: 2000 });
    return { id, text, credit: 0, feedback, matchText };
  }
  if (choice.matchText != null) {
    throw badInput(`${path}.matchText`, 'is for MATCHING questions only', QuizRule.onlyForKind, { kind: 'MATCHING' });
  }
  if (!CHOICE_KINDS.includes(kind)) return { id, text, credit: 0, feedback, matchText: null };
  const min = kind === 'MULTIPLE_CHOICE' ? -100 : 0;
  const credit = validate.number(`${path}.credit`, choice.credit, { min, max: 100 });
  return { id, text, credit, feedback, matchText: null };
}

function checkChoices(path: string, draft: QuestionDraft): ChoiceDraft[] {
  const { kind } = draft;
  if (!KINDS_WITH_CHOICES.includes(kind)) {
    if (draft.choices.length > 0)
      throw badInput(`${path}.choices`, `must be empty for a ${kind} question`, QuizRule.notForKind, { kind });
    return [];
  }
  if (draft.choices.length > MAX_CHOICES) {
    throw badInput(`${path}.choices`, `must hold at most ${MAX_CHOICES} choices`, Rule.maxItems, { max: MAX_CHOICES });
  }
  const choices = draft.choices.map((choice, index) => checkChoice(`${path}.choices[${index}]`, kind, choice));
  const ids = choices.flatMap((choice) => (choice.id ? [choice.id] : []));
  if (new Set(ids).size !== ids.length)
    throw badInput(`${path}.choices`, 'must not name a choice id twice', Rule.unique);
  const credits = choices.map((choice) => choice.credit);
  switch (kind) {
    case 'TRUE_FALSE': {
      const texts = choices.map((choice) => choice.text).sort();
      if (texts.length !== 2 || texts[0] !== 'False' || texts[1] !== 'True') {
        throw badInput(
          `${path}.choices`,
          'a TRUE_FALSE question has exactly two choices, "True" and "False"',
          QuizRule.trueFalseChoices,
        );
      }
      if (credits.sort((a, b) => a - b).join() !== '0,100') {
        throw badInput(
          `${path}.choices`,
          'the right one of "True" and "False" has credit 100, the other 0',
          QuizRule.trueFalseCredits,
        );
      }
      // Stored, and so shown, as True then False: the order written (often the right one first) would tell.
      return choices.sort((a, b) => Number(b.text === 'True') - Number(a.text === 'True'));
    }
    case 'SINGLE_CHOICE':
      if (choices.length < 2) throw tooFewChoices(path);
      if (!credits.includes(100)) {
        throw badInput(`${path}.choices`, 'needs a right choice (credit 100)', QuizRule.rightChoiceRequired);
      }
      break;
    case 'MULTIPLE_CHOICE': {
      if (choices.length < 2) throw tooFewChoices(path);
      const positive = credits.filter((credit) => credit > 0).reduce((sum, credit) => sum + credit, 0);
      if (Math.abs(positive - 100) > CREDIT_SLACK) {
        throw badInput(
          `${path}.choices`,
          `the positive credits must add up to 100 (they add up to ${positive})`,
          QuizRule.creditsSum,
          { sum: positive },
        );
      }
      break;
    }
    case 'MATCHING':
      if (choices.filter((choice) => choice.text !== '').length < 2) {
        throw badInput(
          `${path}.choices`,
          'needs at least two items (choices with text) and their partners',
          QuizRule.matchingItems,
        );
      }
      break;
    case 'ORDERING':
      if (choices.length < 2) {
        throw badInput(`${path}.choices`, 'needs at least two choices, in their right order', QuizRule.orderingChoices);
      }
      break;
  }
  return choices;
}

function checkAnswerFields(path: string, draft: QuestionDraft) {
  const numeric = draft.kind === 'NUMERIC';
  if (!numeric && draft.numericAnswer != null) throw onlyFor(`${path}.numericAnswer`, 'NUMERIC');
  if (!numeric && draft.tolerance != null) throw onlyFor(`${path}.tolerance`, 'NUMERIC');
  if (draft.kind !== 'SHORT_ANSWER' && draft.acceptedAnswers.length > 0) {
    throw onlyFor(`${path}.acceptedAnswers`, 'SHORT_ANSWER');
  }
  if (numeric) {
    if (draft.numericAnswer == null) {
      throw badInput(`${path}.numericAnswer`, 'is required for a NUMERIC question', QuizRule.requiredForKind, {
        kind: 'NUMERIC',
      });
    }
    if (!Number.isFinite(draft.numericAnswer)) {
      throw badInput(`${path}.numericAnswer`, 'must be a finite number', Rule.finiteNumber);
    }
    const tolerance = draft.tolerance ?? 0;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw badInput(`${path}.tolerance`, 'must be 0 or more', Rule.minNumber, { min: 0 });
    }
    return { numericAnswer: draft.numericAnswer, tolerance, acceptedAnswers: [] };
  }
  if (draft.kind === 'SHORT_ANSWER') {
    if (draft.acceptedAnswers.length === 0) {
      throw badInput(
        `${path}.acceptedAnswers`,
        'a SHORT_ANSWER question needs at least one accepted answer',
        QuizRule.requiredForKind,
        { kind: 'SHORT_ANSWER' },
      );
    }
    if (draft.acceptedAnswers.length > MAX_ACCEPTED_ANSWERS) {
      throw badInput(`${path}.acceptedAnswers`, `must hold at most ${MAX_ACCEPTED_ANSWERS} answers`, Rule.maxItems, {
        max: MAX_ACCEPTED_ANSWERS,
      });
    }
    const accepted = draft.acceptedAnswers.map((answer, index) =>
      validate.text(`${path}.acceptedAnswers[${index}]`, answer, { min: 1, max: 500 }),
    );
    return { numericAnswer: null, tolerance: null, acceptedAnswers: [...new Set(accepted)] };
  }
  return { numericAnswer: null, tolerance: null, acceptedAnswers: [] };
}

/** The draft as stored, or BAD_USER_INPUT naming the first thing to fix under `path`. */
export function checkQuestion(path: string, draft: QuestionDraft): QuestionDraft {
  const text = validate.text(`${path}.text`, draft.text, { min: 1, max: 5000 });
  if (!Number.isFinite(draft.points) || draft.points <= 0 || draft.points > 1000) {
    throw badInput(`${path}.points`, 'must be more than 0 and at most 1000', QuizRule.points, { max: 1000 });
  }
  return {
    kind: draft.kind,
    text,
    points: draft.points,
    tags: checkTags(path, draft.tags),
    choices: checkChoices(path, draft),
    ...checkAnswerFields(path, draft),
    generalFeedback: optionalText(`${path}.generalFeedback`, draft.generalFeedback, 2000),
  };
}
