import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuestionInput } from '../../src/generated/operations/graphql.js';
import { LEAK_BANK } from '../support/quiz-leaks.js';
import {
  courseWithQuiz,
  createQuestion,
  signIn,
  startAttempt,
  startedAssignment,
  submitAttempt,
  type Attempt,
} from '../support/quizzes.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Nothing leaks through what an attempt shows in order or by id: the order of an ORDERING question's choices,
 * of True and False, a MATCHING question's partners and their ids, and choice ids are independent of the key.
 * Shuffles are random, so the checks count over ATTEMPTS attempts, with bounds a uniform shuffle misses with a
 * probability below one in a million; an order that follows the key, or avoids it, fails them every time.
 */

const ATTEMPTS = 30;

let server: TestServer;
let officer: Actor;
let attempts: Attempt[];

const byKind = (kind: string) => LEAK_BANK.filter((question) => question.kind === kind);
const ORDERING = byKind('ORDERING')[0]!;
const MATCHING = byKind('MATCHING')[0]!;
const TWO_STEPS: Omit<QuestionInput, 'tags'> = {
  kind: 'ORDERING',
  text: 'Which comes first?',
  choices: [{ text: 'Lift' }, { text: 'Lower' }],
};
const QUESTIONS = [ORDERING, TWO_STEPS, MATCHING, ...byKind('TRUE_FALSE')];

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  const worker = await server.actor('worker', { tenantId: officer.tenantId });
  await signIn(worker);
  const { courseId } = await courseWithQuiz(officer, QUESTIONS, { review: 'SCORE' });
  const assignmentId = await startedAssignment(officer, worker, courseId);
  attempts = [];
  for (let n = 0; n < ATTEMPTS; n++) {
    const attempt = await startAttempt(worker, assignmentId);
    await submitAttempt(worker, attempt.id);
    attempts.push(attempt);
  }
}, setupTimeout(120_000));
afterAll(() => server?.stop());

const shown = (attempt: Attempt, text: string) => attempt.questions.find((question) => question.text === text)!;
const texts = (choices: { text: string }[]) => choices.map((choice) => choice.text);
const keyOrder = (question: Omit<QuestionInput, 'tags'>) => texts(question.choices!);

describe('the order shown', () => {
  it('ORDERING: the order shown is a shuffle independent of the right one, which it neither follows nor avoids', () => {
    const orders = attempts.map((attempt) => texts(shown(attempt, ORDERING.text).choices).join());
    // 4 choices: the right order comes up 1 time in 24, 1.25 times in 30 on average; 10 or more: p < 10⁻⁶.
    expect(orders.filter((order) => order === keyOrder(ORDERING).join()).length).toBeLessThan(10);
    // 2 choices: both orders come up (never one of them: p = 2⁻²⁹); avoiding the right order would show the other.
    const twoSteps = new Set(attempts.map((attempt) => texts(shown(attempt, TWO_STEPS.text).choices).join()));
    expect([...twoSteps].sort()).toEqual(['Lift,Lower', 'Lower,Lift']);
  });

  it('TRUE_FALSE: always True then False, whichever is right and however the question was written', () => {
    for (const attempt of attempts) {
      for (const question of byKind('TRUE_FALSE'))
        expect(texts(shown(attempt, question.text).choices)).toEqual(['True', 'False']);
    }
  });

  it('MATCHING: items and partners are shuffled apart, and partners carry ids drawn for each attempt', async () => {
    const rows = await server.owner.query<{ id: string }>('SELECT id::text FROM quiz_choices WHERE tenant_id = $1', [
      officer.tenantId,
    ]);
    const bankIds = new Set(rows.map((row) => row.id));
    const partnerIds = attempts.flatMap((attempt) => shown(attempt, MATCHING.text).choices.map((choice) => choice.id));
    expect(partnerIds.filter((id) => bankIds.has(id))).toEqual([]);
    expect(new Set(partnerIds).size).toBe(partnerIds.length);
    const pairs = new Map(MATCHING.choices!.map((choice) => [choice.text, choice.matchText]));
    let aligned = 0;
    for (const attempt of attempts) {
      const question = shown(attempt, MATCHING.text);
      expect(texts(question.items!).sort()).toEqual(['Conveyor', 'Crane', 'Forklift']);
      expect(texts(question.choices).sort()).toEqual(['Loads overhead', 'Pallets', 'Parcels', 'Water']);
      if (question.items!.every((item, index) => question.choices[index]!.text === pairs.get(item.text))) aligned++;
    }
    // Each item next to its partner comes up 1 time in 24 (3 of 4 partners in place); 10 or more of 30: p < 10⁻⁶.
    expect(aligned).toBeLessThan(10);
  });
});

describe('the ids shown', () => {
  it('choice ids do not follow the order the choices were written in (an ORDERING key)', async () => {
    const tag = 'id-order';
    const written = ['First', 'Second', 'Third', 'Fourth'];
    const ids: string[][] = [];
    for (let n = 0; n < 12; n++) {
      const id = await createQuestion(officer, {
        kind: 'ORDERING',
        text: `Steps ${n}`,
        tags: [tag],
        choices: written.map((text) => ({ text })),
      });
      const rows = await server.owner.query<{ id: string }>(
        'SELECT id::text FROM quiz_choices WHERE question_id = $1 ORDER BY position',
        [id],
      );
      ids.push(rows.map((row) => row.id));
    }
    // Random ids sort into the written order 1 time in 24: 7 or more of 12 has p < 10⁻⁷; ordered ids, always.
    const sortedAsWritten = ids.filter((row) => [...row].sort().join() === row.join());
    expect(sortedAsWritten.length).toBeLessThan(7);
  });
});
