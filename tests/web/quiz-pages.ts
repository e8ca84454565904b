import { randomUUID } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  ImportQuestionsDocument,
  SetCourseQuizDocument,
  type QuizInput,
} from '../../src/generated/operations/graphql.js';
import { createQuestion } from '../support/quizzes.js';
import { ok, type Actor } from '../support/server.js';
import { createCourse } from '../support/training.js';

/** The forklift quiz the web tests write and take, and how a person answers it on the quiz screen. */

/** Six questions of five kinds and one unreadable one (its text starts on line 12), under a category tag. */
export function forkliftGift(tag: string): string {
  return [
    '// Forklift basics, for the course quiz',
    `$CATEGORY: $course$/top/${tag}`,
    '',
    '::Load:: Where is a load carried?{=Low and tilted back#Right. ~High for visibility#No: it tips. ~Tilted forward}',
    '',
    'Forks are lowered fully when parked.{T}',
    '',
    'What is the rated capacity in kg?{#1500:0}',
    '',
    'Which are checked before each shift?{~%50%Tyres ~%50%Horn ~%-100%Paint colour}',
    '',
    'A broken question {=one ~two',
    '',
    'Match each machine with its load.{=Forklift -> Pallets =Crane -> Loads overhead}',
    '',
    'Name the device that warns pedestrians.{=horn =beeper}',
  ].join('\n');
}
export const GIFT_QUESTIONS = 6;
export const BROKEN_LINE = 12;

export const ORDERING = {
  text: 'Put the start-up steps in order.',
  steps: ['Walk around the truck', 'Fasten the seat belt', 'Sound the horn'],
};

/**
 * Through the API: the GIFT questions and the ordering one under a fresh tag, and a course completed by passing its
 * quiz, which draws all 7.
 */
export async function forkliftQuiz(officer: Actor, quiz: Partial<QuizInput> = {}) {
  const tag = `forklift-${randomUUID().slice(0, 8)}`;
  await ok(officer.request(ImportQuestionsDocument, { format: 'GIFT', text: forkliftGift(tag) }));
  await createQuestion(officer, {
    kind: 'ORDERING',
    text: ORDERING.text,
    tags: [tag],
    choices: ORDERING.steps.map((text) => ({ text })),
  });
  const title = `Forklift ${tag}`;
  const courseId = await createCourse(officer, { title, category: 'EQUIPMENT_SAFETY', requirements: { quiz: true } });
  const input: QuizInput = {
    tags: [tag],
    questionCount: GIFT_QUESTIONS + 1,
    passMark: 60,
    timeLimitMinutes: 30,
    review: 'ANSWERS',
    ...quiz,
  };
  await ok(officer.request(SetCourseQuizDocument, { courseId, input }));
  return { tag, title, courseId };
}

export const scrollWidth = async (page: Page) => Number(await page.evaluate('document.documentElement.scrollWidth'));

/** The question on screen (its section, named by its text). */
export const currentQuestion = (page: Page): Locator => page.locator('section.question');

/**
 * Answers the question on screen as someone who knows the forklift course, except the short answer (wrong).
 * Answers given in two steps wait for the first to be saved unless `onlyFirstStep`.
 */
export async function answerRightly(page: Page, { onlyFirstStep = false } = {}): Promise<string> {
  const question = currentQuestion(page);
  const text = (await question.getByRole('heading', { level: 2 }).textContent())!;
  if (text.includes('Where is a load carried')) {
    await question.getByLabel('Low and tilted back').check();
  } else if (text.includes('Forks are lowered')) {
    await question.getByLabel('True', { exact: true }).check();
  } else if (text.includes('rated capacity')) {
    await question.getByLabel('Your answer (a number)').fill('1500');
  } else if (text.includes('checked before each shift')) {
    await question.getByLabel('Tyres').check();
    if (onlyFirstStep) return text;
    await expect.poll(() => saveMark(page)).toBe('Saved');
    await question.getByLabel('Horn').check();
  } else if (text.includes('Match each machine')) {
    await question.getByLabel('Forklift').selectOption({ label: 'Pallets' });
    if (onlyFirstStep) return text;
    await expect.poll(() => saveMark(page)).toBe('Saved');
    await question.getByLabel('Crane').selectOption({ label: 'Loads overhead' });
  } else if (text.includes('warns pedestrians')) {
    await question.getByLabel('Your answer').fill('whistle');
  } else if (text.includes(ORDERING.text)) {
    await putInOrder(question);
  } else {
    throw new Error(`A question the test does not know: ${text}`);
  }
  return text;
}

/** Moves each step up until the list reads in the right order. */
async function putInOrder(question: Locator): Promise<void> {
  const shown = async () =>
    (await question.locator('ol.steps .step').allTextContents()).map((step) => step.replace(/^\d+\.\s*/, ''));
  for (let target = 0; target < ORDERING.steps.length; target += 1) {
    const step = ORDERING.steps[target]!;
    let at = (await shown()).indexOf(step);
    while (at > target) {
      await question.getByRole('button', { name: `Move “${step}” up` }).click();
      at -= 1;
    }
  }
  if ((await question.getByRole('button', { name: 'Keep this order' }).count()) > 0) {
    await question.getByRole('button', { name: 'Keep this order' }).click();
  }
  expect(await shown()).toEqual(ORDERING.steps);
}

/** The save mark of the question on screen. */
export const saveMark = async (page: Page) =>
  ((await currentQuestion(page).locator('.save-mark').textContent()) ?? '').trim();
