import { connect, type Socket } from 'node:net';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { owner } from '../support/sql.js';
import { dayFromToday, errorCode, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { eventually, sleep } from '../support/wait.js';
import { tokenFor, watchProcess } from './support.js';

/**
 * Clients that vanish mid-mutation (a phone losing signal, a killed script, a
 * proxy timing out) over raw TCP, cut at every point of the exchange: half-way
 * through the headers or the body, just after the last byte, a little later,
 * with a TCP reset, or as the answer starts. Whatever the cut, a mutation either
 * happened entirely or not at all, never half; the server keeps serving; and a
 * client that retries gets a clear answer (done now, or CONFLICT: already done).
 */

const COUNT = 48;
const WAVE = 8;
const DUE = dayFromToday(21);

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with RELIABILITY_SEED. */
const seed = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = seed;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const why = (text: string) => `${text} (RELIABILITY_SEED=${seed})`;

/** Where the client goes away. The first two cut the request short, so the server must not act on it. */
const CUTS = ['mid-headers', 'mid-body', 'after-send', 'after-delay', 'reset-after-delay', 'on-response'] as const;
type Cut = (typeof CUTS)[number];
const NEVER_EXECUTED: Cut[] = ['mid-headers', 'mid-body'];

let server: TestServer;
let sql: ReturnType<typeof owner>;
let officer: Actor;
let port: number;
const watch = watchProcess();

beforeAll(async () => {
  server = await startTestServer();
  sql = owner(server.db);
  port = Number(new URL(server.url).port);
  officer = await server.actor('safety_officer');
});
afterAll(async () => {
  watch.dispose();
  await server?.stop();
});

/** Sends one GraphQL request over a fresh TCP connection and abandons it at `cut`. Resolves once the socket is gone. */
function abandon(token: string, query: string, variables: Record<string, unknown>, cut: Cut): Promise<void> {
  const body = Buffer.from(JSON.stringify({ query, variables }));
  const head = Buffer.from(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  const delay = Math.floor(random() * 40);
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.once('connect', () => {
      switch (cut) {
        case 'mid-headers':
          socket.write(head.subarray(0, Math.floor(head.length * (0.2 + random() * 0.6))), () => socket.destroy());
          break;
        case 'mid-body':
          socket.write(Buffer.concat([head, body.subarray(0, Math.floor(body.length * random()))]), () =>
            socket.destroy(),
          );
          break;
        case 'after-send':
          socket.write(Buffer.concat([head, body]), () => socket.destroy());
          break;
        case 'after-delay':
          socket.write(Buffer.concat([head, body]), () => setTimeout(() => socket.destroy(), delay));
          break;
        case 'reset-after-delay':
          socket.write(Buffer.concat([head, body]), () => setTimeout(() => socket.resetAndDestroy(), delay));
          break;
        case 'on-response':
          socket.write(Buffer.concat([head, body]));
          socket.once('data', () => socket.destroy());
          break;
      }
    });
  });
}

/** Runs `tasks` in waves of WAVE concurrent ones. */
async function inWaves<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += WAVE) {
    await Promise.all(items.slice(start, start + WAVE).map(task));
  }
}

/** Waits until `snapshot` returns the same thing twice in a row: the server has finished what it received. */
async function settled<T>(snapshot: () => Promise<T>): Promise<T> {
  let previous = JSON.stringify(await snapshot());
  for (;;) {
    await sleep(300);
    const current = await snapshot();
    if (JSON.stringify(current) === previous) return current;
    previous = JSON.stringify(current);
  }
}

