import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  CreateTrainingCourseDocument,
  TrainingAssignmentCreatedDocument,
} from '../../src/generated/operations/graphql.js';
import { freshDatabase, onPostgres } from '../support/database.js';
import { TEST_JWT_SECRET } from '../support/server.js';
import { freePort } from '../support/processes.js';
import { eventually } from '../support/wait.js';
import { liveClient, subscribe } from '../support/ws.js';
import { probe, timedRequest, tokenFor } from './support.js';

/**
 * The real entry point and the real signal: `node --import tsx src/main.ts` on
 * an embedded database in a temp folder (and on PostgreSQL when the suite runs
 * against a server), SIGTERM once it is ready. It must
 * close its subscribers with 1001, log "stopped" and exit 0 — not be killed by
 * the signal, not hang, not exit without having closed the database.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'training-signal-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  msg: string;
  signal?: string;
}

/** The embedded database always; PostgreSQL too when the suite runs against a server. */
const targets: { name: string; database: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }> }[] = [
  {
    name: 'embedded PGlite in a data folder',
    database: async () => ({ env: { PGLITE_DATA_DIR: path.join(dataDir, 'pglite') }, drop: async () => {} }),
  },
];
if (onPostgres) {
  targets.push({
    name: 'PostgreSQL (DATABASE_URL)',
    database: async () => {
      const db = await freshDatabase({ migrated: false });
      return { env: { DATABASE_URL: db.url! }, drop: () => db.drop() };
    },
  });
}

describe.each(targets)('SIGTERM to the real process (src/main.ts) on $name', ({ database }) => {
  it('drains, closes subscriptions with 1001, logs "stopped" and exits 0', async () => {
    const port = await freePort();
    const target = await database();
    onTestFinished(() => target.drop());
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    Object.assign(env, target.env);
    const app = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = app;
    let stdout = '';
    let stderr = '';
    app.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    app.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      app.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const output = () => `\nstdout: ${stdout.slice(-2_000)}\nstderr: ${stderr.slice(-2_000)}`;

    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if (app.exitCode !== null) throw new Error(`the API exited early with ${app.exitCode}${output()}`);
        return (await probe(`${base}/readyz`, 2_000)) === 200;
      },
      120_000,
      output,
    );

    const admin = await tokenFor('admin');
    const created = await timedRequest(
      `${base}/graphql`,
      'createTrainingCourse',
      CreateTrainingCourseDocument,
      { input: { title: 'Before the signal', category: 'COMPLIANCE' } },
      admin.token,
    );
    expect(created.kind, JSON.stringify(created)).toBe('ok');

    // A live subscriber, connected and acknowledged.
    const live = liveClient(`${base}/graphql`, admin.token);
    const acknowledged = new Promise<void>((resolve) => live.client.on('connected', () => resolve()));
    subscribe(live, TrainingAssignmentCreatedDocument);
    const closed = live.closed;
    await acknowledged;

    app.kill('SIGTERM');
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM${output()}`)), 20_000),
      ),
    ]);
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(exit, output()).toEqual({ code: 0, signal: null });

    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    const shuttingDown = lines.findIndex((line) => line.signal === 'SIGTERM' && /shutting down/.test(line.msg));
    const stopped = lines.findIndex((line) => line.msg === 'stopped');
    expect(shuttingDown, output()).toBeGreaterThanOrEqual(0);
    expect(stopped, output()).toBeGreaterThan(shuttingDown);
    expect(
      lines.filter((line) => line.level >= 50),
      output(),
    ).toEqual([]);
    expect(await probe(`${base}/healthz`, 1_000)).toBe(0);
  }, 150_000);
});
