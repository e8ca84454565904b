import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CreateTrainingCourseDocument } from '../../src/generated/operations/graphql.js';
import { freePort, imageNodeCommand } from '../support/processes.js';
import { eventually } from '../support/wait.js';
import { databaseTargets, probe, startApiProcess, tokenFor, type ApiProcess } from './support.js';

/**
 * Production runs the compiled build: `npm run build`, then `node dist/src/main.js` as the container's
 * PID 1 (with the image's node flags), with no TypeScript tooling loaded. SIGTERM to that process must let a request that is already
 * arriving finish with its full answer, then exit 0 — on an embedded database in a data folder, and on
 * PostgreSQL when the suite runs against a server.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'training-build-signal-'));
let child: ApiProcess | undefined;

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: root });
}, 300_000);

afterAll(() => {
  if (child && child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A POST whose headers and first half of the body are sent now and the rest only when `finish()` is
 * called. It resolves `received` once the server has taken the request (its `100 Continue` answers
 * `Expect: 100-continue` after the request event): the server cannot answer yet, so it is in flight for
 * certain when the signal comes.
 */
function halfSentRequest(url: string, token: string, body: string) {
  const payload = Buffer.from(body, 'utf8');
  const half = Math.floor(payload.length / 2);
  let resolveResponse!: (value: { status: number; body: string }) => void;
  let rejectResponse!: (error: Error) => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  const req = httpRequest(
    url,
    {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        authorization: `Bearer ${token}`,
        expect: '100-continue',
      },
    },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, body: text }));
      res.on('error', rejectResponse);
    },
  );
  req.on('error', rejectResponse);
  const received = new Promise<void>((resolve) =>
    req.once('continue', () => req.write(payload.subarray(0, half), () => resolve())),
  );
  req.flushHeaders();
  return { received, response, finish: () => req.end(payload.subarray(half)) };
}

describe.each(databaseTargets(dataDir))(
  'SIGTERM to the compiled build (node dist/src/main.js) on $name',
  ({ database }) => {
    it('finishes the request in flight, logs "stopped" and exits 0', async () => {
      const port = await freePort();
      const target = await database();
      onTestFinished(() => target.drop());
      // Nothing may smuggle a TypeScript loader into the production process.
      const app = startApiProcess(imageNodeCommand(), port, { ...target.env, NODE_OPTIONS: '' });
      child = app;
      const { base, output, logLines } = app;
      await app.ready();

      const admin = await tokenFor('admin');
      const inFlight = halfSentRequest(
        `${base}/graphql`,
        admin.token,
        JSON.stringify({
          query: print(CreateTrainingCourseDocument),
          variables: { input: { title: 'Arrived before the signal', category: 'COMPLIANCE' } },
        }),
      );

      await inFlight.received;
      app.process.kill('SIGTERM');
      await eventually(
        () => logLines().some((line) => line.signal === 'SIGTERM' && /shutting down/.test(line.msg)),
        10_000,
        output,
      );
      inFlight.finish();

      const answer = await inFlight.response;
      expect(answer.status, answer.body).toBe(200);
      const body = JSON.parse(answer.body) as { data?: { createTrainingCourse: { title: string } }; errors?: unknown };
      expect(body.errors, answer.body).toBeUndefined();
      expect(body.data?.createTrainingCourse.title).toBe('Arrived before the signal');

      const exit = await app.exitWithin(20_000);
      expect(exit, output()).toEqual({ code: 0, signal: null });
      const lines = logLines();
      expect(lines.at(-1)?.msg, output()).toBe('stopped');
      expect(
        lines.filter((line) => line.level >= 50),
        output(),
      ).toEqual([]);
      expect(await probe(`${base}/healthz`, 1_000)).toBe(0);
    }, 150_000);
  },
);
