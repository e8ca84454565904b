import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { send, type Cut } from '../support/cut-client.js';
import { onPostgres } from '../support/database.js';
import { insertAssignmentsInBulk, insertCourse } from '../support/tenant-rows.js';
import { ok, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';

/**
 * Offline outboxes replayed through chaos: simulated devices, each with a queue of actions (start, then complete,
 * each assignment) made offline, send them in order with an Idempotency-Key per action while the network cuts
 * requests mid-flight (the server may or may not have done them), tokens expire (the device signs in again and
 * keeps its queue), stale duplicates of earlier actions arrive late, and — on PostgreSQL — the server's database
 * connections are killed. Meanwhile an officer cancelled some assignments. The database must end with exactly
 * the expected rows: every action applied once, no duplicate, nothing lost, and every cancelled assignment's
 * actions listed as conflicts.
 */

const DEVICES = 10;
const ASSIGNMENTS_PER_DEVICE = 10;
const CANCELLED_PER_DEVICE = 2;

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
});
afterAll(() => server?.stop());

interface Action {
  key: string;
  assignmentId: string;
  request: { query: string; variables: Record<string, unknown> };
}

interface Outcome {
  status: number;
  body: string;
  code?: string;
}

const token = (userId: string, tenantId: string, expiresAt: number) =>
  new SignJWT({ tenant_id: tenantId, role: 'worker' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt(Math.min(Math.floor(Date.now() / 1000), expiresAt - 600))
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));

const RETRYABLE = new Set(['TRANSACTION_CONFLICT', 'INTERNAL_SERVER_ERROR', 'UNAUTHENTICATED']);

/** Sends one action until an answer arrives that is not worth retrying; counts what the chaos did. */
async function deliver(device: Device, action: Action, stats: Stats): Promise<Outcome> {
  let last = 'nothing';
  for (let tries = 0; ; tries++) {
    if (tries > 60) throw new Error(`action ${action.key} never got an answer; last: ${last}`);
    let bearer = device.token;
    if (Math.random() < 0.08) {
      bearer = device.expiredToken;
      stats.expired++;
    }
    const cut: Cut = Math.random() < 0.15 ? { at: 'after-body', delayMs: Math.random() * 25 } : { at: 'never' };
    const sent = await send<unknown>(server.url, bearer, action.request, cut, { 'idempotency-key': action.key });
    if (!sent.answered) {
      stats.cut++;
      continue;
    }
    const { status, ...body } = sent.response;
    const code = body.errors?.[0]?.extensions?.code as string | undefined;
    last = `${status} ${JSON.stringify(body.errors)}`;
    if (status === 401 || status >= 500 || (code && RETRYABLE.has(code))) {
      stats.retried++;
      continue;
    }
    return { status, body: JSON.stringify({ ...body, extensions: undefined }), code };
  }
}

interface Device {
  userId: string;
  token: string;
  expiredToken: string;
  queue: Action[];
}

interface Stats {
  cut: number;
  expired: number;
  retried: number;
  duplicates: number;
  killed: number;
}

