import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  CreateTrainingCourseDocument,
  TrainingAssignmentCreatedDocument,
} from '../../src/generated/operations/graphql.js';
import { freePort } from '../support/processes.js';
import { liveClient, subscribe } from '../support/ws.js';
import { databaseTargets, probe, startApiProcess, timedRequest, tokenFor, type ApiProcess } from './support.js';

/**
 * The real entry point and the real signal: `node --import tsx src/main.ts` on
 * an embedded database in a temp folder (and on PostgreSQL when the suite runs
 * against a server), SIGTERM once it is ready. It must
 * close its subscribers with 1001, log "stopped" and exit 0 — not be killed by
 * the signal, not hang, not exit without having closed the database.
 */

const dataDir = mkdtempSync(path.join(tmpdir(), 'training-signal-'));
let child: ApiProcess | undefined;

afterAll(() => {
  if (child && child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each(databaseTargets(dataDir))('SIGTERM to the real process (src/main.ts) on $name', ({ database }) => {
  it('drains, closes subscriptions with 1001, logs "stopped" and exits 0', async () => {
    const port = await freePort();
    const target = await database();
    onTestFinished(() => target.drop());
    const app = startApiProcess(['--import', 'tsx', 'src/main.ts'], port, target.env);
    child = app;
    const { base, output } = app;
    await app.ready();

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

    app.process.kill('SIGTERM');
    const exit = await app.exitWithin(20_000);
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(exit, output()).toEqual({ code: 0, signal: null });

    const lines = app.logLines();
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
