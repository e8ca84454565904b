import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  AssignTrainingCourseDocument,
  AutoAssignTrainingSummaryDocument,
  TrainingAssignmentCreatedDocument,
  type TrainingAssignmentCreatedSubscription,
} from '../../src/generated/operations/graphql.js';
import { announceAssignments, inTransaction } from '../support/announce.js';
import { owner, uuid } from '../support/sql.js';
import { insertAssignmentsInBulk, insertCourse, insertWorkers } from '../support/tenant-rows.js';
import { dayFromToday, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import {
  liveClient,
  startInstance,
  subscribe,
  subscribersReach,
  type LiveClient,
  type LiveSubscription,
} from '../support/ws.js';

/**
 * Live assignments through the real graphql-ws client: who receives
 * which new assignment, exactly once, and who is refused.
 */

type Feed = LiveSubscription<TrainingAssignmentCreatedSubscription>;

let server: TestServer;
let sql: ReturnType<typeof owner>;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  sql = owner(server.db);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await subscribersReach(server.app, 0);
});
afterAll(() => server.stop());

function connect(token: string | null): LiveClient {
  const client = liveClient(server.url, token);
  clients.push(client);
  return client;
}

function follow(actor: Actor, userId?: string): Feed {
  return subscribe(connect(actor.token), TrainingAssignmentCreatedDocument, userId ? { userId } : {});
}

const ids = (feed: Feed) => feed.data.map((data) => data.trainingAssignmentCreated.id);

async function assign(admin: Actor, courseId: string, userId: string): Promise<string> {
  const response = await admin.request(AssignTrainingCourseDocument, {
    input: { courseId, userId, dueDate: dayFromToday(14), assignmentReason: 'Annual refresher' },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.assignTrainingCourse.id;
}

describe('connecting', () => {
  it('closes a socket without a token with 4403 Forbidden', async () => {
    const closed = await connect(null).closed;
    expect(closed).toEqual({ code: 4403, reason: expect.stringMatching(/Authentication required/) });
  });

  it('closes a socket with a forged, malformed or expired token with 4403 Forbidden', async () => {
    const forged = await mintToken({
      secret: 'not-the-secret-'.repeat(4),
      tenantId: uuid(),
      userId: uuid(),
      role: 'admin',
    });
    expect(await connect(forged).closed).toEqual({ code: 4403, reason: 'Invalid token' });
    expect((await connect('not-a-jwt').closed).code).toBe(4403);
    const expired = await mintToken({
      secret: TEST_JWT_SECRET,
      tenantId: uuid(),
      userId: uuid(),
      role: 'admin',
      expiresIn: '-1s',
    });
    expect(await connect(expired).closed).toEqual({ code: 4403, reason: 'Token expired' });
  });

  it('closes a socket when its token expires, so a subscription never outlives its credentials', async () => {
    const token = await mintToken({
      secret: TEST_JWT_SECRET,
      tenantId: uuid(),
      userId: uuid(),
      role: 'worker',
      expiresIn: '5s',
    });
    const client = connect(token);
    let accepted = false;
    client.client.on('connected', () => (accepted = true));
    const feed = subscribe(client, TrainingAssignmentCreatedDocument, {});

    expect(await client.closed).toEqual({ code: 4403, reason: 'Token expired' });
    expect(accepted).toBe(true);
    await subscribersReach(server.app, 0);
    expect(feed.results).toEqual([]);
  });
});

describe('operations on one socket', () => {
  it('answers a malformed or invalid subscription with an error and keeps the socket for the next', async () => {
    const admin = await server.actor('admin');
    const client = connect(admin.token);

    const malformed = subscribe(client, 'subscription { trainingAssignmentCreated { id ');
    const invalid = subscribe(client, 'subscription { trainingAssignmentCreated { noSuchField } }');
    await malformed.until((f) => f.completed);
    await invalid.until((f) => f.completed);

    expect(malformed.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/Syntax Error/) })]);
    expect(invalid.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/noSuchField/) })]);
    const narrow = subscribe(client, 'subscription { trainingAssignmentCreated { id } }');
    const wide = subscribe(client, TrainingAssignmentCreatedDocument, {});
    await subscribersReach(server.app, 2);
    const [worker] = await insertWorkers(sql, admin.tenantId, 1);
    const created = await assign(admin, await insertCourse(sql, admin.tenantId, admin.userId), worker!);

    await narrow.until((f) => f.results.length === 1);
    await wide.until((f) => f.results.length === 1);
    // Each operation got the fields it asked for, though both share one socket and one caller.
    expect(narrow.results[0]).toEqual({ data: { trainingAssignmentCreated: { id: created } } });
    expect(wide.results[0]?.data?.trainingAssignmentCreated).toMatchObject({
      id: created,
      course: { title: 'Lockout/tagout' },
    });
  });

  it('serves only subscriptions, with the same depth and alias limits as HTTP', async () => {
    const client = connect((await server.actor('admin')).token);
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');

    const query = subscribe(client, '{ health }');
    const mutation = subscribe(client, 'mutation { sweepOverdueTrainingAssignments }');
    const tooManyAliases = subscribe(client, `subscription { trainingAssignmentCreated { ${aliases} } }`);
    for (const refused of [query, mutation, tooManyAliases]) await refused.until((f) => f.completed);

    expect(query.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/Only subscriptions/) })]);
    expect(mutation.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/Only subscriptions/) })]);
    expect(tooManyAliases.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/alias/i) })]);
    const allowed = subscribe(client, TrainingAssignmentCreatedDocument, {});
    await subscribersReach(server.app, 1);
    expect(allowed.completed).toBe(false);
  });
});

