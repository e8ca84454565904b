import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchServerUrl } from '../../tests/support/database.js';
import { upload } from '../../tests/support/content.js';
import { fmt, median, table } from '../../tests/support/report.js';
import { startTestServer, type Actor, type TestServer } from '../../tests/support/server.js';
import { cmi5Xml, makeZip } from '../../tests/support/zip.js';
import type { Benchmark } from '../suite.js';

/**
 * `importCmi5Package` of a 1,000-AU course (goal: under 5 s), through the API over HTTP on PostgreSQL: a zip holding
 * cmi5.xml (two blocks of 500 AUs) and one page per AU, uploaded once, imported into a fresh course per run (checks,
 * parsing, extraction of 1,001 files, one set-based upsert of the modules). Beside it, in the same run: the import
 * of the same package into a course that already has its AUs (parse, checks, the upsert updating every row; the
 * package's files already in place), and the bare multi-row INSERT of the same 1,000 rows as the owner (the floor).
 */

const AUS = Number(process.env.CMI5_BENCH_AUS ?? 1000);
const RUNS = Number(process.env.CMI5_BENCH_RUNS ?? 5);

const IMPORT = `mutation($c: ID!, $f: ID!) { importCmi5Package(courseId: $c, contentId: $f) { id } }`;
const CREATE = `mutation { createTrainingCourse(input: { title: "Bench", category: OTHER }) { id } }`;

async function newCourse(admin: Actor): Promise<string> {
  const created = await admin.request<{ createTrainingCourse: { id: string } }, Record<string, never>>(CREATE);
  return created.data!.createTrainingCourse.id;
}

async function timedImport(admin: Actor, courseId: string, contentId: string): Promise<number> {
  const started = performance.now();
  const answer = await admin.request(IMPORT, { c: courseId, f: contentId });
  const ms = performance.now() - started;
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return ms;
}

async function bareInsert(server: TestServer, tenantId: string, courseId: string): Promise<number> {
  const started = performance.now();
  await server.owner.query(
    `INSERT INTO course_modules (tenant_id, course_id, position, title, kind, url, activity_id, move_on, launch_method)
     SELECT $1, $2, n, 'Lesson ' || n, 'cmi5_au', 'lessons/' || n || '/index.html', 'https://example.com/bare/' || n,
            'Passed', 'AnyWindow'
     FROM generate_series(0, $3::int - 1) AS n`,
    [tenantId, courseId, AUS],
  );
  return performance.now() - started;
}

export const content: Benchmark = {
  name: 'content',
  async run() {
    const folder = await mkdtemp(path.join(tmpdir(), 'bench-content-'));
    const server = await startTestServer({ CONTENT_DIR: folder, LOG_LEVEL: 'warn' }, { serverUrl: benchServerUrl });
    try {
      const admin = await server.actor('admin');
      const zip = makeZip([
        { name: 'cmi5.xml', data: cmi5Xml(AUS, (i) => `lessons/${i}/index.html`), deflate: true },
        ...Array.from({ length: AUS }, (_, i) => ({ name: `lessons/${i}/index.html`, data: `<h1>Lesson ${i}</h1>` })),
      ]);
      const uploaded = await upload(server, admin, zip, 'course.zip');
      if (uploaded.status !== 201) throw new Error(JSON.stringify(uploaded.body));
      const contentId = uploaded.body.id!;
      await timedImport(admin, await newCourse(admin), contentId); // warm-up (and the package's files extracted)
      await rm(path.join(folder, admin.tenantId, `${contentId}.d`), { recursive: true, force: true });
      const fresh: number[] = [];
      const again: number[] = [];
      const bare: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const courseId = await newCourse(admin);
        fresh.push(await timedImport(admin, courseId, contentId));
        again.push(await timedImport(admin, courseId, contentId));
        bare.push(await bareInsert(server, admin.tenantId, await newCourse(admin)));
        await rm(path.join(folder, admin.tenantId, `${contentId}.d`), { recursive: true, force: true });
      }
      const row = (what: string, values: number[]) => [what, fmt(median(values), 0), fmt(Math.max(...values), 0)];
      return `## Content: importing a cmi5 course

A package of ${AUS.toLocaleString('en')} AUs (cmi5.xml in two blocks, one page per AU: ${fmt(zip.length / 1024, 0)} KiB zipped) uploaded once with \`POST /content\`, then \`importCmi5Package\` through the API over HTTP on PostgreSQL, as an admin under RLS; ${RUNS} runs, each into a fresh course (its files extracted again), then again into the same course (every AU updated in place), beside the bare multi-row INSERT of the same number of rows as the owner (\`bench/content\`). Goal: a 1,000-AU course imported in under 5 s.

${table(
  ['', 'median ms', 'max ms'],
  [
    row('importCmi5Package, new course', fresh),
    row('importCmi5Package, same course again', again),
    row('bare INSERT of the rows (floor)', bare),
  ],
)}`;
    } finally {
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    }
  },
};
