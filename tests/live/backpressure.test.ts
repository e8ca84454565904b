import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import type { App } from '../../src/app.js';
import { TrainingAssignmentCreatedDocument } from '../../src/generated/operations/graphql.js';
import { owner, uuid } from '../support/sql.js';
import { insertCourse, insertWorkers } from '../support/tenant-rows.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { liveClient, startInstance, subscribe, type LiveClient } from '../support/ws.js';

/**
 * A client that stops reading (a phone in a tunnel, a frozen tab) must not
 * slow anyone else down, and must not make the server buffer without bound:
 * its socket stalls, its queue fills, and it is dropped.
 */

const QUEUE_LIMIT = 250;
const BURST = 100;
/** ~400 KB per event (25 aliases, within the alias limit, of a 16 KB reason): a few events fill the socket buffers of a client that does not read. */
const HEAVY = `subscription { trainingAssignmentCreated { id ${Array.from(
  { length: 25 },
  (_, i) => `r${i}: assignmentReason`,
).join(' ')} } }`;

let server: TestServer;
let instance: App;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  instance = await startInstance(server.db, { maxQueuedIds: QUEUE_LIMIT });
});
afterAll(async () => {
  for (const client of clients) client.socket().terminate();
  await instance.stop();
  await server.stop();
});

describe('a slow client', () => {
  it('does not hold up the others, and is dropped once it falls too far behind', async () => {
    const admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    const sql = owner(server.db);
    const users = await insertWorkers(sql, tenantId, BURST);
    const stalled = liveClient(instance.url, admin.token);
    const healthy = liveClient(instance.url, admin.token);
    clients.push(stalled, healthy);
    const stalledFeed = subscribe(stalled, HEAVY);
    const healthyFeed = subscribe(healthy, TrainingAssignmentCreatedDocument, {});
    await eventually(() => instance.services.liveEvents.stats().subscribers === 2);
    stalled.socket().pause(); // stops reading: the server's writes back up once the TCP buffers are full

    const received = () => healthyFeed.data.map((data) => data.trainingAssignmentCreated.id);
    const created: string[] = [];
    const latencies: number[] = [];
    for (let burst = 0; burst < 5; burst++) {
      const courseId = await insertCourse(sql, tenantId, admin.userId, `Burst ${burst}`);
      const started = Date.now();
      const rows = await runAsCaller(server.db.prisma, { tenantId, userId: uuid(), role: 'service' }, (tx) =>
        tx.$queryRawUnsafe<{ id: string }[]>(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_reason)
           SELECT $1::uuid, $2::uuid, u, repeat('x', 16000) FROM unnest($3::uuid[]) AS u RETURNING id::text`,
          tenantId,
          courseId,
          users,
        ),
      );
      created.push(...rows.map((row) => row.id));
      await eventually(() => received().length === created.length, 15_000);
      latencies.push(Date.now() - started);
    }

    // Every burst reached the healthy client, each event once, while the other sat stalled.
    expect(received().sort()).toEqual([...created].sort());
    expect(Math.max(...latencies)).toBeLessThan(10_000);
    expect(instance.services.liveEvents.stats()).toMatchObject({ subscribers: 1, dropped: 1 });
    expect(stalledFeed.data.length).toBeLessThan(created.length);
  });
});