async function createCourse(title: string): Promise<string> {
  const response = await officer.request(CreateTrainingCourseDocument, {
    input: { title, category: 'EQUIPMENT_SAFETY', expiryMonths: 12, issuesCertificate: true },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse.id;
}

async function newWorkers(count: number) {
  const workers = await Promise.all(Array.from({ length: count }, () => tokenFor('worker', officer.tenantId)));
  await sql.query(`INSERT INTO profiles (id, tenant_id, role) SELECT unnest($1::uuid[]), $2::uuid, 'worker'`, [
    workers.map((worker) => worker.userId),
    officer.tenantId,
  ]);
  return workers;
}

const cutFor = (index: number): Cut => CUTS[index % CUTS.length]!;

describe('a client disconnecting mid-mutation', () => {
  it('completeTrainingAssignment: completed with exactly one passed completion, or untouched — never half', async () => {
    const courseId = await createCourse('Forklift refresher');
    const workers = await newWorkers(COUNT);
    const started = await sql.query<{ id: string; user_id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, status, started_at, due_date)
       SELECT $1::uuid, $2::uuid, unnest($3::uuid[]), $4::uuid, 'in_progress', now(), $5::date
       RETURNING id::text, user_id::text`,
      [officer.tenantId, courseId, workers.map((worker) => worker.userId), officer.userId, DUE],
    );
    const tokenOf = new Map(workers.map((worker) => [worker.userId, worker.token]));
    const plan = started.map((row, index) => ({ ...row, cut: cutFor(index) }));
    const query = print(CompleteTrainingAssignmentDocument);

    await inWaves(plan, ({ id, user_id, cut }) =>
      abandon(tokenOf.get(user_id)!, query, { input: { assignmentId: id, score: 88, completionTimeMinutes: 30 } }, cut),
    );

    type State = { id: string; status: string; completed_at: unknown; completions: number; passed: number };
    const snapshot = () =>
      sql.query<State>(
        `SELECT a.id::text, a.status, a.completed_at,
                count(c.id)::int AS completions, count(c.id) FILTER (WHERE c.passed AND c.score = 88
                  AND c.completion_time_minutes = 30 AND c.expires_at IS NOT NULL AND c.certificate_url IS NOT NULL)::int AS passed
         FROM training_assignments a LEFT JOIN training_completions c ON c.tenant_id = a.tenant_id AND c.assignment_id = a.id
         WHERE a.course_id = $1 GROUP BY a.tenant_id, a.id ORDER BY a.id`,
        [courseId],
      );
    const states = await settled(snapshot);
    const byId = new Map(states.map((row) => [row.id, row]));

    const half = states.filter(
      (row) =>
        !(row.status === 'completed' && row.completed_at !== null && row.completions === 1 && row.passed === 1) &&
        !(row.status === 'in_progress' && row.completed_at === null && row.completions === 0),
    );
    expect(half, why('half-written assignments')).toEqual([]);
    for (const { id, cut } of plan) {
      if (NEVER_EXECUTED.includes(cut))
        expect(byId.get(id)!.status, why(`${cut} must not execute`)).toBe('in_progress');
      if (cut === 'on-response') expect(byId.get(id)!.status, why(`${cut} was answered`)).toBe('completed');
    }
    const completed = states.filter((row) => row.status === 'completed').length;
    expect(completed, why('some cut requests completed')).toBeGreaterThan(0);
    expect(completed, why('some cut requests did not')).toBeLessThan(COUNT);

    // The server keeps serving, and a client retrying gets a definite answer either way.
    await inWaves(plan, async ({ id, user_id }) => {
      const retry = await server.request(
        query,
        { input: { assignmentId: id, score: 88, completionTimeMinutes: 30 } },
        `Bearer ${tokenOf.get(user_id)!}`,
      );
      if (byId.get(id)!.status === 'completed')
        expect(errorCode(retry), why('retry of a completed one')).toBe('CONFLICT');
      else expect(retry.errors, why('retry of an untouched one')).toBeUndefined();
    });
    const after = await snapshot();
    expect(after.filter((row) => !(row.status === 'completed' && row.completions === 1 && row.passed === 1))).toEqual(
      [],
    );
    expect(watch.failures).toEqual([]);
  }, 60_000);

  it('assignTrainingCourse: one whole assignment or none — never half, never two', async () => {
    const courseId = await createCourse('Working at height');
    const workers = await newWorkers(COUNT);
    const plan = workers.map((worker, index) => ({ userId: worker.userId, cut: cutFor(index + 1) }));
    const query = print(AssignTrainingCourseDocument);
    const input = (userId: string) => ({ courseId, userId, dueDate: DUE, assignmentReason: `Cut test ${userId}` });

    await inWaves(plan, ({ userId, cut }) => abandon(officer.token, query, { input: input(userId) }, cut));

    type Row = { user_id: string; status: string; assignment_type: string; reason: string; due: string; by: string };
    const snapshot = () =>
      sql.query<Row>(
        `SELECT user_id::text, status, assignment_type, assignment_reason AS reason, due_date::text AS due,
                assigned_by::text AS by
         FROM training_assignments WHERE course_id = $1 ORDER BY user_id, id`,
        [courseId],
      );
    const rows = await settled(snapshot);
    const byUser = new Map<string, Row[]>();
    for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row]);

    expect(
      [...byUser.values()].filter((list) => list.length > 1),
      why('duplicate assignments'),
    ).toEqual([]);
    const wrong = rows.filter(
      (row) =>
        row.status !== 'assigned' ||
        row.assignment_type !== 'manual' ||
        row.reason !== `Cut test ${row.user_id}` ||
        row.due !== DUE ||
        row.by !== officer.userId,
    );
    expect(wrong, why('partially written assignments')).toEqual([]);
    for (const { userId, cut } of plan) {
      if (NEVER_EXECUTED.includes(cut)) expect(byUser.has(userId), why(`${cut} must not execute`)).toBe(false);
      if (cut === 'on-response') expect(byUser.has(userId), why(`${cut} was answered`)).toBe(true);
    }
    expect(rows.length, why('some cut requests assigned')).toBeGreaterThan(0);
    expect(rows.length, why('some cut requests did not')).toBeLessThan(COUNT);

    // Retrying is safe: a clear CONFLICT when it was done, the assignment when it was not.
    await inWaves(plan, async ({ userId }) => {
      const retry = await officer.request(AssignTrainingCourseDocument, { input: input(userId) });
      if (byUser.has(userId)) expect(errorCode(retry), why('retry of a done assignment')).toBe('CONFLICT');
      else expect(retry.errors, why('retry of an undone assignment')).toBeUndefined();
    });
    const after = await snapshot();
    expect(after.length).toBe(COUNT);
    expect(new Set(after.map((row) => row.user_id)).size).toBe(COUNT);
    expect(watch.failures).toEqual([]);
  }, 60_000);

  it('keeps serving ordinary requests and idle-connection health after the storm', async () => {
    const health = await officer.request('{ health }');
    expect(health.errors).toBeUndefined();
    await eventually(async () => {
      const response = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
      return response.status === 200;
    }, 5_000);
    expect(watch.failures).toEqual([]);
  });
});
