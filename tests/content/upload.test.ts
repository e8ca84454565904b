import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4Bytes, upload } from '../support/content.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Uploads (POST /content) and what serves them: streamed to the content folder, typed by their bytes, held to
 * CONTENT_MAX_BYTES, refused with a code and nothing left behind; served with range requests to the tenant's users
 * (a bearer token, or a signed URL a <video src> can use), never to another tenant's.
 */

const MAX = 300_000;
let server: TestServer;
let folder: string;
let admin: Actor;
let worker: Actor;
let outsider: Actor;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'content-'));
  server = await startTestServer({ CONTENT_DIR: folder, CONTENT_MAX_BYTES: String(MAX) });
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId });
  outsider = await server.actor('admin');
}, setupTimeout(60_000));
afterAll(async () => {
  await server?.stop();
  await rm(folder, { recursive: true, force: true });
});

/** Files in the content folder (every tenant's), temporary ones included. */
async function storedFiles(): Promise<string[]> {
  const tenants = await readdir(folder).catch(() => []);
  const files = await Promise.all(
    tenants.map((t) => readdir(path.join(folder, t)).then((f) => f.map((n) => `${t}/${n}`))),
  );
  return files.flat().sort();
}
const rows = () => server.owner.count('content_files');

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
const bearer = (actor: Actor) => ({ authorization: `Bearer ${actor.token}` });

describe('POST /content', () => {
  it('stores a video sniffed from its bytes and answers 201 with { id, url, contentType, size }', async () => {
    const bytes = mp4Bytes(200_000);
    const answer = await upload(server, admin, bytes, 'intro.bin');
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.any(String),
      url: new URL(`/content/${answer.body.id}`, server.url).href,
      contentType: 'video/mp4',
      size: bytes.length,
    });
    expect(await storedFiles()).toEqual([`${admin.tenantId}/${answer.body.id}`]);
    const served = await get(answer.body.url!, bearer(worker));
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it.each([
    [
      'a file over CONTENT_MAX_BYTES',
      () => upload(server, admin, mp4Bytes(MAX + 1), 'big.mp4'),
      413,
      'CONTENT_TOO_LARGE',
    ],
    [
      'text named .mp4',
      () => upload(server, admin, 'not a video at all', 'video.mp4'),
      415,
      'UNSUPPORTED_CONTENT_TYPE',
    ],
    [
      'an HTML page',
      () => upload(server, admin, '<!doctype html><script>alert(1)</script>', 'x.pdf'),
      415,
      'UNSUPPORTED_CONTENT_TYPE',
    ],
    ['a worker', () => upload(server, worker, mp4Bytes(1000)), 403, 'FORBIDDEN'],
    ['no token', () => upload(server, null, mp4Bytes(1000)), 401, 'UNAUTHENTICATED'],
  ])('refuses %s with a code, storing nothing', async (_what, send, status, code) => {
    const [filesBefore, rowsBefore] = [await storedFiles(), await rows()];
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body.errors?.[0]?.extensions.code).toBe(code);
    expect(await storedFiles()).toEqual(filesBefore);
    expect(await rows()).toBe(rowsBefore);
  });

  it('refuses a request without the file field', async () => {
    const form = new FormData();
    form.append('other', 'x');
    const response = await fetch(new URL('/content', server.url), {
      method: 'POST',
      headers: bearer(admin),
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'file' } }],
    });
  });
});

describe('GET /content/<id>', () => {
  let id: string;
  let url: string;
  const bytes = mp4Bytes(10_000);
  beforeAll(async () => {
    ({ id, url } = (await upload(server, admin, bytes, 'clip.mp4')).body as { id: string; url: string });
  });

  it('answers a byte range with 206 and Content-Range (a video seeking)', async () => {
    const response = await get(url, { ...bearer(worker), range: 'bytes=1000-1999' });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const tail = await get(url, { ...bearer(worker), range: 'bytes=-100' });
    expect(tail.headers.get('content-range')).toBe(`bytes ${bytes.length - 100}-${bytes.length - 1}/${bytes.length}`);
    const past = await get(url, { ...bearer(worker), range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  it("answers another tenant's user 404, as for an id that does not exist", async () => {
    const theirs = await get(url, bearer(outsider));
    const none = await get(new URL(`/content/${crypto.randomUUID()}`, server.url).href, bearer(admin));
    expect([theirs.status, none.status]).toEqual([404, 404]);
    expect(await theirs.json()).toEqual(await none.json());
    expect(await get(url).then((r) => r.status)).toBe(401);
  });

  it("gives the tenant's users a signed URL a <video src> can open without a header, for that file only", async () => {
    const course = await ok(
      admin.request(
        `mutation { createTrainingCourse(input: { title: "Forklift", category: EQUIPMENT_SAFETY }) { id } }`,
      ),
    );
    const courseId = (course as { createTrainingCourse: { id: string } }).createTrainingCourse.id;
    const added = await ok(
      admin.request(
        `mutation($c: ID!, $f: ID!) { addCourseModule(courseId: $c, input: { title: "Intro", kind: VIDEO, contentId: $f }) { id url } }`,
        { c: courseId, f: id },
      ),
    );
    const moduleId = (added as { addCourseModule: { id: string } }).addCourseModule.id;
    const read = await ok(
      worker.request(`query($c: ID!) { trainingCourse(id: $c) { modules { id kind url } } }`, { c: courseId }),
    );
    const [module] = (read as { trainingCourse: { modules: { id: string; kind: string; url: string }[] } })
      .trainingCourse.modules;
    expect(module).toMatchObject({ id: moduleId, kind: 'VIDEO', url: expect.stringContaining(`/content/${id}/t/`) });
    const signed = await get(module!.url, { range: 'bytes=0-9' });
    expect(signed.status).toBe(206);
    expect(Buffer.from(await signed.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);

    // The grant names its tenant, user, file and expiry under a MAC: changing any of them, or using it for
    // another file, opens nothing.
    const grant = module!.url.split('/t/')[1]!;
    const [tenant, user, expires, mac] = grant.split('.');
    const other = (await upload(server, admin, mp4Bytes(5000))).body.id!;
    const forged = [
      `${outsider.tenantId}.${user}.${expires}.${mac}`,
      `${tenant}.${outsider.userId}.${expires}.${mac}`,
      `${tenant}.${user}.${Number(expires) + 3600}.${mac}`,
    ].map((g) => new URL(`/content/${id}/t/${g}`, server.url).href);
    forged.push(new URL(`/content/${other}/t/${grant}`, server.url).href);
    for (const href of forged) expect((await get(href)).status, href).toBe(404);

    // Another tenant cannot point a module of theirs at this file either.
    const theirCourse = await ok(
      outsider.request(`mutation { createTrainingCourse(input: { title: "Theirs", category: OTHER }) { id } }`),
    );
    const refused = await outsider.request(
      `mutation($c: ID!, $f: ID!) { addCourseModule(courseId: $c, input: { title: "X", kind: VIDEO, contentId: $f }) { id } }`,
      { c: (theirCourse as { createTrainingCourse: { id: string } }).createTrainingCourse.id, f: id },
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.contentId' });
  });
});