describe('offline outboxes replayed through cuts, expired tokens, duplicates and killed connections', () => {
  it('applies every action exactly once and lists every conflict', { timeout: 240_000 }, async () => {
    const tenantId = admin.tenantId;
    await ok(admin.request('{ me { id } }'));
    const now = Math.floor(Date.now() / 1000);
    const devices: Device[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const userId = randomUUID();
      const device = {
        userId,
        token: await token(userId, tenantId, now + 3600),
        expiredToken: await token(userId, tenantId, now - 60),
        queue: [],
      };
      await ok(server.request('{ me { id } }', {}, `Bearer ${device.token}`));
      devices.push(device);
    }
    const byUser = new Map<string, string[]>(devices.map((device) => [device.userId, []]));
    for (let c = 0; c < ASSIGNMENTS_PER_DEVICE; c++) {
      const courseId = await insertCourse(server.owner, tenantId, admin.userId, `Course ${c}`);
      const rows = await insertAssignmentsInBulk(server.db, tenantId, courseId, [...byUser.keys()]);
      for (const row of rows) byUser.get(row.user_id)!.push(row.id);
    }
    // Offline, each device queued a start and a completion of each of its assignments.
    for (const device of devices) {
      for (const assignmentId of byUser.get(device.userId)!) {
        device.queue.push(
          {
            key: randomUUID(),
            assignmentId,
            request: { query: print(StartTrainingAssignmentDocument), variables: { assignmentId } },
          },
          {
            key: randomUUID(),
            assignmentId,
            request: {
              query: print(CompleteTrainingAssignmentDocument),
              variables: { input: { assignmentId, score: 90, completionTimeMinutes: 12 } },
            },
          },
        );
      }
    }
    // Meanwhile, online, the officer cancelled some of them.
    const cancelled = new Set(devices.flatMap((device) => byUser.get(device.userId)!.slice(0, CANCELLED_PER_DEVICE)));
    for (const assignmentId of cancelled) await ok(admin.request(CancelTrainingAssignmentDocument, { assignmentId }));

    const stats: Stats = { cut: 0, expired: 0, retried: 0, duplicates: 0, killed: 0 };
    const killer = onPostgres ? killConnectionsUntil(stats) : undefined;
    const outcomes = new Map<string, Outcome>();
    const conflicts: Action[] = [];
    const replayDevice = async (device: Device) => {
      const sent: Action[] = [];
      for (const action of device.queue) {
        const outcome = await deliver(device, action, stats);
        outcomes.set(action.key, outcome);
        if (outcome.code) conflicts.push(action);
        sent.push(action);
        // A stale duplicate of an earlier action arrives late (the network kept it): it must replay.
        if (Math.random() < 0.1) {
          const earlier = sent[Math.floor(Math.random() * sent.length)]!;
          const again = await deliver(device, earlier, stats);
          stats.duplicates++;
          expect(again, `duplicate of ${earlier.key}`).toEqual(outcomes.get(earlier.key));
        }
      }
    };
    try {
      await Promise.all(devices.map(replayDevice));
    } finally {
      await killer?.stop();
    }

    // Exactly the expected rows: each assignment not cancelled completed once; cancelled ones untouched.
    const rows = await server.owner.query<{ id: string; status: string; completions: number }>(
      `SELECT a.id, a.status::text AS status, (SELECT count(*)::int FROM training_completions c WHERE c.assignment_id = a.id) AS completions
       FROM training_assignments a WHERE a.tenant_id = $1::uuid`,
      [tenantId],
    );
    expect(rows).toHaveLength(DEVICES * ASSIGNMENTS_PER_DEVICE);
    for (const row of rows) {
      expect(row, row.id).toEqual(
        cancelled.has(row.id)
          ? { id: row.id, status: 'cancelled', completions: 0 }
          : { id: row.id, status: 'completed', completions: 1 },
      );
    }
    // Every conflict is listed, and only the cancelled assignments' actions are conflicts.
    expect(new Set(conflicts.map((action) => action.assignmentId))).toEqual(cancelled);
    expect(conflicts).toHaveLength(cancelled.size * 2);
    expect(conflicts.every((action) => outcomes.get(action.key)!.code === 'CONFLICT')).toBe(true);
    // The chaos happened.
    expect(stats.cut).toBeGreaterThan(0);
    expect(stats.expired).toBeGreaterThan(0);
    expect(stats.duplicates).toBeGreaterThan(0);
    if (onPostgres) expect(stats.killed).toBeGreaterThan(0);
  });
});

/** PostgreSQL: terminates the API's database sessions every few milliseconds until stopped. */
function killConnectionsUntil(stats: Stats): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 80));
      const killed = await server.owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
             AND state <> 'idle' ORDER BY random() LIMIT 1) AS k`,
      );
      stats.killed += killed[0]?.n ?? 0;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
