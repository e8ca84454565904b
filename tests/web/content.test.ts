import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, type Actor } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { region, useWebApp } from './browser.js';
import { cmi5Package, PDF } from './content-au.js';

/**
 * Course content in a real browser against the real server: an officer uploads a video and a document (and sees
 * a refused upload's reason) and imports a cmi5 package; a worker plays the video and seeks (the LRS gets the
 * video profile's statements with the seek's from and to), opens the document, launches the AU, which reports
 * from its own page, and the assignment completes; Training Analytics shows the time spent per module.
 * The video is tests/web/fixtures/clip.webm: 6 s of VP8, 96×64, a key frame every second (ffmpeg's testsrc).
 */

const web = useWebApp();
let officer: Actor;
const CLIP = readFileSync(new URL('./fixtures/clip.webm', import.meta.url));

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Sam Officer' });
}, 360_000);

const open = (token: string, path: string) => web.open(token, path);

/** What the test uses of the page's HTMLVideoElement (the tests are type-checked without the DOM's types). */
interface Media {
  muted: boolean;
  readyState: number;
  playbackRate: number;
  currentTime: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(name: string, listener: (value?: unknown) => void, options?: { once: boolean }): void;
}

const EXT = 'https://w3id.org/xapi/video/extensions/';

describe('course content in the browser', () => {
  it('an officer adds a video, a document and a cmi5 package; a worker completes them; Analytics shows the time', async () => {
    const title = 'Forklift content';
    const courseId = await createCourse(officer, {
      title,
      category: 'EQUIPMENT_SAFETY',
      requirements: { quiz: false, content: true, practicalEvaluation: false },
    });
    const page = await open(officer.token, '/analytics');
    await region(page, 'Courses')
      .getByRole('button', { name: `Edit ${title}` })
      .click();
    const content = region(page, `Content: ${title}`);
    await content.getByText('No modules yet').waitFor();

    // A file the server does not take: its reason is shown.
    const form = content.getByRole('form', { name: 'Add a module' });
    const file = form.getByLabel('File (video, PDF or image)');
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'video/webm', buffer: Buffer.from('plain words') });
    await form.getByText(/The server refused the file: .+/).waitFor();

    await form.getByLabel('Module title').fill('Forklift video');
    await file.setInputFiles({ name: 'clip.webm', mimeType: 'video/webm', buffer: CLIP });
    await form.getByText(/Uploaded clip\.webm \(video\/webm/).waitFor();
    await form.getByLabel('Length in seconds').fill('6');
    await form.getByRole('button', { name: 'Add module' }).click();
    await content.getByText('Added Forklift video.').waitFor();

    const next = content.getByRole('form', { name: 'Add a module' });
    await next.getByLabel('Module title').fill('Safety sheet');
    await next.getByLabel('Kind').selectOption('DOCUMENT');
    await next
      .getByLabel('File (video, PDF or image)')
      .setInputFiles({ name: 'sheet.pdf', mimeType: 'application/pdf', buffer: PDF });
    await next.getByText(/Uploaded sheet\.pdf/).waitFor();
    await next.getByRole('button', { name: 'Add module' }).click();
    await content.getByText('Added Safety sheet.').waitFor();

    await content
      .getByLabel('cmi5 package')
      .setInputFiles({ name: 'forklift.zip', mimeType: 'application/zip', buffer: cmi5Package() });
    await content.getByText('Imported the cmi5 package: the course has 3 modules.').waitFor();
    const rows = content.getByRole('region', { name: 'Modules' }).getByRole('row');
    // The list is read again after the import's answer: on a loaded machine a moment later.
    await expect
      .poll(() => rows.allInnerTexts(), { timeout: 20_000 })
      .toEqual([
        expect.stringContaining('Module'),
        expect.stringMatching(/Forklift video\s+Video\s+Yes\s+6 s/),
        expect.stringMatching(/Safety sheet\s+Document\s+Yes/),
        expect.stringMatching(/Lesson 0\s+cmi5 AU\s+Yes/),
      ]);

    // The worker's side.
    const worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Worker' });
    await ok(worker.request('{ me { id } }'));
    const assignmentId = await assignCourse(officer, courseId, worker.userId);
    const learner = await open(worker.token, '/');
    await region(learner, 'To do')
      .getByRole('listitem')
      .filter({ hasText: title })
      .getByRole('button', { name: 'Start' })
      .click();
    const card = region(learner, 'In progress').getByRole('listitem').filter({ hasText: title });
    const modules = card.getByRole('list', { name: 'Course content' });
    await modules.getByText('Not started').first().waitFor();

    await modules.getByRole('button', { name: 'Play Forklift video' }).click();
    const video = card.getByLabel('Forklift video', { exact: true });
    await video.waitFor();
    // Play at 4× to 2 s, pause, seek back to 1 s, play to the end: every second of it played.
    const pausedAt = await video.evaluate(async (element: Media) => {
      element.muted = true;
      if (element.readyState < 1)
        await new Promise((resolve) => element.addEventListener('loadedmetadata', resolve, { once: true }));
      element.playbackRate = 4;
      await element.play();
      await new Promise<void>((resolve) => {
        const check = () => (element.currentTime >= 2 ? resolve() : setTimeout(check, 20));
        check();
      });
      element.pause();
      // As a person would: the player has paused before the scrubber is dragged.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const at = element.currentTime;
      element.currentTime = 1;
      await element.play();
      await new Promise((resolve) => element.addEventListener('ended', resolve, { once: true }));
      return at;
    });
    expect(pausedAt).toBeGreaterThan(1.5);
    await card.getByText('— watched to the end').waitFor();
    await modules.getByRole('listitem').filter({ hasText: 'Forklift video' }).getByText('Done').waitFor();

    const statements = await web.server.owner.query<{ verb: string; result: { extensions?: Record<string, number> } }>(
      `SELECT verb_id AS verb, statement->'result' AS result FROM xapi_statements
       WHERE registration = $1 AND statement->'object'->>'id' LIKE 'urn:uuid:%' ORDER BY stored`,
      [assignmentId],
    );
    const verbs = statements.map((s) => s.verb.split('/').pop());
    expect(verbs).toEqual(expect.arrayContaining(['launched', 'initialized', 'played', 'seeked', 'completed']));
    const seek = statements.find((s) => s.verb.endsWith('/seeked'))!.result.extensions!;
    expect(seek[`${EXT}time-from`]).toBeCloseTo(pausedAt, 2);
    expect(seek[`${EXT}time-to`]).toBe(1);
    const completed = statements.find((s) => s.verb.endsWith('/completed'))!.result.extensions!;
    expect(completed[`${EXT}progress`]).toBeGreaterThanOrEqual(0.95);

    // The document opens in a new tab (headless Chromium downloads a PDF rather than showing it).
    await Promise.all([
      learner.waitForEvent('popup'),
      modules.getByRole('button', { name: 'Open Safety sheet' }).click(),
    ]);
    await modules.getByRole('listitem').filter({ hasText: 'Safety sheet' }).getByText('Done').waitFor();
    const documentVerbs = await web.server.owner.query<{ verb: string }>(
      `SELECT verb_id AS verb FROM xapi_statements WHERE registration = $1 AND statement->'object'->'definition'->>'type'
       = 'http://id.tincanapi.com/activitytype/document' ORDER BY stored`,
      [assignmentId],
    );
    expect(documentVerbs.map((s) => s.verb.split('/').pop())).toEqual(['experienced', 'completed']);

    const [au] = await Promise.all([
      learner.waitForEvent('popup'),
      modules.getByRole('button', { name: 'Launch Lesson 0' }).click(),
    ]);
    await au.getByText('Passed (Passed)').waitFor({ timeout: 20_000 });
    await learner.reload();
    const done = region(learner, 'Completed').getByRole('listitem').filter({ hasText: title });
    await done.getByText('Course content', { exact: true }).waitFor();

    // Training Analytics: time per module.
    await page.reload();
    const stats = region(page, 'Course content');
    await stats.getByLabel('Content of course').selectOption({ label: title });
    const table = stats.getByRole('region', { name: 'Time spent by module' });
    const videoRow = table.getByRole('row').filter({ hasText: 'Forklift video' });
    await videoRow.waitFor();
    expect(await videoRow.innerText()).toMatch(/Forklift video\s+1\s+1\s+\d+ s/);
    expect(await table.getByRole('row').filter({ hasText: 'Lesson 0' }).innerText()).toMatch(
      /Lesson 0\s+1\s+1\s+2 min 0 s/,
    );
  }, 240_000);
});
