import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runAsCaller } from '../../src/core/caller/index.js';
import type { App } from '../../src/app.js';
import { TrainingAssignmentCreatedDocument } from '../../src/generated/operations/graphql.js';
import { announceAssignments, inTransaction } from '../support/announce.js';
import { owner, uuid } from '../support/sql.js';
import { insertCourse, insertWorkers } from '../support/tenant-rows.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { liveClient, startInstance, subscribe, wsUrl, type CloseInfo, type LiveClient } from '../support/ws.js';

/**
 * A client that stops reading (a phone in a tunnel, a frozen tab) must not
 * slow anyone else down, and must not make the server buffer without bound:
 * its socket stalls, its queue fills, and it is dropped — its connection
 * closed with 4410 and a SUBSCRIPTION_DROPPED reason, which a graphql-ws
 * client answers by reconnecting and subscribing again (the app refetches).
 */

const QUEUE_LIMIT = 250;
const QUEUE_BYTES = 1024 * 1024;
const BURST = 100;
/** ~400 KB per event (25 aliases, within the alias limit, of a 16 KB reason): a few events fill the socket buffers of a client that does not read. */
const HEAVY = `subscription { trainingAssignmentCreated { id ${Array.from(
  { length: 25 },
  (_, i) => `r${i}: assignmentReason`,
).join(' ')} } }`;

let server: TestServer;
let instance: App;
/** Drops by bytes, well before the ping of a stalled socket goes unanswered (graphql-ws then terminates it). */
let byBytes: App;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // The tenant's delivery budget is lifted here: bursts of 400 KB events would otherwise be paced by design
  // (delivery-budget.test.ts), and this is about one socket's backpressure, not about the tenant's share.
  const unpaced = { tenantBytesPerSecond: 2 ** 40 };
  instance = await startInstance(server.db, { ...unpaced, maxQueuedIds: QUEUE_LIMIT });
  byBytes = await startInstance(server.db, { ...unpaced, maxQueuedBytes: QUEUE_BYTES });
});
afterAll(async () => {
  for (const client of clients) client.socket().terminate();
  await byBytes.stop();
  await instance.stop();
  await server.stop();
});

/** One statement assigning a new course to `users`, with a 16 KB reason each, announced as the API does; the new ids. */
async function heavyBurst(tenantId: string, createdBy: string, users: string[]): Promise<string[]> {
  const courseId = await insertCourse(owner(server.db), tenantId, createdBy, 'Burst');
  const rows = await runAsCaller(server.db.prisma, { tenantId, userId: uuid(), role: 'service' }, async (tx) => {
    const created = await tx.$queryRawUnsafe<{ id: string; tenant_id: string; user_id: string }[]>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_reason)
       SELECT $1::uuid, $2::uuid, u, repeat('x', 16000) FROM unnest($3::uuid[]) AS u
       RETURNING id::text, tenant_id::text, user_id::text`,
      tenantId,
      courseId,
      users,
    );
    await announceAssignments(inTransaction(tx), created);
    return created;
  });
  return rows.map((row) => row.id);
}

describe('a slow client', () => {
  it('does not hold up the others, and is dropped once it falls too far behind', async () => {
    const admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    const users = await insertWorkers(owner(server.db), tenantId, BURST);
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
      const started = Date.now();
      created.push(...(await heavyBurst(tenantId, admin.userId, users)));
      await eventually(() => received().length === created.length, 15_000);
      latencies.push(Date.now() - started);
    }

    // Every burst reached the healthy client, each event once, while the other sat stalled.
    expect(received().sort()).toEqual([...created].sort());
    expect(Math.max(...latencies)).toBeLessThan(10_000);
    expect(instance.services.liveEvents.stats()).toMatchObject({ subscribers: 1, dropped: 1 });
    expect(stalledFeed.data.length).toBeLessThan(created.length);
  });

  it('is closed with 4410 SUBSCRIPTION_DROPPED; a graphql-ws client reconnects and subscribes again', async () => {
    const admin = await server.actor('admin');
    const users = await insertWorkers(owner(server.db), admin.tenantId, BURST);
    const closes: CloseInfo[] = [];
    const connections: boolean[] = [];
    let firstSocket: WebSocket | undefined;
    // A standard client, as an app would configure it: retries on, and a refetch when it reconnects.
    const client = createClient({
      url: wsUrl(byBytes.url),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin.token}` },
      lazy: false,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
      on: {
        opened: (socket) => void (firstSocket ??= socket as WebSocket),
        connected: (_socket, _payload, wasRetry) => void connections.push(wasRetry),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string | Buffer };
          closes.push({ code, reason: String(reason) });
        },
      },
    });
    const received: string[] = [];
    const failures: unknown[] = [];
    client.subscribe<{ trainingAssignmentCreated: { id: string } }>(
      { query: HEAVY },
      {
        next: (result) => void received.push(result.data!.trainingAssignmentCreated.id),
        error: (error) => void failures.push(error),
        complete: () => {},
      },
    );
    try {
      await eventually(() => byBytes.services.liveEvents.stats().subscribers === 1);
      firstSocket!.pause();

      // Twice 100 events of ~400 KB, far more than the socket holds: the second delivery finds the first unread.
      const shaped = () => byBytes.services.liveEvents.stats().shaped;
      const before = shaped();
      await heavyBurst(admin.tenantId, admin.userId, users);
      await eventually(() => shaped() === before + BURST, 20_000);
      await heavyBurst(admin.tenantId, admin.userId, users);
      await eventually(() => byBytes.services.liveEvents.stats().dropped === 1, 20_000);
      firstSocket!.resume(); // the client reads what was sent, then the close

      await eventually(() => closes.length === 1);
      expect(closes[0]).toEqual({
        code: 4410,
        reason: `SUBSCRIPTION_DROPPED: fell more than ${QUEUE_BYTES} bytes behind. Subscribe again and refetch what you missed.`,
      });
      // graphql-ws retries 4410 by itself: connected again, the subscription is back on the server.
      await eventually(() => connections.length === 2 && byBytes.services.liveEvents.stats().subscribers === 1);
      expect(connections).toEqual([false, true]);
      const [after] = await heavyBurst(admin.tenantId, admin.userId, users.slice(0, 1));
      await eventually(() => received.includes(after!));
      expect(failures).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});
