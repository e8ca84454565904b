import { beforeAll, describe, expect, it } from 'vitest';
import { RecordPredictiveScoresDocument } from '../../src/generated/operations/graphql.js';
import type { Actor } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { liveSubscription, region, sidewaysPan, useWebApp } from './browser.js';

/**
 * What a safety officer and a worker meet: people picked by name, a question before an assignment is
 * cancelled, officers starting on Training Analytics, risk reasons that name people, and no page that
 * pans sideways on a 375 px phone.
 */

const web = useWebApp();
let officer: Actor;
let worker: Actor;
const PHONE = { width: 375, height: 812 };

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Sam Officer' });
  worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Chen', email: 'wei@example.com' });
  const namesake = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Weiss Berg' });
  // Profiles exist once their tokens were used (or the identity feed sent them).
  for (const actor of [worker, namesake]) await actor.request('{ me { id } }');
}, 360_000);

const open = (actor: Actor, path = '/', viewport = { width: 1280, height: 900 }) =>
  web.open(actor.token, path, { viewport });

describe('an officer', () => {
  it('starts on Training Analytics, and finds their own training under Training Center', async () => {
    const page = await open(officer);

    await page.getByRole('heading', { name: 'Training Analytics' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/analytics');
    await page.getByRole('link', { name: 'Training Center' }).click();
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/training');
  });

  it('assigns by picking a person by name, by keyboard, the id shown small', async () => {
    const title = `Harness ${crypto.randomUUID().slice(0, 6)}`;
    await createCourse(officer, { title, category: 'EQUIPMENT_SAFETY' });
    const page = await open(officer, '/analytics');
    const assignments = region(page, 'Assignments');
    await assignments.getByLabel('Course to assign').selectOption({ label: title });

    // Nobody picked: the form says so beside the field, and nothing is sent.
    await assignments.getByRole('button', { name: 'Assign', exact: true }).click();
    await assignments.getByText('Pick a person: type part of their name').waitFor();

    const person = assignments.getByRole('combobox', { name: 'Person' });
    await person.fill('wei');
    // The directory's matches for "wei" only (not the list shown on focus, before the search ran).
    await expect
      .poll(() => assignments.getByRole('listbox', { name: 'Person: matches' }).getByRole('option').allTextContents())
      .toEqual([expect.stringMatching(/^Wei Chen/), expect.stringMatching(/^Weiss Berg/)]);
    await person.press('ArrowDown');
    await person.press('Enter');
    await expect(person.inputValue()).resolves.toBe('Wei Chen');
    await assignments.getByText(`Id ${worker.userId}`).waitFor();
    await assignments.getByRole('button', { name: 'Assign', exact: true }).click();
    await assignments.getByText(`Assigned ${title} to Wei Chen.`).waitFor();
  });

  it('is asked before an assignment is cancelled, and may keep it', async () => {
    const title = `Scaffold ${crypto.randomUUID().slice(0, 6)}`;
    const courseId = await createCourse(officer, { title, category: 'COMPLIANCE' });
    const assignmentId = await assignCourse(officer, courseId, worker.userId);
    const page = await open(officer, '/analytics');
    const assignments = region(page, 'Assignments');
    const cancel = assignments.getByRole('button', { name: `Cancel ${title} for Wei Chen` });

    await cancel.click();
    const question = assignments.getByRole('group', { name: `Cancel ${title} for Wei Chen?` });
    await question.getByRole('button', { name: 'Keep it' }).click();
    const status = () =>
      web.server.owner.query<{ status: string }>('SELECT status FROM training_assignments WHERE id = $1', [
        assignmentId,
      ]);
    expect(await status()).toEqual([{ status: 'assigned' }]);

    await cancel.click();
    await question.getByRole('button', { name: 'Yes, cancel it' }).click();
    await assignments.getByText(`Cancelled ${title} for Wei Chen.`).waitFor();
    expect(await status()).toEqual([{ status: 'cancelled' }]);
  });
});

describe('a worker', () => {
  it('reads why a risk-based course was assigned, naming them, not an id', async () => {
    const title = `Fatigue ${crypto.randomUUID().slice(0, 6)}`;
    await createCourse(officer, {
      title,
      category: 'RISK_MANAGEMENT',
      entityType: 'WORKER',
      riskThreshold: 70,
      autoAssignEnabled: true,
    });
    const admin = await web.server.actor('admin', { tenantId: officer.tenantId });
    const recorded = await admin.request(RecordPredictiveScoresDocument, {
      scores: [{ entityType: 'WORKER', entityId: worker.userId, score: 72 }],
      autoAssign: true,
    });
    expect(recorded.errors).toBeUndefined();
    const page = await open(worker, '/', PHONE);

    const card = region(page, 'To do').getByRole('listitem').filter({ hasText: title });
    await card.waitFor();
    expect(await card.textContent()).toContain('Risk score 72 for worker Wei Chen (course threshold 70)');
  });
});

describe('notifications in the app', () => {
  it('count on the bell, arrive live, are marked read, and e-mail preferences are saved', async () => {
    const learner = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Nia Bell' });
    await learner.request('{ me { id } }');
    const live = liveSubscription(web.server);
    const page = await open(learner, '/', PHONE);
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();
    await live();
    const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
    await expect(bell.getAttribute('aria-label')).resolves.toBe('Notifications, 0 unread');

    const title = `Ladder ${crypto.randomUUID().slice(0, 6)}`;
    const courseId = await createCourse(officer, { title, category: 'COMPLIANCE' });
    await assignCourse(officer, courseId, learner.userId);
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 10_000 }).toBe('Notifications, 1 unread');

    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await panel.getByText(`New training: ${title}`).waitFor();
    expect(await sidewaysPan(page)).toBeLessThanOrEqual(0);
    await panel.getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications, 0 unread');
    const [row] = await web.server.owner.query<{ read: boolean }>(
      'SELECT read_at IS NOT NULL AS read FROM notifications WHERE user_id = $1',
      [learner.userId],
    );
    expect(row).toEqual({ read: true });

    await panel.getByRole('button', { name: 'E-mail preferences' }).click();
    await page.getByRole('heading', { name: 'Notification preferences' }).waitFor();
    await page.getByLabel('Training due soon').uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByText('Saved your e-mail preferences.').waitFor();
    const [preferences] = await web.server.owner.query<{ email_opt_out: string[] }>(
      'SELECT email_opt_out FROM notification_preferences WHERE user_id = $1',
      [learner.userId],
    );
    expect(preferences).toEqual({ email_opt_out: ['due_soon'] });
  }, 60_000);
});

