import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { workerToken } from '../support/offline-replay.js';
import { signIn } from '../support/quizzes.js';
import type { Actor } from '../support/server.js';
import { assignCourse, createCourse, startAssignment } from '../support/training.js';
import { region, useWebApp } from './browser.js';
import { answerRightly, currentQuestion, forkliftQuiz, saveMark } from './quiz-pages.js';

/**
 * The installed app with no network, in a real browser against the real server: signed in once, the worker
 * reopens the app offline, starts an assignment and answers a quiz question; back online, the outbox goes out
 * and the server has each action exactly once. An expired token asks for sign-in and keeps the outbox.
 */

const web = useWebApp();
let officer: Actor;

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Olga Officer' });
}, 360_000);

const card = (page: Page, list: string, title: string) =>
  region(page, list).getByRole('listitem').filter({ hasText: title });

/** Opens the app signed in and waits until its service worker controls the page (the shell is precached). */
async function installed(context: BrowserContext, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${web.origin}/#token=${token}`);
  // Polled from here: the page's CSP refuses the eval that waitForFunction would run in it.
  await expect.poll(() => page.evaluate('navigator.serviceWorker.controller !== null'), { timeout: 60_000 }).toBe(true);
  return page;
}

/** A worker with a quiz course already started (its attempt opened online) and a plain course to start. */
async function workerWithTraining(name: string) {
  const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name });
  await signIn(worker);
  const quiz = await forkliftQuiz(officer);
  const quizAssignment = await assignCourse(officer, quiz.courseId, worker.userId);
  await startAssignment(worker, quizAssignment);
  const plainTitle = `Ladder safety ${name}`;
  const plainCourse = await createCourse(officer, { title: plainTitle, category: 'SAFETY_FUNDAMENTALS' });
  const plainAssignment = await assignCourse(officer, plainCourse, worker.userId);
  return { worker, quiz, plainTitle, plainAssignment };
}

const waitingCount = async (page: Page) => {
  const text = await page.getByText(/^Actions waiting to be sent: \d+$/).textContent();
  return Number(text!.split(': ')[1]);
};

describe('the app offline', () => {
  it('reopens with no network, queues a start and a quiz answer, and applies them exactly once back online', async () => {
    const { worker, quiz, plainTitle, plainAssignment } = await workerWithTraining('Nguyễn Thị Lựu');
    const context = await web.newContext({ viewport: { width: 375, height: 812 } });
    const page = await installed(context, worker.token);
    // Online once: the Training Center, then the quiz's attempt (the server draws its questions).
    await card(page, 'To do', plainTitle).waitFor();
    await card(page, 'In progress', quiz.title).getByRole('button', { name: 'Take quiz' }).click();
    await currentQuestion(page).waitFor();
    const attemptUrl = page.url();
    await page.goto(`${web.origin}/`);
    await card(page, 'To do', plainTitle).waitFor();

    const offlineSince = (await web.server.owner.query<{ now: Date }>('SELECT now()'))[0]!.now;
    await context.setOffline(true);
    await page.reload();
    await page.getByText('You are offline.', { exact: false }).waitFor();
    await card(page, 'To do', plainTitle).getByRole('button', { name: 'Start' }).click();
    await page.getByText('Started on this device').waitFor();

    await page.goto(attemptUrl);
    await currentQuestion(page).waitFor();
    const question = await answerRightly(page, { onlyFirstStep: true });
    await expect.poll(() => saveMark(page), { timeout: 15_000 }).toBe('Saved on this device');
    await page.goto(`${web.origin}/`);
    const queued = await waitingCount(page);
    expect(queued).toBeGreaterThanOrEqual(2);

    await context.setOffline(false);
    await page.getByText(/^Actions waiting to be sent/).waitFor({ state: 'detached', timeout: 60_000 });
    await card(page, 'In progress', plainTitle).waitFor();

    // Exactly once: one key per queued action, the start applied, the answer saved once per queued save.
    const keys = await web.server.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM idempotency_keys WHERE user_id = $1::uuid AND created_at >= $2`,
      [worker.userId, offlineSince],
    );
    expect(keys[0]!.n).toBe(queued);
    const [assignment] = await web.server.owner.query<{ status: string; started: boolean }>(
      `SELECT status::text AS status, started_at IS NOT NULL AS started FROM training_assignments WHERE id = $1::uuid`,
      [plainAssignment],
    );
    expect(assignment).toEqual({ status: 'in_progress', started: true });
    const answers = await web.server.owner.query<{ revision: number; text: string }>(
      `SELECT a.revision, q.text FROM quiz_answers a
       JOIN quiz_questions q ON q.tenant_id = a.tenant_id AND q.id = a.question_id
       JOIN quiz_attempts t ON t.tenant_id = a.tenant_id AND t.id = a.attempt_id WHERE t.user_id = $1::uuid`,
      [worker.userId],
    );
    expect(answers).toHaveLength(1);
    expect(question).toContain(answers[0]!.text.slice(0, 20));
    expect(answers[0]!.revision).toBeLessThanOrEqual(queued - 1);
    await context.close();
  }, 180_000);

  it('asks for sign-in when the token expires offline, keeps the outbox, and sends it after sign-in', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Łukasz Żółć' });
    await signIn(worker);
    const title = 'Confined spaces (expiring sign-in)';
    const courseId = await createCourse(officer, { title, category: 'SAFETY_FUNDAMENTALS' });
    const assignmentId = await assignCourse(officer, courseId, worker.userId);
    const expiresAt = Math.floor(Date.now() / 1000) + 45;
    const context = await web.newContext();
    const page = await installed(context, await workerToken(worker.userId, worker.tenantId, expiresAt));
    await card(page, 'To do', title).waitFor();

    await context.setOffline(true);
    await card(page, 'To do', title).getByRole('button', { name: 'Start' }).click();
    await page.getByText('Started on this device').waitFor();
    // The token expires: back to sign-in, the queued start still on the device.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 60_000 });
    await page.getByText('Actions kept on this device: 1.').waitFor();
    expect(
      (
        await web.server.owner.query(
          `SELECT 1 FROM training_assignments WHERE id = $1::uuid AND started_at IS NOT NULL`,
          [assignmentId],
        )
      ).length,
    ).toBe(0);

    await context.setOffline(false);
    await page.getByLabel('Access token').fill(await workerToken(worker.userId, worker.tenantId, expiresAt + 3600));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await card(page, 'In progress', title).waitFor({ timeout: 60_000 });
    const [row] = await web.server.owner.query<{ status: string; keys: number }>(
      `SELECT a.status::text AS status, (SELECT count(*)::int FROM idempotency_keys k
                                                   WHERE k.tenant_id = a.tenant_id AND k.user_id = a.user_id) AS keys
       FROM training_assignments a WHERE a.id = $1::uuid`,
      [assignmentId],
    );
    expect(row).toEqual({ status: 'in_progress', keys: 1 });
    await context.close();
  }, 180_000);
});
