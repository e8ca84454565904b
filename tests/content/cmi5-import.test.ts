import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upload } from '../support/content.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { cmi5Xml, makeZip } from '../support/zip.js';
import { setupTimeout } from '../support/citus.js';

/**
 * importCmi5Package: a zip holding cmi5.xml (or the XML alone) becomes CMI5_AU modules with the course structure's
 * moveOn, masteryScore, launchMethod and launch parameters, the package's files served under a signed URL; a zip
 * entry escaping its folder, a zip bomb or an invalid cmi5.xml is refused with the reason and stores nothing.
 */

const MAX = 1_000_000;
let server: TestServer;
let folder: string;
let admin: Actor;
let worker: Actor;
let courseId: string;

const IMPORT = `mutation($c: ID!, $f: ID!) { importCmi5Package(courseId: $c, contentId: $f) {
  modules { id title kind required url cmi5 { activityId courseActivityId block moveOn masteryScore launchMethod launchParameters } } } }`;
type Imported = {
  importCmi5Package: {
    modules: {
      id: string;
      title: string;
      kind: string;
      required: boolean;
      url: string;
      cmi5: { activityId: string; block: string; moveOn: string; masteryScore: number; launchParameters: string };
    }[];
  };
};

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'cmi5-'));
  server = await startTestServer({ CONTENT_DIR: folder, CONTENT_MAX_BYTES: String(MAX) });
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId });
  const created = await ok(
    admin.request(`mutation { createTrainingCourse(input: { title: "Forklift", category: EQUIPMENT_SAFETY }) { id } }`),
  );
  courseId = (created as { createTrainingCourse: { id: string } }).createTrainingCourse.id;
}, setupTimeout(60_000));
afterAll(async () => {
  await server?.stop();
  await rm(folder, { recursive: true, force: true });
});

const uploaded = async (bytes: Buffer | string, name: string) => {
  const answer = await upload(server, admin, bytes, name);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.id!;
};
const listing = async () => (await readdir(path.join(folder, admin.tenantId))).sort();

