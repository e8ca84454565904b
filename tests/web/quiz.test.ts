import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CourseQuizDocument, QuestionsDocument } from '../../src/generated/operations/graphql.js';
import { signIn } from '../support/quizzes.js';
import { ok, type Actor } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { region, seriousViolations, useWebApp } from './browser.js';
import {
  answerRightly,
  BROKEN_LINE,
  currentQuestion,
  forkliftGift,
  forkliftQuiz,
  GIFT_QUESTIONS,
  saveMark,
  scrollWidth,
} from './quiz-pages.js';

/**
 * The quiz screens in a real browser against the real server: an officer fills the question bank and sets a
 * course's quiz; a worker on a phone takes it, answer by answer, through a reload, to the result and its review.
 */

const web = useWebApp();
let officer: Actor;

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Sam Officer' });
}, 360_000);

const PHONE = { width: 375, height: 812 };

const open = (token: string, path: string, viewport = { width: 1280, height: 900 }) =>
  web.open(token, path, { viewport });

/** A worker of the officer's tenant with the course assigned, on the Training Center at phone width. */
async function workerWith(courseId: string, name: string): Promise<{ worker: Actor; page: Page }> {
  const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name });
  await signIn(worker);
  await assignCourse(officer, courseId, worker.userId);
  return { worker, page: await open(worker.token, '/', PHONE) };
}

/** Starts the assignment and its quiz from the Training Center; the quiz screen's first question is shown. */
async function startQuiz(page: Page, title: string): Promise<void> {
  await region(page, 'To do')
    .getByRole('listitem')
    .filter({ hasText: title })
    .getByRole('button', { name: 'Start' })
    .click();
  const card = region(page, 'In progress').getByRole('listitem').filter({ hasText: title });
  await card.getByRole('button', { name: 'Take quiz' }).click();
  await page.getByRole('heading', { name: `Quiz: ${title}` }).waitFor();
}

describe('the question bank and a course quiz, by an officer', () => {
  it('imports GIFT (reporting the bad question by line), adds a question by the form, and sets the course quiz', async () => {
    const tag = `ui-${crypto.randomUUID().slice(0, 8)}`;
    const page = await open(officer.token, '/questions');
    await page.getByRole('heading', { name: 'Question bank' }).waitFor();

    const gift = region(page, 'Import GIFT');
    await gift.getByLabel('GIFT text').fill(forkliftGift(tag));
    await gift.getByRole('button', { name: 'Import' }).click();
    await gift.getByText(`Imported ${GIFT_QUESTIONS} questions; 1 left out:`).waitFor();
    const left = gift.getByRole('list', { name: 'Questions left out' }).getByRole('listitem');
    expect(await left.allTextContents()).toEqual([expect.stringMatching(new RegExp(`^Line ${BROKEN_LINE}: `))]);

    const questions = region(page, 'Questions');
    await questions.getByLabel('Tag', { exact: true }).fill(tag);
    await questions.getByText(`${GIFT_QUESTIONS} questions`, { exact: true }).waitFor();

    // A question of a kind GIFT cannot write, through the form; the API's refusal shows beside its field.
    await questions.getByLabel('Kind').selectOption({ label: 'Ordering' });
    await questions.getByLabel('Question', { exact: true }).fill('Put the start-up steps in order.');
    await questions.getByLabel('Tags (comma-separated)').fill(tag);
    await questions.getByLabel('Step 1', { exact: true }).fill('Walk around the truck');
    await questions.getByRole('button', { name: 'Add question' }).click();
    const secondStep = questions.getByLabel('Step 2', { exact: true });
    await questions.getByText('Step 2 must not be empty', { exact: true }).waitFor();
    await expect(secondStep.getAttribute('aria-invalid')).resolves.toBe('true');
    await secondStep.fill('Fasten the seat belt');
    await questions.getByRole('button', { name: 'Add step' }).click();
    await questions.getByLabel('Step 3', { exact: true }).fill('Sound the horn');
    await questions.getByRole('button', { name: 'Add question' }).click();
    await questions.getByText('Question added to the bank.').waitFor();
    await questions.getByText(`${GIFT_QUESTIONS + 1} questions`, { exact: true }).waitFor();
    const bank = await ok(officer.request(QuestionsDocument, { filter: { tag }, first: 20 }));
    const ordering = bank.questions.nodes.find((q) => q.kind === 'ORDERING')!;
    expect(ordering.choices.map((c) => c.text)).toEqual([
      'Walk around the truck',
      'Fasten the seat belt',
      'Sound the horn',
    ]);
    expect(await seriousViolations(page)).toEqual([]);

    // The course's quiz, from the course's Edit.
    const title = `Reach truck ${tag}`;
    const courseId = await createCourse(officer, { title, category: 'EQUIPMENT_SAFETY' });
    await page.getByRole('link', { name: 'Training Analytics' }).click();
    const courses = region(page, 'Courses');
    await courses.getByRole('button', { name: `Edit ${title}` }).click();
    const quiz = courses.getByRole('form', { name: `Quiz of ${title}` });
    await quiz.getByText('This course has no quiz yet.').waitFor();
    await quiz.getByLabel('Question tags (comma-separated)').fill(tag);
    await quiz.getByLabel('Questions per attempt').fill('5');
    await quiz.getByLabel('Pass mark (%)').fill('150');
    await quiz.getByRole('button', { name: 'Save quiz' }).click();
    await quiz.getByText('Pass mark (%) must be from 0 to 100', { exact: true }).waitFor();
    expect((await ok(officer.request(CourseQuizDocument, { id: courseId }))).trainingCourse!.quiz).toBeNull();

    await quiz.getByLabel('Pass mark (%)').fill('75');
    await quiz.getByLabel('Time limit (minutes, empty: none)').fill('20');
    await quiz.getByLabel('Attempts allowed (empty: unlimited)').fill('3');
    await quiz.getByLabel('Wait after a failed attempt (minutes)').fill('10');
    await quiz.getByLabel('After submitting, show').selectOption({ label: 'The right answers once passed' });
    await quiz.getByLabel('Shuffle choices').uncheck();
    await quiz.getByRole('button', { name: 'Save quiz' }).click();
    await quiz.getByText(`Saved the quiz of “${title}”.`).waitFor();
    expect((await ok(officer.request(CourseQuizDocument, { id: courseId }))).trainingCourse!.quiz).toEqual({
      tags: [tag],
      questionCount: 5,
      passMark: 75,
      timeLimitMinutes: 20,
      maxAttempts: 3,
      cooldownMinutes: 10,
      shuffleChoices: false,
      review: 'ANSWERS_AFTER_PASS',
    });
  }, 90_000);
});

