import { fieldRules } from '../core/field-rules.js';

/** Why a question, a quiz or an answer is refused, beyond the rules of any input (src/core/field-rules.ts). */
export const QuizRule = fieldRules(
  'matchPartnerRequired',
  'onlyForKind',
  'notForKind',
  'requiredForKind',
  'trueFalseChoices',
  'trueFalseCredits',
  'minChoices',
  'rightChoiceRequired',
  'creditsSum',
  'matchingItems',
  'orderingChoices',
  'points',
  'notAChoice',
  'notAnItem',
  'exactlyOneChoice',
  'matchOnce',
  'orderEveryChoice',
  'notInAttempt',
  'maxQuestions',
);
