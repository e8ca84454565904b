import { request as httpRequest } from 'node:http';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import {
  CreateTrainingCourseDocument,
  TrainingAssignmentCreatedDocument,
  TrainingAssignmentsDocument,
  TrainingCoursesDocument,
} from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';
import { TEST_JWT_SECRET } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { liveClient, subscribe } from '../support/ws.js';
import { memoryLogger, timedRequest, tokenFor, watchProcess, type Outcome } from './support.js';

/**
 * Graceful shutdown, as SIGTERM runs it (src/main.ts calls app.stop()):
 * requests already received are answered in full, the port stops accepting
 * connections at once, live subscriptions are closed with 1001 Going Away, and
 * only then is the database closed.
 */

const IN_FLIGHT = 8;

let db: TestDatabase;
let app: App;
let closeCalls = 0;
let closedAt = 0;
const finishedAt: number[] = [];
const watch = watchProcess();
const { logger, lines } = memoryLogger('warn');

beforeAll(async () => {
  db = await freshDatabase();
  // Closing is the app's job (stop); the test's own drop must not close a second time.
  const close = db.close.bind(db);
  let closing: Promise<void> | undefined;
  db.close = () => {
    closeCalls++;
    closedAt ||= Date.now();
    return (closing ??= close());
  };
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, PORT: '0' });
  app = await startApp({ config, logger, schema, db, host: '127.0.0.1' });
  app.server.on('request', (_req, res) => res.once('finish', () => finishedAt.push(Date.now())));
});
afterAll(async () => {
  watch.dispose();
  await app?.stop();
  await db?.drop().catch(() => {});
});

/** Enough rows that a 500-row page takes a moment. */
async function seed(tenantId: string, userId: string): Promise<void> {
  await owner(db).query(
    `WITH p AS (
       INSERT INTO profiles (id, tenant_id, role) VALUES ($2::uuid, $1::uuid, 'admin')
     ), users AS (
       INSERT INTO profiles (id, tenant_id, role)
       SELECT gen_random_uuid(), $1::uuid, 'worker' FROM generate_series(1, 400) RETURNING id
     ), courses AS (
       INSERT INTO training_courses (tenant_id, title, category, created_by)
       SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid FROM generate_series(1, 10) n RETURNING id
     )
     INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, status, due_date)
     SELECT $1::uuid, c.id, u.id, $2::uuid,
            (ARRAY['assigned', 'in_progress', 'completed', 'cancelled'])[1 + (random() * 3)::int],
            current_date + 30
     FROM courses c CROSS JOIN users u`,
    [tenantId, userId],
  );
}

/** A request on a brand-new TCP connection (no pooled keep-alive socket): its status, or the connect error code. */
function freshConnection(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url.replace(/\/graphql$/, '/healthz'), { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

describe('graceful shutdown (app.stop(), what SIGTERM runs)', () => {
  it('answers in-flight requests, refuses new connections, closes subscriptions with 1001, then closes the database', async () => {
    const admin = await tokenFor('admin');
    await seed(admin.tenantId, admin.userId);

    // A live subscriber, as a worker's app holds one.
    const live = liveClient(app.url, admin.token);
    subscribe(live, TrainingAssignmentCreatedDocument);
    const closed = live.closed;
    await eventually(() => app.services.liveEvents.stats().subscribers === 1, 10_000);

    // A running instance has its pool connections open; opening them all in one burst is not what is tested here.
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, () =>
          timedRequest(app.url, 'warm-up', print(TrainingCoursesDocument), { first: 1 }, admin.token),
        ),
      );
    }

    // Slow-ish requests; stop() is called the moment the server has received the last of them.
    const finishedBefore = finishedAt.length;
    let received = 0;
    let stopping: Promise<void> | undefined;
    let unfinishedAtStop = -1;
    app.server.on('request', () => {
      if (++received === IN_FLIGHT) {
        unfinishedAtStop = IN_FLIGHT - (finishedAt.length - finishedBefore);
        stopping = app.stop();
      }
    });
    const requests: Promise<Outcome>[] = [];
    // A page of assignments (with course and user) and light reads and writes. Not heavier: analytics opens
    // ~15 transactions at once, and Prisma fails a transaction that waits 2 s for a connection, so a burst of
    // heavy requests on a slow machine fails for capacity reasons that have nothing to do with shutdown.
    const work: [op: string, query: string, variables: (index: number) => Record<string, unknown>][] = [
      ['trainingAssignments', print(TrainingAssignmentsDocument), () => ({ first: 100 })],
    ];
    for (let index = work.length; index < IN_FLIGHT; index++) {
      work.push(
        index % 2
          ? ['trainingCourses', print(TrainingCoursesDocument), () => ({ first: 20 })]
          : [
              'createTrainingCourse',
              print(CreateTrainingCourseDocument),
              (index) => ({ input: { title: `Late ${index}`, category: 'COMPLIANCE' } }),
            ],
      );
    }
    work.forEach(([op, query, variables], index) =>
      requests.push(timedRequest(app.url, op, query, variables(index), admin.token, 30_000)),
    );

    await eventually(
      () => stopping !== undefined,
      20_000,
      () => `the server received ${received} of ${IN_FLIGHT}`,
    );
    expect(unfinishedAtStop, 'requests still running when stop() was called').toBeGreaterThan(0);

    // The listening socket closes at once: a new connection is refused while the others drain.
    await eventually(() => !app.server.listening, 5_000);
    expect(await freshConnection(app.url)).toBe('ECONNREFUSED');

    // Every request received before stop() gets its full answer.
    const outcomes = await Promise.all(requests);
    expect(
      outcomes.filter((outcome) => outcome.kind !== 'ok'),
      JSON.stringify(lines().slice(-3)),
    ).toEqual([]);
    for (const outcome of outcomes) {
      if (outcome.op === 'trainingAssignments') {
        expect((outcome.data as { trainingAssignments: { nodes: unknown[] } }).trainingAssignments.nodes).toHaveLength(
          100,
        );
      }
    }

    // The subscriber is told the server is going away.
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });

    await stopping;
    // The database was closed once, by stop(), after the last response went out.
    expect(closeCalls).toBe(1);
    expect(Math.max(...finishedAt)).toBeLessThanOrEqual(closedAt);
    await expect(db.withConnection((connection) => connection.query('SELECT 1'))).rejects.toThrow();
    expect(app.services.liveEvents.stats().subscribers).toBe(0);

    // Stopped for good: stop() again is a no-op, and nothing answers on the port.
    await app.stop();
    expect(closeCalls).toBe(1);
    expect(await freshConnection(app.url)).toBe('ECONNREFUSED');
    expect(watch.failures).toEqual([]);
  }, 60_000);
});