describe('a worker takes a quiz on a phone', () => {
  it('saves each answer (Saved), keeps them through a reload, and shows the score and the review after Submit', async () => {
    const { title, courseId } = await forkliftQuiz(officer);
    const { page } = await workerWith(courseId, 'Wei Chen');
    await startQuiz(page, title);
    expect(await page.getByRole('timer').textContent()).toMatch(/^(29|30):\d\d$/);

    const total = GIFT_QUESTIONS + 1;
    const answered: string[] = [];
    const answerUpTo = async (count: number) => {
      while (answered.length < count) {
        await page.getByText(`Question ${answered.length + 1} of ${total}`).waitFor();
        answered.push(await answerRightly(page));
        await expect.poll(() => saveMark(page)).toBe('Saved');
        expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
        if (answered.length < total) await page.getByRole('button', { name: 'Next' }).click();
      }
    };
    await answerUpTo(4);

    // A reload mid-attempt reads the attempt back: the four saved answers are there, marked Saved.
    await page.reload();
    await page.getByText(`Question 1 of ${total}`).waitFor();
    const answeredNav = page
      .getByRole('navigation', { name: 'Questions' })
      .getByRole('button', { name: /, answered$/ });
    await expect.poll(() => answeredNav.count()).toBe(4);
    for (let i = 0; i < 4; i += 1) {
      await page.getByRole('button', { name: `Question ${i + 1}, answered` }).click();
      await expect.poll(() => currentQuestion(page).getByRole('heading', { level: 2 }).textContent()).toBe(answered[i]);
      expect(await saveMark(page)).toBe('Saved');
    }
    await page.getByRole('button', { name: 'Question 5', exact: true }).click();
    await answerUpTo(total);

    if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: 'docs/screenshots/take-quiz.png' });
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText(`You answered ${total} of ${total} questions`).waitFor();
    await page.getByRole('button', { name: 'Yes, submit' }).click();
    await page.getByRole('heading', { name: 'Your result' }).waitFor();
    // Six of seven one-point questions right (the short answer was wrong): 85.71 %, over the pass mark of 60.
    expect(await page.getByRole('group', { name: 'Score' }).locator('.tile-value').textContent()).toBe('85.7%');
    expect(await page.getByRole('group', { name: 'Result' }).locator('.tile-value').textContent()).toBe('Passed');
    const review = page.locator('ol.review > li');
    expect(await review.count()).toBe(total);
    const shortAnswer = review.filter({ hasText: 'warns pedestrians' });
    expect(await shortAnswer.textContent()).toMatch(/Wrong: 0% of 1 point.*Your answer\s*whistle.*Right answer\s*horn/);
    expect(await review.filter({ hasText: 'Where is a load carried' }).textContent()).toContain('Right.');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    if (process.env.UPDATE_SCREENSHOTS)
      await page.screenshot({ path: 'docs/screenshots/quiz-result.png', fullPage: true });

    // The pass completed the assignment, with the quiz's score.
    await page.getByRole('link', { name: 'Back to Training Center' }).click();
    const done = region(page, 'Completed').getByRole('listitem').filter({ hasText: title });
    await done.getByText('85.71').waitFor();
    expect(await done.getByRole('button', { name: 'Take quiz' }).count()).toBe(0);

    // The officer's item analysis counts the attempt: one answer each, the short answer never right.
    const analytics = await open(officer.token, '/analytics');
    const stats = region(analytics, 'Question statistics');
    await stats.getByLabel('Quiz of course').selectOption({ label: title });
    const row = (text: string) => stats.getByRole('row').filter({ hasText: text }).getByRole('cell');
    await expect.poll(() => row('warns pedestrians').allTextContents()).toEqual(['1', '0%', '—']);
    expect(await row('rated capacity').allTextContents()).toEqual(['1', '100%', '—']);
    expect(await stats.getByRole('row').count()).toBe(total + 1);
    if (process.env.QUIZ_SHOTS) await stats.screenshot({ path: '/tmp/quizweb-stats.png' });
  }, 120_000);

  it('retries a save the network dropped (Saved only once acknowledged); after the deadline shows time is up and the result', async () => {
    const { title, courseId } = await forkliftQuiz(officer, { review: 'SCORE', maxAttempts: 2, cooldownMinutes: 60 });
    const { page } = await workerWith(courseId, 'Tom Okafor');
    await startQuiz(page, title);
    await page.getByText(/^Question 1 of /).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    const attemptOf = `SELECT id FROM quiz_attempts WHERE tenant_id = $1 AND status = 'in_progress'
      AND assignment_id IN (SELECT id FROM training_assignments WHERE course_id = $2)`;
    const savedAnswers = () =>
      web.server.owner.count('quiz_answers', `attempt_id IN (${attemptOf})`, [officer.tenantId, courseId]);

    // The first two saves never reach the server: the mark says so, then the retry lands.
    let dropped = 0;
    await page.route('**/graphql', (route) => {
      if (dropped < 2 && route.request().postData()?.includes('saveQuizAnswer')) {
        dropped += 1;
        return route.abort('internetdisconnected');
      }
      return route.continue();
    });
    await answerRightly(page, { onlyFirstStep: true });
    await expect.poll(() => saveMark(page)).toBe('Not saved yet: trying again…');
    expect(await savedAnswers()).toBe(0);
    await expect.poll(() => saveMark(page), { timeout: 15_000 }).toBe('Saved');
    expect(dropped).toBe(2);
    expect(await savedAnswers()).toBe(1);

    // The server's deadline passes while the page still counts down.
    await web.server.owner.query(
      `UPDATE quiz_attempts SET deadline = now() - interval '1 second' WHERE id IN (${attemptOf})`,
      [officer.tenantId, courseId],
    );
    await page.getByRole('button', { name: 'Next' }).click();
    await answerRightly(page, { onlyFirstStep: true });
    await page.getByText('Time is up: the answers saved by the deadline are being scored.').waitFor();
    await page.getByRole('heading', { name: 'Your result' }).waitFor();
    await page.getByText('Time ran out: the answers saved by the deadline were scored.').waitFor();
    expect(await page.getByRole('group', { name: 'Result' }).locator('.tile-value').textContent()).toBe('Not passed');
    expect(await page.locator('ol.review').count()).toBe(0);

    // The next attempt waits for the cooldown: the card says when it may start.
    await page.getByRole('link', { name: 'Back to Training Center' }).click();
    const card = region(page, 'In progress').getByRole('listitem').filter({ hasText: title });
    await card.getByRole('button', { name: 'Take quiz' }).click();
    await card.getByText(/^Not yet: your next attempt may start at .+ \(in (59|60) min\)\.$/).waitFor();
    if (process.env.QUIZ_SHOTS) await card.screenshot({ path: '/tmp/quizweb-card.png' });
  }, 90_000);
});