describe('notifications written by scheduled jobs', () => {
  it('reach the bell within a minute while the app is in view, with no live event and no reload', async () => {
    const learner = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Ola Minute' });
    await learner.request('{ me { id } }');
    const title = `Harness ${crypto.randomUUID().slice(0, 6)}`;
    const assignmentId = await assignCourse(
      officer,
      await createCourse(officer, { title, category: 'COMPLIANCE' }),
      learner.userId,
    );
    const context = await web.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(`${web.origin}/#token=${learner.token}`);
    const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications, 1 unread');

    // What the reminders job writes: a row, announced on no live channel.
    await web.server.owner.query(
      `INSERT INTO notifications (tenant_id, user_id, kind, assignment_id, subject)
       VALUES ($1, $2, 'due_soon', $3, $4)`,
      [officer.tenantId, learner.userId, assignmentId, `Due soon: ${title}`],
    );
    await page.clock.fastForward(61_000);
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications, 2 unread');
    await context.close();
  }, 60_000);
});

describe('on a 375 px phone', () => {
  it('no page pans sideways', async () => {
    const routes: [Actor, string, string][] = [
      [worker, '/', 'Training Center'],
      [officer, '/training', 'Training Center'],
      [officer, '/analytics', 'Training Analytics'],
      [officer, '/questions', 'Question bank'],
      [worker, '/notifications', 'Notification preferences'],
    ];
    for (const [actor, path, heading] of routes) {
      const page = await open(actor, path, PHONE);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // A loaded machine may take seconds to answer the page's queries.
      await expect.poll(() => page.getByText(/^Loading /).count(), { timeout: 20_000 }).toBe(0);
      expect(await sidewaysPan(page), `${path} as ${actor.role}`).toBeLessThanOrEqual(0);
      await page.context().close();
    }
  }, 120_000);
});
