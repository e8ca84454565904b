import { it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { launchBrowser, originOf } from './browser.js';

it('debug', async () => {
  const server = await startTestServer();
  const browser = await launchBrowser();
  const officer = await server.actor('safety_officer', { name: 'Sam' });
  const page = await browser.newPage();
  page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
  page.on('response', (r) => { if (r.status() >= 400) console.log('RESP', r.status(), r.url()); });
  page.on('request', (r) => { if (r.url().includes('graphql')) console.log('REQ', r.method(), (r.postData() ?? '').slice(0, 150)); });
  await page.goto(`${originOf(server.url)}/analytics#token=${officer.token}`);
  await page.getByRole('heading', { name: 'Training Analytics' }).waitFor();
  const courses = page.getByRole('region', { name: 'Courses', exact: true });
  await courses.getByLabel('Title', { exact: true }).fill('Forklift Safety');
  await courses.getByRole('button', { name: 'Create course' }).click();
  await new Promise((r) => setTimeout(r, 3000));
  console.log((await courses.innerText()).slice(0, 1500));
  await browser.close();
  await server.stop();
}, 120_000);
