import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintDemoTokens, seedDemoTenant, type DemoTokens } from '../../src/web/demo-data.js';
import { DEMO_SAFETY_OFFICER, DEMO_WORKERS, DEMO_ZONES, type DemoUser } from '../../src/web/demo-tenant.js';
import { TEST_JWT_SECRET } from '../support/server.js';
import { region, seriousViolations, sidewaysPan, useWebApp } from './browser.js';

/**
 * Training Analytics on the seeded demo tenant (`seedDemoTenant` on a fresh database, as `npm run seed:demo`
 * does): Auto-assign's Preview proposing people with the reason, the filters, a tile's people, the exports
 * for the filters, revoking a certificate, and every page at 375 px without sideways panning.
 * `UPDATE_SCREENSHOTS=1` rewrites the README's analytics screenshots.
 */

const web = useWebApp();
let tokens: DemoTokens;
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const shots = process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : undefined;
const [WEI, , TOM, PRIYA, , LENA] = DEMO_WORKERS as [DemoUser, DemoUser, DemoUser, DemoUser, DemoUser, DemoUser];

beforeAll(async () => {
  tokens = await mintDemoTokens(TEST_JWT_SECRET, '1h');
  await seedDemoTenant({ url: web.server.url, db: web.server.db }, tokens);
}, 360_000);

const open = (person: DemoUser, path: string, viewport = DESKTOP) =>
  web.open(tokens.get(person.id), path, { viewport, acceptDownloads: true });

describe('the demo tenant on Training Analytics', () => {
  it("Auto-assign's Preview proposes people, each with the score behind it", async () => {
    const page = await open(DEMO_SAFETY_OFFICER, '/analytics');
    const auto = region(page, 'Auto-assign');
    await auto.getByRole('button', { name: 'Preview' }).click();
    const summary = await auto.getByText(/^Preview: \d+ assignment\(s\) would be created/).textContent();
    const count = Number(/Preview: (\d+)/.exec(summary!)![1]);
    expect(count).toBeGreaterThan(0);

    const items = await auto.getByRole('list', { name: 'Would be assigned' }).getByRole('listitem').allTextContents();
    expect(items).toHaveLength(count);
    for (const item of items) {
      expect(
        DEMO_WORKERS.some((worker) => item.startsWith(`${worker.name} — `)),
        item,
      ).toBe(true);
      expect(item, item).toMatch(/: Risk score \d+/);
      expect(item, item).not.toMatch(UUID);
    }
    expect(items).toContainEqual(expect.stringContaining(`Risk score 68 for worker ${WEI.name} (course threshold 55)`));
    expect(items).toContainEqual(expect.stringContaining(`Risk score 71 for driver ${PRIYA.name}`));
    if (shots) await auto.screenshot({ path: `${shots}/auto-assign-preview.png` });
    await page.context().close();
  }, 60_000);

  it('narrows to a zone, opens the people behind a tile, and exports what it shows', async () => {
    const page = await open(DEMO_SAFETY_OFFICER, '/analytics');
    const byZone = region(page, 'Figures by zone');
    await expect.poll(() => byZone.getByRole('row').count()).toBe(4);
    if (shots) await page.screenshot({ path: `${shots}/training-analytics.png` });

    const filters = page.getByRole('search', { name: 'Filters' });
    await filters.getByLabel('Zone').selectOption({ label: `Zone …${DEMO_ZONES.highBay.slice(-6)}` });
    await expect.poll(() => byZone.getByRole('row').count()).toBe(2);
    await page.getByRole('button', { name: /^Assignments: \d+\. Show the people$/ }).click();
    const people = page.getByRole('list', { name: 'People: Assignments' });
    await people.getByRole('listitem').first().waitFor();
    const names = new Set((await people.getByRole('listitem').allTextContents()).map((item) => item.split(' — ')[0]));
    expect([...names].sort()).toEqual([PRIYA.name, TOM.name].sort());
    const listed = Number(/^(\d+) assignment/.exec((await page.getByText(/^\d+ assignment\(s\)/).textContent())!)![1]);
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await page.screenshot({ path: `${shots}/analytics-drill-down.png` });

    // The export of the same filter: the same people, as many rows as the drill-down lists.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      filters.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^training-records-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...rows] = (await readFile((await csv.path())!, 'utf8')).trim().split(/\r?\n/);
    expect(header).toMatch(/^Person,Email,Course,/);
    expect(rows).toHaveLength(listed);
    expect(new Set(rows.map((row) => row.split(',')[0]))).toEqual(new Set([PRIYA.name, TOM.name]));

    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      filters.getByRole('button', { name: 'Export Excel' }).click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    expect((await readFile((await xlsx.path())!)).subarray(0, 2).toString()).toBe('PK');
    await page.context().close();
  }, 60_000);

  it('revokes a certificate only once the officer says yes', async () => {
    const page = await open(DEMO_SAFETY_OFFICER, '/analytics');
    const assignments = region(page, 'Assignments');
    const who = `Working at Heights for ${LENA.name}`;
    const revoke = assignments.getByRole('button', { name: `Revoke the certificate of ${who}` });
    const question = assignments.getByRole('group', {
      name: `Revoke the certificate of ${who}? Its verify page will say so.`,
    });
    const revoked = () =>
      web.server.owner.query<{ revoked: boolean }>(
        `SELECT c.revoked_at IS NOT NULL AS revoked FROM certificates c
         JOIN training_courses co ON co.id = c.course_id WHERE c.user_id = $1 AND co.title = 'Working at Heights'`,
        [LENA.id],
      );

    await revoke.click();
    await question.getByRole('button', { name: 'Keep it' }).click();
    expect(await revoked()).toEqual([{ revoked: false }]);

    await revoke.click();
    await question.getByRole('button', { name: 'Yes, revoke it' }).click();
    await assignments.getByText(`Revoked the certificate of ${who}.`).waitFor();
    expect(await revoked()).toEqual([{ revoked: true }]);
    await assignments.getByRole('row').filter({ hasText: '(certificate revoked)' }).waitFor();
    await page.context().close();
  }, 60_000);
});

