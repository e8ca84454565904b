import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportProgress } from '../../src/records/routes.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The training records export streams with bounded buffers: while the client reads nothing, the server stops
 * reading its cursor once the socket is full, and whatever it holds of the file stays small. The file is made
 * far larger than what the sockets of a paused connection can hold (a few MiB on loopback): long course
 * titles of random hex, so that even the compressed workbook is.
 */

const COURSES = 80;
const WORKERS = 100;
const ROWS = COURSES * WORKERS;
/** Bytes of the file the server may hold at any time: a chunk in flight, well below one batch of these rows. */
const HELD_AT_MOST = 1024 * 1024;
/** About what the sockets of a paused connection take on loopback before the server's writes must wait. */
const SOCKETS_HOLD = 4 * 1024 * 1024;

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  await admin.request('{ me { id } }');
  const { owner } = server;
  await owner.query(
    `INSERT INTO profiles (id, tenant_id, display_name, role)
     SELECT gen_random_uuid(), $1::uuid, 'Worker ' || i, 'worker' FROM generate_series(1, $2::int) i`,
    [admin.tenantId, WORKERS],
  );
  await owner.query(
    `INSERT INTO training_courses (tenant_id, title, category, created_by)
     SELECT $1::uuid, (SELECT string_agg(md5(random()::text || i || j), '') FROM generate_series(1, 60) j),
            'compliance', $2::uuid
     FROM generate_series(1, $3::int) i`,
    [admin.tenantId, admin.userId, COURSES],
  );
  await owner.query(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
     SELECT $1::uuid, c.id, p.id, 'auto' FROM training_courses c, profiles p
     WHERE c.tenant_id = $1::uuid AND p.tenant_id = $1::uuid AND p.role = 'worker'`,
    [admin.tenantId],
  );
}, setupTimeout(180_000));
afterAll(() => server.stop());

/** Starts the export and pauses its response at once, as a client that reads slowly; `resume` reads it all. */
function pausedDownload(format: 'csv' | 'xlsx') {
  const url = new URL(`/exports/training-records.${format}`, server.url.replace('//localhost:', '//127.0.0.1:'));
  let response: http.IncomingMessage | undefined;
  const started = new Promise<http.IncomingMessage>((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${admin.token}` } }, (incoming) => {
        incoming.pause();
        response = incoming;
        resolve(incoming);
      })
      .on('error', reject);
  });
  return {
    started,
    paused: () => response?.isPaused() === true,
    async resume(): Promise<Buffer> {
      const incoming = await started;
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

describe('training records export: backpressure', () => {
  for (const format of ['csv', 'xlsx'] as const) {
    it(`.${format}: a client that reads nothing stops the cursor; the server holds at most a chunk of the file`, async () => {
      const progress: ExportProgress[] = [];
      const listener = (message: unknown) => void progress.push(message as ExportProgress);
      subscribe('training-records.export', listener);
      try {
        const download = pausedDownload(format);
        expect((await download.started).statusCode).toBe(200);
        const read = () => Math.max(0, ...progress.map((p) => p.rows));
        // The export either waits for the client, or (without backpressure) reads the whole table ahead of it.
        await expect.poll(() => progress.some((p) => p.waiting) || read() === ROWS, { timeout: 20_000 }).toBe(true);
        expect(download.paused()).toBe(true);
        expect(read()).toBeLessThan(ROWS);

        const body = await download.resume();
        expect(read()).toBe(ROWS);
        expect(Math.max(...progress.map((p) => p.buffered))).toBeLessThanOrEqual(HELD_AT_MOST);
        expect(body.length).toBeGreaterThan(SOCKETS_HOLD);
        if (format === 'csv') {
          expect(body.toString('utf8').split('\r\n').filter(Boolean)).toHaveLength(ROWS + 1);
        } else {
          const workbook = new ExcelJS.Workbook();
          await workbook.xlsx.load(body as never);
          expect(workbook.getWorksheet('Training records')!.rowCount).toBe(ROWS + 1);
        }
      } finally {
        unsubscribe('training-records.export', listener);
      }
    });
  }
});