describe('who receives a new assignment', () => {
  it('delivers a manual assignment to its worker and the tenant’s managers only', async () => {
    const adminA = await server.actor('admin');
    const tenantA = adminA.tenantId;
    const [workerA, workerB, officerA] = await Promise.all([
      server.actor('worker', { tenantId: tenantA }),
      server.actor('worker', { tenantId: tenantA }),
      server.actor('safety_officer', { tenantId: tenantA }),
    ]);
    const adminB = await server.actor('admin');
    const feeds = {
      workerA: follow(workerA),
      workerB: follow(workerB),
      adminA: follow(adminA),
      officerForA: follow(officerA, workerA.userId),
      adminB: follow(adminB),
    };
    await subscribersReach(server.app, 5);
    const courseA = await insertCourse(sql, tenantA, adminA.userId);

    const created = await assign(adminA, courseA, workerA.userId);

    for (const feed of [feeds.workerA, feeds.adminA, feeds.officerForA]) {
      await feed.until((f) => f.results.length === 1);
      expect(feed.results).toEqual([
        {
          data: {
            trainingAssignmentCreated: expect.objectContaining({
              id: created,
              status: 'ASSIGNED',
              assignmentType: 'MANUAL',
              assignmentReason: 'Annual refresher',
              user: { id: workerA.userId },
              assignedBy: { id: adminA.userId },
              course: { id: courseA, title: 'Lockout/tagout', category: 'COMPLIANCE' },
            }),
          },
        },
      ]);
    }
    // Events reach each subscriber in commit order, so once a later marker has
    // arrived, anything meant for worker B or tenant B before it would have too.
    const markerB = await assign(adminA, courseA, workerB.userId);
    const workerOfB = (await insertWorkers(sql, adminB.tenantId, 1))[0]!;
    const markerOfTenantB = await assign(adminB, await insertCourse(sql, adminB.tenantId, adminB.userId), workerOfB);
    await feeds.workerB.until((f) => f.results.length >= 1);
    await feeds.adminB.until((f) => f.results.length >= 1);
    await feeds.adminA.until((f) => f.results.length >= 2);
    expect(ids(feeds.workerB)).toEqual([markerB]);
    expect(ids(feeds.adminB)).toEqual([markerOfTenantB]);
    expect(ids(feeds.workerA)).toEqual([created]);
    expect(ids(feeds.officerForA)).toEqual([created]);
    expect(ids(feeds.adminA)).toEqual([created, markerB]);
  });

  it('refuses a worker who asks for another user’s assignments (FORBIDDEN)', async () => {
    const worker = await server.actor('worker');
    const colleague = await server.actor('worker', { tenantId: worker.tenantId });

    const feed = follow(worker, colleague.userId);

    await feed.until((f) => f.completed);
    expect(feed.results[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(feed.data).toEqual([]);
  });

  it('refuses a subscription to another tenant’s user (NOT_FOUND: under RLS it does not exist)', async () => {
    const workerA = await server.actor('worker');
    await server.request('{ health }', {}, `Bearer ${workerA.token}`); // creates worker A's profile
    const adminB = await server.actor('admin');

    const feed = follow(adminB, workerA.userId);

    await feed.until((f) => f.completed);
    expect(feed.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses a malformed user id (BAD_USER_INPUT)', async () => {
    const feed = follow(await server.actor('admin'), 'not-a-uuid');

    await feed.until((f) => f.completed);
    expect(feed.results[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  });

  it('lets a worker name themselves explicitly', async () => {
    const admin = await server.actor('admin');
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    const feed = follow(worker, worker.userId);
    await subscribersReach(server.app, 1);

    const created = await assign(admin, await insertCourse(sql, admin.tenantId, admin.userId), worker.userId);

    await feed.until((f) => f.results.length === 1);
    expect(ids(feed)).toEqual([created]);
  });
});

describe('delivery', () => {
  it('delivers a 200-row bulk insert to every subscriber exactly once', async () => {
    const admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    const users = await insertWorkers(sql, tenantId, 200);
    const watched = await Promise.all(users.slice(0, 3).map((userId) => server.actor('worker', { tenantId, userId })));
    const tenantFeeds = [follow(admin), follow(await server.actor('safety_officer', { tenantId }))];
    const workerFeeds = watched.map((worker) => follow(worker));
    await subscribersReach(server.app, 5);
    const courseId = await insertCourse(sql, tenantId, admin.userId);

    const inserted = await insertAssignmentsInBulk(server.db, tenantId, courseId, users);
    const marker = await assign(admin, await insertCourse(sql, tenantId, admin.userId, 'Marker'), users[0]!);

    for (const feed of tenantFeeds) {
      await feed.until((f) => ids(f).includes(marker));
      expect(ids(feed).sort()).toEqual([...inserted.map((row) => row.id), marker].sort());
    }
    for (const [index, feed] of workerFeeds.entries()) {
      const mine = inserted.filter((row) => row.user_id === watched[index]!.userId).map((row) => row.id);
      await feed.until((f) => f.results.length >= mine.length + (index === 0 ? 1 : 0));
      expect(ids(feed)).toEqual(index === 0 ? [...mine, marker] : mine);
    }
  });

  it('emits nothing for a rolled-back transaction', async () => {
    const admin = await server.actor('admin');
    const [worker] = await insertWorkers(sql, admin.tenantId, 1);
    const feed = follow(admin);
    await subscribersReach(server.app, 1);
    const courseId = await insertCourse(sql, admin.tenantId, admin.userId);

    await expect(
      runAsCaller(server.db.prisma, admin, async (tx) => {
        const created = await tx.$queryRawUnsafe<{ id: string; tenant_id: string; user_id: string }[]>(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id) VALUES ($1::uuid, $2::uuid, $3::uuid)
           RETURNING id::text, tenant_id::text, user_id::text`,
          admin.tenantId,
          courseId,
          worker,
        );
        await announceAssignments(inTransaction(tx), created); // as the API does; NOTIFY waits for the commit
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const marker = await assign(admin, courseId, worker!);

    await feed.until((f) => f.results.length >= 1);
    expect(ids(feed)).toEqual([marker]);
  });

  it('delivers what autoAssignTraining creates to each worker and the admin', async () => {
    const admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    const [atRisk, safe] = await Promise.all([
      server.actor('worker', { tenantId }),
      server.actor('worker', { tenantId }),
    ]);
    const feeds = { admin: follow(admin), atRisk: follow(atRisk), safe: follow(safe) };
    await subscribersReach(server.app, 3);
    await sql.insert('training_courses', {
      tenant_id: tenantId,
      title: 'Fatigue management',
      category: 'risk_management',
      created_by: admin.userId,
      auto_assign_enabled: true,
      entity_type: 'worker',
      risk_threshold: 70,
    });
    await sql.insert('predictive_scores', {
      tenant_id: tenantId,
      entity_type: 'worker',
      entity_id: atRisk.userId,
      score: 85,
    });
    await sql.insert('predictive_scores', {
      tenant_id: tenantId,
      entity_type: 'worker',
      entity_id: safe.userId,
      score: 20,
    });

    const run = await admin.request(AutoAssignTrainingSummaryDocument, {});
    expect(run.data?.autoAssignTraining.assignmentsCreated).toBe(1);

    await feeds.atRisk.until((f) => f.results.length === 1);
    await feeds.admin.until((f) => f.results.length === 1);
    const [event] = feeds.atRisk.data;
    expect(event?.trainingAssignmentCreated).toMatchObject({
      assignmentType: 'RISK_BASED',
      user: { id: atRisk.userId },
      trigger: { entityType: 'WORKER', entityId: atRisk.userId, score: 85, threshold: 70 },
    });
    expect(ids(feeds.admin)).toEqual(ids(feeds.atRisk));
    const marker = await assign(admin, await insertCourse(sql, tenantId, admin.userId), safe.userId);
    await feeds.safe.until((f) => f.results.length >= 1);
    expect(ids(feeds.safe)).toEqual([marker]);
  });

  it('releases the subscription of a client that unsubscribes or vanishes', async () => {
    const admin = await server.actor('admin');
    const leaving = follow(admin);
    const vanishing = connect(admin.token);
    subscribe(vanishing, TrainingAssignmentCreatedDocument, {});
    await subscribersReach(server.app, 2);

    leaving.unsubscribe();
    await subscribersReach(server.app, 1);
    vanishing.socket().terminate(); // no close handshake: the TCP connection just drops
    await subscribersReach(server.app, 0);
  });
});

describe('shutdown', () => {
  it('closes every websocket with 1001 Going Away and ends its subscriptions', async () => {
    const instance = await startInstance(server.db);
    const admin = await server.actor('admin');
    const clientsOfInstance = [liveClient(instance.url, admin.token), liveClient(instance.url, admin.token)];
    for (const client of clientsOfInstance) subscribe(client, TrainingAssignmentCreatedDocument, {});
    await eventually(() => instance.services.liveEvents.stats().subscribers === 2);

    await instance.stop();

    for (const client of clientsOfInstance) {
      expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
      await client.dispose();
    }
    expect(instance.services.liveEvents.stats()).toMatchObject({ subscribers: 0, listening: false });
  });
});