describe('on a 375 px phone', () => {
  it('no page pans sideways: sign-in, both screens with their panels open, question bank, preferences, verify', async () => {
    const [certificate] = await web.server.owner.query<{ code: string }>('SELECT code FROM certificates LIMIT 1');
    const visits: [DemoUser | null, string, (page: Page) => Promise<void>][] = [
      [null, '/', (page) => page.getByRole('heading', { name: 'Sign in' }).waitFor()],
      [WEI, '/', (page) => page.getByRole('heading', { name: 'Training Center', level: 1 }).waitFor()],
      [DEMO_SAFETY_OFFICER, '/training', (page) => page.getByRole('heading', { name: 'Training Center' }).waitFor()],
      [
        DEMO_SAFETY_OFFICER,
        '/analytics',
        async (page) => {
          await region(page, 'Figures by zone').waitFor();
          await page.getByRole('button', { name: /^Overdue: \d+\. Show the people$/ }).click();
          await page.getByRole('region', { name: 'People: Overdue' }).getByRole('listitem').first().waitFor();
          await region(page, 'Auto-assign').getByRole('button', { name: 'Preview' }).click();
          await page.getByRole('list', { name: 'Would be assigned' }).waitFor();
        },
      ],
      [DEMO_SAFETY_OFFICER, '/questions', (page) => page.getByRole('heading', { name: 'Question bank' }).waitFor()],
      [WEI, '/notifications', (page) => page.getByRole('heading', { name: 'Notification preferences' }).waitFor()],
      [null, `/verify/${certificate!.code}`, (page) => page.locator('h1').first().waitFor()],
    ];
    for (const [person, path, ready] of visits) {
      const page = person
        ? await open(person, path, PHONE)
        : await (await web.newContext({ viewport: PHONE })).newPage();
      if (!person) await page.goto(`${web.origin}${path}`);
      await ready(page);
      // A loaded machine may take seconds to answer the page's queries.
      await expect.poll(() => page.getByText(/^Loading /).count(), { timeout: 20_000 }).toBe(0);
      expect(await sidewaysPan(page), `${path} as ${person?.name ?? 'nobody'}`).toBeLessThanOrEqual(0);
      await page.context().close();
    }
  }, 120_000);
});
