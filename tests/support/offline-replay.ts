import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { SignJWT } from 'jose';
import {
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { send, type Cut } from './cut-client.js';
import { insertAssignmentsInBulk, insertCourse } from './tenant-rows.js';
import { ok, TEST_JWT_SECRET, type Actor, type TestServer } from './server.js';

/**
 * Offline outboxes replayed through chaos, for the reliability test and `npm run bench -- offline`: simulated
 * devices, each with a queue of actions (start, then complete, each of its assignments) made offline, send them
 * in order with an Idempotency-Key per action while the network cuts requests mid-flight (the server may or may
 * not have done them), tokens expire (the device signs in again and keeps its queue), the app is killed before
 * it records an answer (on restart it sends the unconfirmed actions again), stale duplicates of earlier actions
 * arrive late, and — when `killConnections` — the server's database sessions are terminated. Meanwhile an officer
 * cancelled some assignments. The report says what the database holds against what it must hold.
 */

export interface ReplayOptions {
  devices: number;
  assignmentsPerDevice: number;
  cancelledPerDevice: number;
  /** Interleave each device's assignments at random (each assignment's own start still before its completion). */
  reorder?: boolean;
  /** PostgreSQL only: terminate one of the API's database sessions every few milliseconds. */
  killConnections?: boolean;
  /** false: no cuts, expired tokens, restarts or duplicates (a plain replay, the benchmark's floor). */
  chaos?: boolean;
}

export interface Action {
  key: string;
  assignmentId: string;
  request: { query: string; variables: Record<string, unknown> };
}

export interface Outcome {
  status: number;
  body: string;
  code?: string;
}

export interface ChaosStats {
  cut: number;
  expired: number;
  retried: number;
  duplicates: number;
  /** Duplicates whose answer differed from the first answer (must be 0). */
  duplicateMismatches: number;
  restarts: number;
  killed: number;
}

export interface ReplayReport {
  actions: number;
  seconds: number;
  stats: ChaosStats;
  /** Assignments not cancelled: each must be completed exactly once. */
  expectedCompleted: number;
  completed: number;
  /** Completion rows beyond one per assignment. */
  duplicateRows: number;
  /** Assignments not cancelled that did not end completed once. */
  lost: number;
  /** Cancelled assignments that were changed. */
  cancelledTouched: number;
  cancelled: Set<string>;
  conflicts: (Action & { code: string | undefined })[];
  /** Each later answer under a key that differed from its first answer (must be none). */
  mismatches: Discrepancy[];
  /** Conflicts on assignments not cancelled (must be none): an action refused though nothing should refuse it. */
  unexpectedConflicts: Discrepancy[];
}

/** An action whose answer was not the one it must be, with what was answered, to look up in the server's logs. */
export interface Discrepancy {
  key: string;
  assignmentId: string;
  operation: string;
  /** The first answer recorded for the key. */
  first: Outcome;
  /** The later answer that differed (a mismatch), none for an unexpected conflict. */
  later?: Outcome;
}

interface Rates {
  cut: number;
  expired: number;
  restart: number;
  duplicate: number;
}
const CHAOS: Rates = { cut: 0.15, expired: 0.08, restart: 0.05, duplicate: 0.1 };
const CALM: Rates = { cut: 0, expired: 0, restart: 0, duplicate: 0 };
const RETRYABLE = new Set(['TRANSACTION_CONFLICT', 'INTERNAL_SERVER_ERROR', 'UNAUTHENTICATED']);

interface Device {
  userId: string;
  token: string;
  expiredToken: string;
  queue: Action[];
}

/** A worker's token that expires at `expiresAt` (seconds since the epoch; in the past: already expired). */
export const workerToken = (userId: string, tenantId: string, expiresAt: number) =>
  new SignJWT({ tenant_id: tenantId, role: 'worker' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt(Math.min(Math.floor(Date.now() / 1000), expiresAt - 600))
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));

/** Sends one action until an answer arrives that is not worth retrying; counts what the chaos did. */
async function deliver(
  server: TestServer,
  device: Device,
  action: Action,
  stats: ChaosStats,
  rates: Rates,
): Promise<Outcome> {
  let last = 'nothing';
  for (let tries = 0; ; tries++) {
    if (tries > 60) throw new Error(`action ${action.key} never got an answer; last: ${last}`);
    let bearer = device.token;
    if (Math.random() < rates.expired) {
      bearer = device.expiredToken;
      stats.expired++;
    }
    const cut: Cut = Math.random() < rates.cut ? { at: 'after-body', delayMs: Math.random() * 25 } : { at: 'never' };
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

/** Each assignment's start then completion; with `reorder`, assignments interleaved at random. */
function queueOf(assignmentIds: string[], reorder: boolean): Action[] {
  const pending = assignmentIds.map((assignmentId): Action[] => [
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
  ]);
  if (!reorder) return pending.flat();
  const queue: Action[] = [];
  while (pending.length > 0) {
    const at = Math.floor(Math.random() * pending.length);
    queue.push(pending[at]!.shift()!);
    if (pending[at]!.length === 0) pending.splice(at, 1);
  }
  return queue;
}

export async function replayOutboxes(server: TestServer, admin: Actor, options: ReplayOptions): Promise<ReplayReport> {
  const tenantId = admin.tenantId;
  await ok(admin.request('{ me { id } }'));
  const now = Math.floor(Date.now() / 1000);
  const devices: Device[] = [];
  for (let d = 0; d < options.devices; d++) {
    const userId = randomUUID();
    const device = {
      userId,
      token: await workerToken(userId, tenantId, now + 3600),
      expiredToken: await workerToken(userId, tenantId, now - 60),
      queue: [],
    };
    await ok(server.request('{ me { id } }', {}, `Bearer ${device.token}`));
    devices.push(device);
  }
  const byUser = new Map<string, string[]>(devices.map((device) => [device.userId, []]));
  for (let c = 0; c < options.assignmentsPerDevice; c++) {
    const courseId = await insertCourse(server.owner, tenantId, admin.userId, `Course ${c}`);
    const rows = await insertAssignmentsInBulk(server.db, tenantId, courseId, [...byUser.keys()]);
    for (const row of rows) byUser.get(row.user_id)!.push(row.id);
  }
  for (const device of devices) device.queue = queueOf(byUser.get(device.userId)!, options.reorder ?? false);
  // Meanwhile, online, the officer cancelled some of them.
  const cancelled = new Set(
    devices.flatMap((device) => byUser.get(device.userId)!.slice(0, options.cancelledPerDevice)),
  );
  for (const assignmentId of cancelled) await ok(admin.request(CancelTrainingAssignmentDocument, { assignmentId }));

  const stats: ChaosStats = {
    cut: 0,
    expired: 0,
    retried: 0,
    duplicates: 0,
    duplicateMismatches: 0,
    restarts: 0,
    killed: 0,
  };
  const rates = options.chaos === false ? CALM : CHAOS;
  const killer = options.killConnections ? killConnectionsUntil(server, stats) : undefined;
  const outcomes = new Map<string, Outcome>();
  const conflicts: ReplayReport['conflicts'] = [];
  const mismatches: Discrepancy[] = [];
  const unexpected: Action[] = [];
  const discrepancy = (action: Action, later?: Outcome): Discrepancy => ({
    key: action.key,
    assignmentId: action.assignmentId,
    operation: operationOf(action),
    first: outcomes.get(action.key)!,
    ...(later ? { later } : {}),
  });
  const compare = (action: Action, later: Outcome) => {
    if (JSON.stringify(later) === JSON.stringify(outcomes.get(action.key))) return;
    stats.duplicateMismatches++;
    mismatches.push(discrepancy(action, later));
  };
  const replayDevice = async (device: Device) => {
    const sent: Action[] = [];
    let next = 0;
    while (next < device.queue.length) {
      const action = device.queue[next]!;
      const outcome = await deliver(server, device, action, stats, rates);
      // Killed before the outbox recorded the answer: on restart the action is sent again.
      if (Math.random() < rates.restart) {
        stats.restarts++;
        continue;
      }
      if (!outcomes.has(action.key)) {
        outcomes.set(action.key, outcome);
        if (outcome.code) conflicts.push({ ...action, code: outcome.code });
        if (outcome.code && !cancelled.has(action.assignmentId)) unexpected.push(action);
      } else compare(action, outcome);
      sent.push(action);
      next++;
      // A stale duplicate of an earlier action arrives late (the network kept it): it must replay.
      if (Math.random() < rates.duplicate) {
        const earlier = sent[Math.floor(Math.random() * sent.length)]!;
        const again = await deliver(server, device, earlier, stats, rates);
        stats.duplicates++;
        compare(earlier, again);
      }
    }
  };
  const started = performance.now();
  try {
    await Promise.all(devices.map(replayDevice));
  } finally {
    await killer?.stop();
  }
  const seconds = (performance.now() - started) / 1000;

  const rows = await server.owner.query<{ id: string; status: string; completions: number; started: boolean }>(
    `SELECT a.id, a.status::text AS status, a.started_at IS NOT NULL AS started,
            (SELECT count(*)::int FROM training_completions c
              WHERE c.tenant_id = a.tenant_id AND c.assignment_id = a.id) AS completions
     FROM training_assignments a WHERE a.tenant_id = $1::uuid`,
    [tenantId],
  );
  const live = rows.filter((row) => !cancelled.has(row.id));
  const gone = rows.filter((row) => cancelled.has(row.id));
  return {
    actions: devices.reduce((sum, device) => sum + device.queue.length, 0),
    seconds,
    stats,
    expectedCompleted: options.devices * options.assignmentsPerDevice - cancelled.size,
    completed: live.filter((row) => row.status === 'completed' && row.completions === 1).length,
    duplicateRows: rows.reduce((sum, row) => sum + Math.max(0, row.completions - 1), 0),
    lost: live.filter((row) => row.status !== 'completed' || row.completions === 0).length,
    cancelledTouched: gone.filter((row) => row.status !== 'cancelled' || row.completions > 0 || row.started).length,
    cancelled,
    conflicts,
    mismatches,
    unexpectedConflicts: unexpected.map((action) => discrepancy(action)),
  };
}

const operationOf = (action: Action) => /mutation\s+(\w+)/.exec(action.request.query)?.[1] ?? 'unknown';

/**
 * Terminates one of the API's database sessions, idle in the pool or busy, every few milliseconds until stopped.
 * Not only busy ones: once few devices are left, their requests' sessions would be the only busy ones and be
 * killed again within 40–120 ms every time they were retried, so the last actions could never get through
 * (no server can answer a request whose every connection is killed before it ends); an idle pooled session
 * killed is also what the next request must survive.
 */
function killConnectionsUntil(server: TestServer, stats: ChaosStats): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 80));
      // The owner's own pooled sessions are on the same database: one may be the victim. Then try again.
      const killed = await server.owner
        .query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
             ORDER BY random() LIMIT 1) AS k`,
        )
        .catch(() => [{ n: 0 }]);
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
