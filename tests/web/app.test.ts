import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import {
  AutoAssignTrainingDocument,
  CreateTrainingCourseDocument,
  RecordPredictiveScoresDocument,
  TrainingAssignmentsDocument,
  WebAnalyticsDocument,
  WebMeDocument,
} from '../../src/generated/operations/graphql.js';
import { errorCode, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { DEMO_TENANT_ID } from '../../src/web/demo-tenant.js';
import type { DemoUser } from '../../src/web/serve.js';
import { liveSubscription, originOf, region, seriousViolations, useWebApp } from './browser.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The web app in a real browser against the real server: what a worker on a phone and a
 * safety officer at a desk do, found by the headings, labels and button names people see.
 */

const web = useWebApp();
let officer: Actor;
/** What the page's Content-Security-Policy refused (Chromium says so on the console): a policy that breaks the app. */
const cspViolations: string[] = [];

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Sam Officer' });
}, 360_000);
afterEach(() => {
  expect(cspViolations.splice(0)).toEqual([]);
});

async function open(
  token: string | undefined,
  path = '/',
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; live: () => Promise<void> }> {
  const context = await web.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const live = liveSubscription(web.server);
  await page.goto(`${web.origin}${path}${token ? `#token=${token}` : ''}`);
  return { page, live };
}

const tile = (page: Page, label: string) =>
  page.getByRole('group', { name: label, exact: true }).locator('.tile-value');

describe('sign-in', () => {
  it('takes a pasted token, keeps it for the tab, and shows no demo picker with a configured secret', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Paste Person' });
    const { page } = await open(undefined);

    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not a token').waitFor();
    await page.getByLabel('Access token').fill(worker.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Demo users' }).count()).toBe(0);
    expect((await fetch(`${web.origin}/dev/demo-users`)).status).toBe(404);
  });

  it('takes #token= from the address and removes it from the address bar', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId });
    const { page } = await open(worker.token);

    await page.getByRole('heading', { name: 'Training Center' }).waitFor();
    expect(page.url()).toBe(`${web.origin}/`);
  });

  it('sends a person whose token expires mid-session back to sign-in with a message', async () => {
    const token = await mintToken({
      secret: TEST_JWT_SECRET,
      tenantId: officer.tenantId,
      userId: crypto.randomUUID(),
      role: 'worker',
      expiresIn: '8s',
    });
    const { page } = await open(token);
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();

    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/session has ended/);
  }, 40_000);
});

