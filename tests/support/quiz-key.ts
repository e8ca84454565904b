import type { AnswerInput, QuestionInput } from '../../src/generated/operations/graphql.js';
import type { ShownQuestion } from './quizzes.js';

/**
 * A bank of questions of every kind whose key the test knows, an answer to each drawn at random (right or not),
 * and a scoring of saved answers written from the rules, independent of the server's: the score an attempt
 * must get from the answers it holds.
 */

/** A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same for the same seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
function shuffled<T>(rng: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The `n`-th question of the bank (kinds in turn, points 1 to 3). */
export function keyedQuestion(n: number, tag: string): QuestionInput {
  const base = { text: `Question ${n}`, points: 1 + (n % 3), tags: [tag] };
  switch (n % 7) {
    case 0:
      return {
        ...base,
        kind: 'SINGLE_CHOICE',
        choices: [
          { text: 'A', credit: 100 },
          { text: 'B', credit: 50 },
          { text: 'C', credit: 0 },
          { text: 'D', credit: 0 },
        ],
      };
    case 1:
      return {
        ...base,
        kind: 'MULTIPLE_CHOICE',
        choices: [
          { text: 'A', credit: 50 },
          { text: 'B', credit: 50 },
          { text: 'C', credit: -50 },
          { text: 'D', credit: 0 },
        ],
      };
    case 2:
      return {
        ...base,
        kind: 'TRUE_FALSE',
        choices: [
          { text: 'True', credit: n % 2 ? 0 : 100 },
          { text: 'False', credit: n % 2 ? 100 : 0 },
        ],
      };
    case 3:
      return { ...base, kind: 'NUMERIC', numericAnswer: 10 + n, tolerance: 0.5 };
    case 4:
      return { ...base, kind: 'SHORT_ANSWER', acceptedAnswers: ['Lockout tagout', 'LOTO'] };
    case 5:
      return {
        ...base,
        kind: 'MATCHING',
        choices: [
          { text: 'X1', matchText: 'Y1' },
          { text: 'X2', matchText: 'Y2' },
          { text: 'X3', matchText: 'Y3' },
          { text: '', matchText: 'Y9' },
        ],
      };
    default:
      return { ...base, kind: 'ORDERING', choices: ['S1', 'S2', 'S3', 'S4'].map((text) => ({ text })) };
  }
}

const textOf = (choices: { id: string; text: string }[], id: string) =>
  choices.find((choice) => choice.id === id)!.text;
const idOf = (choices: { id: string; text: string }[], text: string) =>
  choices.find((choice) => choice.text === text)!.id;

/** An answer to the question as shown: the right one when `right`, otherwise anything a worker could give. */
export function answerFor(
  question: QuestionInput,
  shown: ShownQuestion,
  rng: () => number,
  right: boolean,
): AnswerInput {
  const ids = shown.choices.map((choice) => choice.id);
  switch (question.kind) {
    case 'SINGLE_CHOICE':
    case 'TRUE_FALSE': {
      const best = question.choices!.find((choice) => choice.credit === 100)!.text;
      return { choiceIds: [right ? idOf(shown.choices, best) : pick(rng, ids)] };
    }
    case 'MULTIPLE_CHOICE':
      return { choiceIds: right ? ['A', 'B'].map((text) => idOf(shown.choices, text)) : ids.filter(() => rng() < 0.5) };
    case 'NUMERIC':
      return { number: right ? question.numericAnswer! + 0.25 : Math.round(rng() * 40) };
    case 'SHORT_ANSWER':
      return { text: right ? ' loto ' : pick(rng, ['Lock out', 'lockout  TAGOUT', 'permit', 'LOTO']) };
    case 'MATCHING':
      return {
        matches: shown.items!.map((item) => ({
          itemId: item.id,
          choiceId: right ? idOf(shown.choices, item.text.replace('X', 'Y')) : pick(rng, ids),
        })),
      };
    default:
      return { order: right ? ['S1', 'S2', 'S3', 'S4'].map((text) => idOf(shown.choices, text)) : shuffled(rng, ids) };
  }
}

/** A saved answer, as the answers table holds it and as AnswerInput would send it, in one comparable form. */
export interface SavedAnswer {
  choiceIds: string[];
  number: number | null;
  text: string | null;
  matches: { itemId: string; choiceId: string }[] | null;
  order: string[];
}

/** The answer as the server stores it (ids sorted, matches by item, text trimmed): what a save must leave. */
export function stored(answer: AnswerInput): string {
  const matches = answer.matches ? [...answer.matches].sort((a, b) => a.itemId.localeCompare(b.itemId)) : null;
  return JSON.stringify({
    choiceIds: [...(answer.choiceIds ?? [])].sort(),
    number: answer.number ?? null,
    text: answer.text?.trim() ?? null,
    matches: matches?.map(({ itemId, choiceId }) => ({ itemId, choiceId })) ?? null,
    order: answer.order ?? [],
  });
}

const normalized = (text: string) => text.toLowerCase().replace(/\s+/g, '');
const clamp = (value: number) => Math.min(Math.max(value, 0), 100) / 100;

/** The share (0–1) of its points the question earns with the saved answer (none: 0), by the rules of its kind. */
export function credit(question: QuestionInput, shown: ShownQuestion, answer: SavedAnswer | undefined): number {
  if (!answer) return 0;
  const creditOf = (id: string) =>
    question.choices!.find((choice) => choice.text === textOf(shown.choices, id))!.credit!;
  switch (question.kind) {
    case 'SINGLE_CHOICE':
    case 'TRUE_FALSE':
      return answer.choiceIds.length === 1 ? clamp(creditOf(answer.choiceIds[0]!)) : 0;
    case 'MULTIPLE_CHOICE':
      return clamp(answer.choiceIds.reduce((sum, id) => sum + creditOf(id), 0));
    case 'NUMERIC':
      return Math.abs(answer.number! - question.numericAnswer!) <= question.tolerance! ? 1 : 0;
    case 'SHORT_ANSWER':
      return question.acceptedAnswers!.some((accepted) => normalized(accepted) === normalized(answer.text!)) ? 1 : 0;
    case 'MATCHING': {
      const right = answer.matches!.filter(
        (match) => textOf(shown.choices, match.choiceId) === textOf(shown.items!, match.itemId).replace('X', 'Y'),
      );
      return right.length / shown.items!.length;
    }
    default: {
      const written = question.choices!.map((choice) => choice.text);
      return answer.order.filter((id, place) => textOf(shown.choices, id) === written[place]).length / written.length;
    }
  }
}

/** The attempt's percent score, two decimals, from each question's credit weighted by its points. */
export function scoreOf(questions: { points: number; credit: number }[]): number {
  const total = questions.reduce((sum, question) => sum + question.points, 0);
  const earned = questions.reduce((sum, question) => sum + question.points * question.credit, 0);
  return Math.round(((100 * earned) / total) * 100) / 100;
}