describe('importCmi5Package', () => {
  it('turns the AUs of a zip into CMI5_AU modules in order, and serves their files under a signed URL', async () => {
    const zip = makeZip([
      { name: 'cmi5.xml', data: cmi5Xml(3, (i) => `lessons/${i}/index.html?mode=x`), deflate: true },
      ...[0, 1, 2].map((i) => ({ name: `lessons/${i}/index.html`, data: `<h1>Lesson ${i}</h1>` })),
    ]);
    const id = await uploaded(zip, 'course.zip');
    const data = await ok(admin.request<Imported, Record<string, unknown>>(IMPORT, { c: courseId, f: id }));
    const modules = data.importCmi5Package.modules;
    expect(modules.map((m) => [m.title, m.kind, m.required, m.cmi5.block, m.cmi5.moveOn])).toEqual([
      ['Lesson 0', 'CMI5_AU', true, 'Basics', 'Passed'],
      ['Lesson 1', 'CMI5_AU', true, 'Basics', 'CompletedOrPassed'],
      ['Lesson 2', 'CMI5_AU', true, 'Practice', 'Passed'],
    ]);
    expect(modules[1]!.cmi5).toMatchObject({
      activityId: 'https://example.com/course/forklift/au/1',
      courseActivityId: 'https://example.com/course/forklift',
      masteryScore: 0.8,
      launchMethod: 'OwnWindow',
      launchParameters: '{"level":1}',
    });
    // The worker's URL opens the AU's page (sandboxed: it runs in an origin of its own).
    const read = await ok(
      worker.request(`query($c: ID!) { trainingCourse(id: $c) { modules { url } } }`, { c: courseId }),
    );
    const url = (read as { trainingCourse: { modules: { url: string }[] } }).trainingCourse.modules[2]!.url;
    expect(url).toMatch(new RegExp(`/content/${id}/t/[^/]+/lessons/2/index.html\\?mode=x$`));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^sandbox allow-scripts/);
    expect(await page.text()).toBe('<h1>Lesson 2</h1>');
    const escape = await fetch(url.replace('lessons/2/index.html', '..%2f..%2fetc%2fpasswd'));
    expect(escape.status).toBe(404);

    // Importing again updates the AUs in place: same ids, nothing doubled.
    const again = await ok(admin.request<Imported, Record<string, unknown>>(IMPORT, { c: courseId, f: id }));
    expect(again.importCmi5Package.modules.map((m) => m.id)).toEqual(modules.map((m) => m.id));
  });

  it('takes cmi5.xml alone for AUs hosted elsewhere', async () => {
    const course = await ok(
      admin.request(`mutation { createTrainingCourse(input: { title: "Remote", category: OTHER }) { id } }`),
    );
    const id = await uploaded(
      cmi5Xml(1, () => 'https://au.example.com/lesson', 'https://example.com/remote'),
      'cmi5.xml',
    );
    const c = (course as { createTrainingCourse: { id: string } }).createTrainingCourse.id;
    const data = await ok(admin.request<Imported, Record<string, unknown>>(IMPORT, { c, f: id }));
    expect(data.importCmi5Package.modules.map((m) => m.url)).toEqual(['https://au.example.com/lesson']);
  });

  const good = (i: number) => `a/${i}.html`;
  it.each([
    [
      'a zip entry escaping its folder',
      () =>
        makeZip([
          { name: 'cmi5.xml', data: cmi5Xml(1, good) },
          { name: '../evil.html', data: 'x' },
        ]),
      /escapes its folder/,
    ],
    [
      'a zip expanding past CONTENT_MAX_BYTES',
      () =>
        makeZip([
          { name: 'cmi5.xml', data: cmi5Xml(1, good) },
          { name: 'a/0.html', data: Buffer.alloc(MAX + 1), deflate: true },
        ]),
      /expands past the limit/,
    ],
    ['a zip without cmi5.xml', () => makeZip([{ name: 'a/0.html', data: 'x' }]), /no cmi5\.xml/],
    [
      'a cmi5.xml that is not XML',
      () => makeZip([{ name: 'cmi5.xml', data: '<?xml version="1.0"?><courseStructure><course id="x:y">' }]),
      /not well-formed/,
    ],
    [
      'an AU with a bad moveOn',
      () =>
        makeZip([
          { name: 'cmi5.xml', data: cmi5Xml(1, good).replace('moveOn="Passed"', 'moveOn="Sometimes"') },
          { name: 'a/0.html', data: 'x' },
        ]),
      /moveOn must be one of/,
    ],
    [
      'an AU whose file is not in the package',
      () => makeZip([{ name: 'cmi5.xml', data: cmi5Xml(1, good) }]),
      /names no file of the package/,
    ],
    [
      'a DOCTYPE (entity expansion)',
      () =>
        makeZip([
          {
            name: 'cmi5.xml',
            data: `<!DOCTYPE x [<!ENTITY a "aaaa">]>${cmi5Xml(1, good).replace(/^<\?xml[^>]*>/, '')}`,
          },
        ]),
      /DOCTYPE/,
    ],
  ])('refuses %s with the reason, storing nothing', async (_what, make, reason) => {
    const id = await uploaded(make(), 'package.zip');
    const [files, modules] = [await listing(), await server.owner.count('course_modules')];
    const response = await admin.request(IMPORT, { c: courseId, f: id });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'contentId' });
    expect(response.errors?.[0]?.message).toMatch(reason);
    expect(await listing()).toEqual(files);
    expect(await server.owner.count('course_modules')).toBe(modules);
  });

  it("refuses another tenant's package as not found, and a worker outright", async () => {
    const outsider = await server.actor('admin');
    const id = await uploaded(makeZip([{ name: 'cmi5.xml', data: cmi5Xml(1, () => 'https://x.example/a') }]), 'p.zip');
    const created = await ok(
      outsider.request(`mutation { createTrainingCourse(input: { title: "T", category: OTHER }) { id } }`),
    );
    const c = (created as { createTrainingCourse: { id: string } }).createTrainingCourse.id;
    const theirs = await outsider.request(IMPORT, { c, f: id });
    expect(theirs.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'contentId' });
    const refused = await worker.request(IMPORT, { c: courseId, f: id });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('moduleStats', () => {
  it("reports each module's time spent and where learners stop, in the course's order", async () => {
    const stats = async () =>
      (
        (await ok(
          admin.request(
            `query($c: ID!) { moduleStats(courseId: $c) { title position learners launched satisfied totalSecondsSpent averageSecondsSpent stoppedHere } }`,
            { c: courseId },
          ),
        )) as {
          moduleStats: {
            title: string;
            learners: number;
            satisfied: number;
            totalSecondsSpent: number;
            stoppedHere: number;
          }[];
        }
      ).moduleStats;
    const modules = await server.owner.query<{ id: string }>(
      'SELECT id FROM course_modules WHERE course_id = $1 ORDER BY position',
      [courseId],
    );
    // Two learners: one done with the first lesson and stuck in the second, one stuck in the first.
    const learners = [worker.userId, (await server.actor('worker', { tenantId: admin.tenantId })).userId];
    await server.owner.query(
      `INSERT INTO profiles (tenant_id, id, role) VALUES ($1, $2, 'worker') ON CONFLICT DO NOTHING`,
      [admin.tenantId, learners[1]],
    );
    const assignments = await server.owner.query<{ id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, status, started_at)
       SELECT $1, $2, u, 'in_progress', now() FROM unnest($3::uuid[]) AS u RETURNING id`,
      [admin.tenantId, courseId, learners],
    );
    const progress = (n: number, module: number, seconds: number, satisfied: boolean) =>
      server.owner.query(
        `INSERT INTO module_progress (tenant_id, assignment_id, module_id, user_id, launched_at, seconds_spent, satisfied_at)
         VALUES ($1, $2, $3, $4, now(), $5, CASE WHEN $6 THEN now() END)`,
        [admin.tenantId, assignments[n]!.id, modules[module]!.id, learners[n], seconds, satisfied],
      );
    await progress(0, 0, 300, true);
    await progress(0, 1, 60, false);
    await progress(1, 0, 30, false);
    expect((await stats()).map((s) => [s.title, s.learners, s.satisfied, s.totalSecondsSpent, s.stoppedHere])).toEqual([
      ['Lesson 0', 2, 1, 330, 1],
      ['Lesson 1', 1, 0, 60, 1],
      ['Lesson 2', 0, 0, 0, 0],
    ]);
    const missing = await admin.request(`{ moduleStats(courseId: "${crypto.randomUUID()}") { title } }`);
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'courseId' });
    expect(
      (await worker.request(`{ moduleStats(courseId: "${courseId}") { title } }`)).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
  });
});