describe('an officer assigns, a worker completes', () => {
  it('shows the new assignment live in the worker’s open Training Center, and the officer’s tiles follow', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Chen' });
    const { page: workerPage, live } = await open(worker.token, '/', { width: 375, height: 812 });
    await workerPage.getByText('You have no training assigned').waitFor();
    await live();

    const { page: officerPage } = await open(officer.token, '/analytics');
    await officerPage.getByRole('heading', { name: 'Training Analytics' }).waitFor();
    await expect.poll(async () => /^\d+$/.test((await tile(officerPage, 'Completed').textContent()) ?? '')).toBe(true);
    const completedBefore = Number(await tile(officerPage, 'Completed').textContent());

    const courses = region(officerPage, 'Courses');
    await courses.getByLabel('Title', { exact: true }).fill('Forklift Safety');
    await courses.getByLabel('Category', { exact: true }).last().selectOption({ label: 'Equipment safety' });
    await courses.getByLabel('Valid for (months)').fill('12');
    await courses.getByLabel('Issues a certificate').check();
    await courses.getByRole('button', { name: 'Create course' }).click();
    await courses.getByText('Created “Forklift Safety”.').waitFor();

    const assignments = region(officerPage, 'Assignments');
    await assignments.getByLabel('Course to assign').selectOption({ label: 'Forklift Safety' });
    // The person by name: type part of it, pick them from the directory's matches.
    await assignments.getByRole('combobox', { name: 'Person' }).fill('wei ch');
    await assignments.getByRole('option', { name: /Wei Chen/ }).click();
    await assignments.getByText(`Id ${worker.userId}`).waitFor();
    await assignments.getByLabel('Due date').fill('2030-01-31');
    await assignments.getByLabel('Reason').fill('New forklift on site');
    await assignments.getByRole('button', { name: 'Assign', exact: true }).click();
    await assignments.getByText('Assigned Forklift Safety to Wei Chen.').waitFor();

    // Committed before the officer saw the confirmation: the worker's open screen gets it without a reload
    // (how fast is measured by the subscriptions benchmark, not here: this machine may be loaded).
    const card = region(workerPage, 'To do').getByRole('listitem').filter({ hasText: 'Forklift Safety' });
    await card.waitFor({ timeout: 20_000 });
    expect(await card.getByText('New', { exact: true }).isVisible()).toBe(true);
    expect(await card.textContent()).toContain('New forklift on site');

    // At 375 px and by keyboard: Start, then Complete with the form.
    expect(Number(await workerPage.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    await card.getByRole('button', { name: 'Start' }).focus();
    await workerPage.keyboard.press('Enter');
    const started = region(workerPage, 'In progress').getByRole('listitem').filter({ hasText: 'Forklift Safety' });
    await started.getByRole('button', { name: 'Complete' }).click();
    await started.getByLabel('Score (0–100)').fill('150');
    await started.getByLabel('Passed', { exact: true }).check();
    await started.getByLabel('Minutes spent').fill('41');
    await started.getByRole('button', { name: 'Complete' }).click();
    // The API's error, beside the field it names (read once it has arrived: the request takes a moment).
    await started.getByText('Score must be from 0 to 100').waitFor();
    await expect(started.getByLabel('Score (0–100)').getAttribute('aria-invalid')).resolves.toBe('true');

    await started.getByLabel('Score (0–100)').fill('92');
    await started.getByRole('button', { name: 'Complete' }).click();
    const done = region(workerPage, 'Completed').getByRole('listitem').filter({ hasText: 'Forklift Safety' });
    await done.waitFor();
    const expires = new Date();
    expires.setUTCMonth(expires.getUTCMonth() + 12);
    expect(await done.textContent()).toContain('Expires');
    expect(await done.textContent()).toContain(String(expires.getUTCFullYear()));
    // Completed ones link their certificate's PDF.
    const certificate = done.getByRole('link', { name: 'Certificate (PDF)' });
    await certificate.waitFor();
    expect(await certificate.getAttribute('href')).toMatch(/\/certificates\/[A-Za-z0-9_-]{24}\.pdf$/);
    await expect.poll(() => tile(workerPage, 'Completed').textContent(), { timeout: 10_000 }).toBe('1');

    // The officer's screen refreshes its figures by itself.
    await expect
      .poll(async () => Number(await tile(officerPage, 'Completed').textContent()), { timeout: 10_000 })
      .toBe(completedBefore + 1);
  }, 60_000);

  it('shows the API’s errors beside every course field they name, in plain words, and writes nothing', async () => {
    const { page } = await open(officer.token, '/analytics');
    const courses = region(page, 'Courses');
    await courses.getByLabel('Title', { exact: true }).fill('Too risky');
    await courses.getByLabel('Risk threshold (0–100)').fill('150');
    await courses.getByLabel('Duration (minutes)').fill('0');
    await courses.getByRole('button', { name: 'Create course' }).click();

    const threshold = courses.getByLabel('Risk threshold (0–100)');
    await courses.getByText('Risk threshold must be from 0 to 100').waitFor();
    await expect(threshold.getAttribute('aria-invalid')).resolves.toBe('true');
    await courses.getByText('Duration must be an integer from 1 to 10000').waitFor();
    await expect(courses.getByLabel('Duration (minutes)').getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await threshold.getAttribute('aria-describedby'))!;
    expect(await page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent()).toContain('must be from 0 to 100');
    const list = await officer.request(`{ trainingCourses(filter: { search: "Too risky" }) { totalCount } }` as string);
    expect(list.data).toEqual({ trainingCourses: { totalCount: 0 } });
  });
});

describe('Auto-assign', () => {
  it('previews exactly what the real run then creates', async () => {
    const tenant = await web.server.actor('admin');
    const workers = await Promise.all(
      ['Maria Lopez', 'Tom Okafor', 'Priya Nair'].map((name) =>
        web.server.actor('worker', { tenantId: tenant.tenantId, name }),
      ),
    );
    for (const worker of workers) await worker.request(WebMeDocument);
    for (const [title, threshold] of [
      ['Lockout / Tagout', 55],
      ['Fatigue and Alertness', 80],
    ] as const) {
      const created = await tenant.request(CreateTrainingCourseDocument, {
        input: {
          title,
          category: 'COMPLIANCE',
          riskThreshold: threshold,
          entityType: 'WORKER',
          autoAssignEnabled: true,
        },
      });
      expect(created.errors).toBeUndefined();
    }
    const recorded = await tenant.request(RecordPredictiveScoresDocument, {
      autoAssign: false,
      scores: workers.map((worker, index) => ({
        entityType: 'WORKER' as const,
        entityId: worker.userId,
        score: 50 + index * 20,
      })),
    });
    expect(recorded.errors).toBeUndefined();

    const { page } = await open(tenant.token, '/analytics');
    const autoAssign = region(page, 'Auto-assign');
    // Scores 50, 70, 90: Tom (70) gets Lockout; Priya (90) gets both; Maria (50) nothing.
    await autoAssign.getByRole('button', { name: 'Preview' }).click();
    const previewItems = autoAssign.getByRole('list', { name: 'Would be assigned' }).getByRole('listitem');
    await expect.poll(() => previewItems.count()).toBe(3);
    const preview = await previewItems.allTextContents();
    await autoAssign.getByRole('button', { name: 'Assign', exact: true }).click();
    const createdItems = autoAssign.getByRole('list', { name: 'Assigned' }).getByRole('listitem');
    await expect.poll(() => createdItems.count()).toBe(3);
    const created = await createdItems.allTextContents();

    expect(
      preview.some((line) =>
        line.startsWith('Priya Nair — Fatigue and Alertness: Risk score 90 for worker Priya Nair (course threshold'),
      ),
    ).toBe(true);
    expect([...created].sort()).toEqual([...preview].sort());
    const stored = await tenant.request(TrainingAssignmentsDocument, { filter: { assignmentType: 'RISK_BASED' } });
    expect(stored.data!.trainingAssignments.totalCount).toBe(3);

    await autoAssign.getByRole('button', { name: 'Preview' }).click();
    await autoAssign.getByText('Nobody needs new training right now.').waitFor();
  });
});

describe('roles', () => {
  it('keeps Training Analytics from a worker, in the UI and in the API', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId });
    const { page } = await open(worker.token, '/analytics');

    await page.getByText('Training Analytics is for administrators and safety officers.').waitFor();
    expect(await page.getByRole('heading', { name: 'Training Analytics' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Training Analytics' }).count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Total courses' }).count()).toBe(0);

    const tenantWide = await officer.request(WebAnalyticsDocument);
    const own = await worker.request(WebAnalyticsDocument);
    expect(tenantWide.data!.trainingAnalytics.totalAssignments).toBeGreaterThan(0);
    expect(own.data!.trainingAnalytics).toMatchObject({ totalAssignments: 0, overdueAssignments: [] });
    expect(own.data!.trainingAnalytics.byCourse.every((row) => row.assignments === 0)).toBe(true);
    expect(errorCode(await worker.request(AutoAssignTrainingDocument, { dryRun: true }))).toBe('FORBIDDEN');
    expect(
      errorCode(await worker.request(CreateTrainingCourseDocument, { input: { title: 'x', category: 'OTHER' } })),
    ).toBe('FORBIDDEN');
  });
});

