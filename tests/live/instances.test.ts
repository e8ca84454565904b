import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../src/core/live-events/index.js';
import type { App } from '../../src/app.js';
import {
  AssignTrainingCourseDocument,
  TrainingAssignmentCreatedDocument,
  type TrainingAssignmentCreatedSubscription,
} from '../../src/generated/operations/graphql.js';
import { onPostgres } from '../support/database.js';
import { owner } from '../support/sql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { liveClient, startInstance, subscribe, type LiveClient, type LiveSubscription } from '../support/ws.js';

/**
 * Several API instances behind a load balancer, on one PostgreSQL database:
 * each delivers the events of writes made through any other, and each
 * survives losing its LISTEN session. PostgreSQL only: PGlite is an in-process
 * database, so two instances cannot share it across processes and its session
 * cannot drop.
 */

type Feed = LiveSubscription<TrainingAssignmentCreatedSubscription>;

let server: TestServer;
let second: App;
let sql: ReturnType<typeof owner>;
const clients: LiveClient[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  server = await startTestServer();
  // Reconnects slowly, so the outage below certainly hides a commit from it.
  second = await startInstance(server.db, { reconnectMinMs: 1_500, reconnectMaxMs: 1_500 });
  sql = owner(server.db);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await second?.stop();
  await server?.stop();
});

function follow(app: App, actor: Actor): Feed {
  const client = liveClient(app.url, actor.token);
  clients.push(client);
  return subscribe(client, TrainingAssignmentCreatedDocument, {});
}

const ids = (feed: Feed) => feed.data.map((data) => data.trainingAssignmentCreated.id);
const subscribers = (app: App) => app.services.liveEvents.stats().subscribers;

/** A GraphQL request to one particular instance (the test harness always talks to the first). */
async function requestAt<Data, Variables>(
  app: App,
  actor: Actor,
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): Promise<{ data?: Data; errors?: unknown[] }> {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${actor.token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as { data?: Data; errors?: unknown[] };
}

async function assignAt(app: App, admin: Actor, userId: string, title: string): Promise<string> {
  const courseId = (
    await sql.insert('training_courses', {
      tenant_id: admin.tenantId,
      title,
      category: 'other',
      created_by: admin.userId,
    })
  ).id as string;
  const response = await requestAt(app, admin, AssignTrainingCourseDocument, {
    input: { courseId, userId, dueDate: dayFromToday(7) },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.assignTrainingCourse.id;
}

describe('several instances on one database', () => {
  it.runIf(onPostgres)('each delivers the events of writes made through the other', async () => {
    const admin = await server.actor('admin');
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    const feeds = {
      adminOnFirst: follow(server.app, admin),
      adminOnSecond: follow(second, admin),
      workerOnSecond: follow(second, worker),
    };
    await eventually(() => subscribers(server.app) === 1 && subscribers(second) === 2);

    const viaFirst = await assignAt(server.app, admin, worker.userId, 'Written through the first');
    const viaSecond = await assignAt(second, admin, worker.userId, 'Written through the second');

    for (const feed of Object.values(feeds)) {
      await feed.until((f) => f.results.length >= 2);
      expect(ids(feed)).toEqual([viaFirst, viaSecond]);
    }
  });

  it.runIf(onPostgres)("serves each event only on the instance of its worker's connection", async () => {
    const admin = await server.actor('admin');
    const onFirst = await server.actor('worker', { tenantId: admin.tenantId });
    const onSecond = await server.actor('worker', { tenantId: admin.tenantId });
    const feeds = { onFirst: follow(server.app, onFirst), onSecond: follow(second, onSecond) };
    await eventually(() => subscribers(server.app) === 1 && subscribers(second) === 1);
    const shapedBefore = [server.app, second].map((app) => app.services.liveEvents.stats().shaped);

    const forFirst = await assignAt(server.app, admin, onFirst.userId, 'For the worker on the first');
    const forSecond = await assignAt(second, admin, onSecond.userId, 'For the worker on the second');
    const againForFirst = await assignAt(second, admin, onFirst.userId, 'Again for the worker on the first');
    // Each instance reads the notifications in commit order: once its worker has the event committed after
    // the other worker's, it has handled that one too.
    await feeds.onSecond.until((f) => f.results.length >= 1);
    await feeds.onFirst.until((f) => f.results.length >= 2);

    expect(ids(feeds.onFirst)).toEqual([forFirst, againForFirst]);
    expect(ids(feeds.onSecond)).toEqual([forSecond]);
    // Neither instance read or shaped the other's event.
    const shapedAfter = [server.app, second].map((app) => app.services.liveEvents.stats().shaped);
    expect(shapedAfter.map((shaped, index) => shaped - shapedBefore[index]!)).toEqual([2, 1]);
  });

  it.runIf(onPostgres)(
    'each recovers the assignments committed while its LISTEN session was down, exactly once',
    async () => {
      const admin = await server.actor('admin');
      const [worker] = (
        await sql.query<{ id: string }>(
          `INSERT INTO profiles (id, tenant_id, role) VALUES (gen_random_uuid(), $1, 'worker') RETURNING id::text`,
          [admin.tenantId],
        )
      ).map((row) => row.id);
      const feeds = [follow(server.app, admin), follow(second, admin)];
      await eventually(() => subscribers(server.app) === 1 && subscribers(second) === 1);
      const before = await assignAt(server.app, admin, worker!, 'Before the outage');
      for (const feed of feeds) await feed.until((f) => f.results.length === 1);

      // The database drops every LISTEN session (a restart or failover would); the next
      // commit happens before the second instance is back.
      const terminated = await sql.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1`,
        [LISTENER_APPLICATION_NAME],
      );
      expect(terminated).toHaveLength(2);
      await eventually(() => !second.services.liveEvents.stats().listening);
      const during = await assignAt(server.app, admin, worker!, 'During the outage');
      await eventually(() => second.services.liveEvents.stats().listening, 10_000);
      const after = await assignAt(second, admin, worker!, 'After the outage');

      for (const feed of feeds) {
        await feed.until((f) => ids(f).includes(after));
        expect(ids(feed)).toEqual([before, during, after]);
      }
      expect(second.services.liveEvents.stats().recovered).toBe(1);
    },
  );
});
