import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MyTrainingAssignmentsDocument,
  TrainingAssignmentCreatedDocument,
} from '../../src/generated/operations/graphql.js';
import { onPostgres } from '../support/database.js';
import { owner } from '../support/sql.js';
import { insertAssignmentsInBulk, insertCourse, insertWorkers } from '../support/tenant-rows.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, subscribe, subscribersReach, type LiveClient } from '../support/ws.js';

/**
 * One tenant cannot crowd out another on the live-event hub: a socket holds a
 * bounded number of subscriptions, a token a bounded number of sockets (coded
 * refusals beyond), and deliveries take turns between tenants, so a tenant
 * flooding its own subscribers delays its own events, not another tenant's.
 */

const PER_SOCKET = 3;
const PER_TOKEN = 2;

let server: TestServer;
let sql: ReturnType<typeof owner>;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer({
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET),
    WS_MAX_SOCKETS_PER_TOKEN: String(PER_TOKEN),
  });
  sql = owner(server.db);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await subscribersReach(server.app, 0);
});
afterAll(() => server.stop());

function connect(actor: Actor): LiveClient {
  const client = liveClient(server.url, actor.token);
  clients.push(client);
  return client;
}

const selection = (n: number) => `subscription { trainingAssignmentCreated { id assignmentReason r${n}: status } }`;

describe('caps per socket and per token', () => {
  it(`refuses a socket’s subscription beyond ${PER_SOCKET} with TOO_MANY_SUBSCRIPTIONS, and the others go on`, async () => {
    const admin = await server.actor('admin');
    const [worker] = await insertWorkers(sql, admin.tenantId, 1);
    const client = connect(admin);
    const kept = [0, 1, 2].map((n) => subscribe(client, selection(n)));
    await subscribersReach(server.app, PER_SOCKET);

    const refused = subscribe(client, selection(3));
    await refused.until((s) => s.completed);
    expect(refused.error).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(`already has ${PER_SOCKET} subscriptions`),
        extensions: expect.objectContaining({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: PER_SOCKET }),
      }),
    ]);
    expect(server.app.services.liveEvents.stats().subscribers).toBe(PER_SOCKET);

    const courseId = await insertCourse(sql, admin.tenantId, admin.userId);
    const [created] = await insertAssignmentsInBulk(server.db, admin.tenantId, courseId, [worker!]);
    const id = created!.id;
    for (const subscription of kept) await subscription.until((s) => s.results.length === 1);

    // Completing one frees its place.
    kept[0]!.unsubscribe();
    await subscribersReach(server.app, PER_SOCKET - 1);
    const again = subscribe(client, selection(4));
    await subscribersReach(server.app, PER_SOCKET);
    expect(again.error).toBeUndefined();
    expect(kept[1]!.data).toEqual([{ trainingAssignmentCreated: expect.objectContaining({ id }) }]);
  });

  it(`closes a token’s socket beyond ${PER_TOKEN} with 4429 TOO_MANY_SOCKETS; closing one lets the next in`, async () => {
    const admin = await server.actor('admin');
    const open = Array.from({ length: PER_TOKEN }, () => connect(admin));
    for (const client of open) subscribe(client, selection(0));
    await subscribersReach(server.app, PER_TOKEN);

    const extra = connect(admin);
    const closed = await extra.closed;
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/^TOO_MANY_SOCKETS: this token already has 2 open connections/);
    // Another token of the same tenant is not affected.
    const other = connect(await server.actor('admin', { tenantId: admin.tenantId }));
    subscribe(other, selection(0));
    await subscribersReach(server.app, PER_TOKEN + 1);

    await open[0]!.dispose();
    await subscribersReach(server.app, PER_TOKEN);
    subscribe(connect(admin), selection(0));
    await subscribersReach(server.app, PER_TOKEN + 1);
  });
});

describe('fairness between tenants', () => {
  it('answers another tenant’s event and request while one tenant’s flood of subscriptions and batch writes is still being delivered', async () => {
    // Tenant A: 2 admins × 2 sockets × 3 subscriptions, each asking for a field that depends on
    // who asks (so each is read and shaped as its own viewer), and three bursts of 30 assignments.
    const flooder = await server.actor('admin');
    const tenantA = flooder.tenantId;
    const admins = [
      flooder,
      ...(await Promise.all(Array.from({ length: 1 }, () => server.actor('admin', { tenantId: tenantA })))),
    ];
    const flood = admins.flatMap((admin) =>
      Array.from({ length: PER_TOKEN }, () => connect(admin)).flatMap((client) =>
        Array.from({ length: PER_SOCKET }, (_, n) =>
          subscribe(
            client,
            `subscription { trainingAssignmentCreated { id user { trainingAssignments(first: ${n + 1}) { nodes { id } } } } }`,
          ),
        ),
      ),
    );
    const victim = await server.actor('worker');
    const victimFeed = subscribe(connect(victim), TrainingAssignmentCreatedDocument, {});
    await subscribersReach(server.app, flood.length + 1);
    const usersA = await insertWorkers(sql, tenantA, 30);
    const courseA = await insertCourse(sql, tenantA, flooder.userId);
    const courseB = await insertCourse(sql, victim.tenantId, victim.userId);

    const flooded = [
      ...(await insertAssignmentsInBulk(server.db, tenantA, courseA, usersA)),
      ...(await insertAssignmentsInBulk(server.db, tenantA, await insertCourse(sql, tenantA, flooder.userId), usersA)),
      ...(await insertAssignmentsInBulk(server.db, tenantA, await insertCourse(sql, tenantA, flooder.userId), usersA)),
    ];
    const [victimRow] = await insertAssignmentsInBulk(server.db, victim.tenantId, courseB, [victim.userId]);
    const victimId = victimRow!.id;
    const expected = flood.length * flooded.length;
    const floodReceived = () => flood.reduce((sum, feed) => sum + feed.results.length, 0);

    // The bound: tenant B's one event arrives within 30 s (generous, for a loaded machine) and, on
    // PostgreSQL, before tenant A's flood has been delivered. PGlite is one connection shared by
    // every transaction, with the clients in this process, so there it only has to arrive.
    await victimFeed.until((s) => s.results.length === 1, 30_000);
    const floodAtVictim = floodReceived();
    expect(victimFeed.data[0]?.trainingAssignmentCreated.id).toBe(victimId);
    if (onPostgres) expect(floodAtVictim).toBeLessThan(expected);
    // Tenant B's requests are answered meanwhile too, within the same bound.
    const answer = await Promise.race([
      ok(victim.request(MyTrainingAssignmentsDocument, {})),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 30 s')), 30_000)),
    ]);
    expect(answer.myTrainingAssignments.nodes.map((node) => node.id)).toEqual([victimId]);

    // And the flood itself still arrives in full, each event once.
    for (const feed of flood) await feed.until((s) => s.results.length >= flooded.length, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(floodReceived()).toBe(expected);
    for (const feed of flood) expect(feed.error).toBeUndefined();
  }, 180_000);
});