describe('accessibility (axe-core: no serious or critical violation)', () => {
  it('on the sign-in screen', async () => {
    const { page } = await open(undefined);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  it('on the Training Center, at 375 px', async () => {
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId });
    const { page } = await open(worker.token, '/', { width: 375, height: 812 });
    await page.getByRole('heading', { name: 'Overdue' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  it('on Training Analytics', async () => {
    const { page } = await open(officer.token, '/analytics');
    await page.getByRole('group', { name: 'Total courses' }).waitFor();
    await expect.poll(() => page.getByText(/^Loading /).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);
});

describe('with the development secret (no JWT_SECRET) and the demo seed', () => {
  let devServer: TestServer;
  let devOrigin: string;

  beforeAll(async () => {
    const secretFile = path.join(mkdtempSync(path.join(tmpdir(), 'web-dev-secret-')), 'secret');
    devServer = await startTestServer({ JWT_SECRET: '', DEV_JWT_SECRET_FILE: secretFile });
    devOrigin = originOf(devServer.url);
    // `npm run seed:demo` beside this running server, as a newcomer runs it: a server on the embedded database
    // seeds itself (the folder is open in one process only). Asynchronously: the server answers from this process.
    const port = new URL(devServer.url).port;
    await promisify(execFile)('npx', ['tsx', 'scripts/seed-demo.ts'], {
      env: { ...process.env, JWT_SECRET: '', DEV_JWT_SECRET_FILE: secretFile, PORT: port, DATABASE_URL: '' },
      timeout: 240_000,
    });
  }, setupTimeout(300_000));
  afterAll(() => devServer?.stop());

  it('lists the demo tenant’s people with fresh tokens, and signs in as one with a click', async () => {
    const listing = await fetch(`${devOrigin}/dev/demo-users`);
    expect(listing.status).toBe(200);
    const body = (await listing.json()) as { tenantId: string; users: DemoUser[] };
    expect(body.tenantId).toBe(DEMO_TENANT_ID);
    expect(body.users.map((user) => user.displayName)).toEqual([
      'Ada Admin',
      'Sam Officer',
      'Jonas Berg',
      'Lena Novak',
      'Maria Lopez',
      'Priya Nair',
      'Tom Okafor',
      'Wei Chen',
    ]);

    const context = await web.newContext({ viewport: { width: 375, height: 812 } });
    const page = await context.newPage();
    await page.goto(devOrigin);
    await page.getByRole('heading', { name: 'Demo users' }).waitFor();
    await page.getByRole('button', { name: /Wei Chen/ }).click();
    await page.getByRole('heading', { name: 'Training Center' }).waitFor();
    await region(page, 'Completed').getByRole('listitem').first().waitFor();
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    if (process.env.UPDATE_SCREENSHOTS) {
      await page.screenshot({ path: 'docs/screenshots/training-center.png', fullPage: true });
    }

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: /Sam Officer/ }).click();
    await page.getByRole('link', { name: 'Training Analytics' }).click();
    await page.getByRole('heading', { name: 'Training Analytics' }).waitFor();
    await expect(tile(page, 'Total courses').textContent()).resolves.toBe('6');
    await region(page, 'Assignments').getByRole('table').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // The analytics screenshots come from tests/web/analytics.test.ts (filters, drill-down, Preview).
  }, 180_000);
});
