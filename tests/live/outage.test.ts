import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import {
  AssignTrainingCourseDocument,
  QualificationChangedDocument,
  TrainingAssignmentCreatedDocument,
  type TrainingAssignmentCreatedSubscription,
} from '../../src/generated/operations/graphql.js';
import { announceAssignments, announceQualifications } from '../support/announce.js';
import { onPostgres } from '../support/database.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { uuid } from '../support/sql.js';
import { eventually, sleep } from '../support/wait.js';
import {
  liveClient,
  startInstance,
  subscribe,
  subscribersReach,
  type LiveClient,
  type LiveSubscription,
} from '../support/ws.js';

/**
 * Live events survive the database dropping the API's connections over and
 * over (a failover, a pooler restart, an operator's pg_terminate_backend): while
 * writers keep assigning through the API, every backend of the API — pooled
 * connections and the LISTEN session alike — is killed 15 to 25 times, 100–200 ms
 * apart, until deliveries in flight were hit too. Afterwards each subscriber has
 * received every committed assignment it may see exactly once, including those
 * acknowledged after recovery, and a `qualificationChanged` subscriber (which
 * re-reads after every reconnect of the session) is still there for a change made
 * after recovery; none got an error. PostgreSQL only: PGlite runs in-process,
 * without connections to kill.
 */

type Feed = LiveSubscription<TrainingAssignmentCreatedSubscription>;

/** Kills at least this many times, and up to MAX_KILLS until a delivery was caught mid-way by one. */
const KILLS = 15;
const MAX_KILLS = 25;
const WORKERS = 3;
const WRITERS = 4;
/** Read and shaped as its viewer, row by row: deliveries hold connections long enough to be hit. */
const VIEWER_DEPENDENT = `subscription { trainingAssignmentCreated { id user { trainingAssignments(first: 3) { nodes { id } } } } }`;
const KILL_EVERY_API_BACKEND = `SELECT count(pg_terminate_backend(pid))::int AS killed FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid()`;

describe.runIf(onPostgres)('live delivery through repeated connection kills (PostgreSQL)', () => {
  let server: TestServer;
  let instance: App;
  let killer: pg.Client;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    instance = await startInstance(server.db, { heartbeatMs: 1_000, reconnectMinMs: 50, reconnectMaxMs: 500 });
    killer = new pg.Client({ connectionString: server.db.url });
    await killer.connect();
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await killer?.end();
    await instance?.stop();
    await server?.stop();
  });

  function follow(actor: Actor, query: string = print(TrainingAssignmentCreatedDocument)): Feed {
    const client = liveClient(instance.url, actor.token);
    clients.push(client);
    return subscribe(client, query, {});
  }

  /** One assignment through the API; its id once acknowledged, undefined when the request failed. */
  async function assign(admin: Actor, courseId: string, userId: string): Promise<string | undefined> {
    try {
      const response = await fetch(instance.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
        body: JSON.stringify({
          query: print(AssignTrainingCourseDocument),
          variables: { input: { courseId, userId, dueDate: dayFromToday(7) } },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as { data?: { assignTrainingCourse: { id: string } } | null };
      return body.data?.assignTrainingCourse.id;
    } catch {
      return undefined;
    }
  }

  it('delivers every committed assignment exactly once to the tenant’s and each worker’s subscribers, and keeps qualificationChanged', async () => {
    const admin = await server.actor('admin');
    const tenantId = admin.tenantId;
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => server.actor('worker', { tenantId })));
    await killer.query(
      `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, 'worker' FROM unnest($2::uuid[]) AS u`,
      [tenantId, workers.map((worker) => worker.userId)],
    );
    const courses = (
      await killer.query<{ id: string }>(
        `INSERT INTO training_courses (tenant_id, title, category, created_by)
         SELECT $1, 'Course ' || n, 'compliance', $2 FROM generate_series(1, 2000) AS n RETURNING id::text`,
        [tenantId, admin.userId],
      )
    ).rows.map((row) => row.id);
    // The workers operate a piece of equipment that requires a course none of them holds.
    const equipmentId = uuid();
    await killer.query(
      `INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) SELECT $1, $2, u FROM unnest($3::uuid[]) AS u`,
      [tenantId, equipmentId, workers.map((worker) => worker.userId)],
    );
    const crane = (
      await killer.query<{ id: string }>(
        `INSERT INTO training_courses (tenant_id, title, category, created_by, entity_type, required)
         VALUES ($1, 'Crane licence', 'compliance', $2, 'equipment', true) RETURNING id::text`,
        [tenantId, admin.userId],
      )
    ).rows[0]!.id;

    const tenantFeed = follow(admin);
    const viewerFeed = follow(admin, VIEWER_DEPENDENT);
    const workerFeeds = workers.map((worker) => follow(worker));
    const followersBefore = instance.services.liveEvents.stats().followers;
    const qualificationClient = liveClient(instance.url, admin.token);
    clients.push(qualificationClient);
    const qualifications = subscribe(qualificationClient, QualificationChangedDocument, { equipmentId });
    await subscribersReach(instance, 2 + WORKERS);
    await eventually(() => instance.services.liveEvents.stats().followers === followersBefore + 1);

    // Writers assign one course after the other, moving on after a failed request (whose
    // assignment may or may not have committed: the database decides, below).
    const acknowledged: { id: string; at: number }[] = [];
    let writing = true;
    let next = 0;
    const writers = Array.from({ length: WRITERS }, async () => {
      while (writing && next < courses.length) {
        const index = next++;
        const id = await assign(admin, courses[index]!, workers[index % WORKERS]!.userId);
        if (id) acknowledged.push({ id, at: Date.now() });
        else await sleep(20);
      }
    });
    await eventually(() => acknowledged.length >= 20, 20_000);

    const stats = () => instance.services.liveEvents.stats();
    let killed = 0;
    for (let kill = 0; kill < MAX_KILLS && (kill < KILLS || stats().retried === 0); kill++) {
      killed += (await killer.query<{ killed: number }>(KILL_EVERY_API_BACKEND)).rows[0]!.killed;
      await sleep(100 + Math.random() * 100);
    }
    const killsEndedAt = Date.now();
    expect(killed).toBeGreaterThan(KILLS); // pooled connections and LISTEN sessions went, again and again
    expect(stats().retried, 'deliveries caught by a kill and retried').toBeGreaterThan(0);

    // After recovery the writer goes on until 20 more assignments are acknowledged.
    await eventually(() => acknowledged.filter(({ at }) => at > killsEndedAt).length >= 20, 30_000);
    writing = false;
    await Promise.all(writers);
    // Worker 0 now holds the crane licence: their qualification changes (the completion is assigned too),
    // announced in the writing transaction as the API does.
    await killer.query('BEGIN');
    const { rows: crew } = await killer.query<{ id: string; tenant_id: string; user_id: string }>(
      `WITH assigned AS (
         INSERT INTO training_assignments (tenant_id, course_id, user_id, status, completed_at)
         VALUES ($1, $2, $3, 'completed', now()) RETURNING id, tenant_id, user_id),
       completed AS (
         INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, score)
         SELECT $1, id, $2, $3, true, 90 FROM assigned)
       SELECT id::text, tenant_id::text, user_id::text FROM assigned`,
      [tenantId, crane, workers[0]!.userId],
    );
    const query = (text: string, params: unknown[]) => killer.query(text, params);
    await announceAssignments(query, crew);
    await announceQualifications(query, tenantId, [workers[0]!.userId]);
    await killer.query('COMMIT');

    const committed = (
      await killer.query<{ id: string; user_id: string }>(
        `SELECT id::text, user_id::text FROM training_assignments WHERE tenant_id = $1`,
        [tenantId],
      )
    ).rows;
    const ids = (feed: Feed) => feed.data.map((data) => data.trainingAssignmentCreated.id);
    const expected = committed.map((row) => row.id).sort();
    expect(expected).toEqual(expect.arrayContaining(acknowledged.map(({ id }) => id)));
    for (const feed of [tenantFeed, viewerFeed]) await feed.until((f) => f.results.length >= expected.length, 30_000);
    for (const [index, worker] of workers.entries()) {
      const theirs = committed.filter((row) => row.user_id === worker.userId).length;
      await workerFeeds[index]!.until((feed) => feed.results.length >= theirs, 30_000);
    }
    await sleep(500); // duplicates would arrive by now

    for (const feed of [tenantFeed, viewerFeed]) {
      expect(feed.results.every((result) => !result.errors)).toBe(true);
      expect([...ids(feed)].sort()).toEqual(expected);
    }
    for (const [index, worker] of workers.entries()) {
      const feed = workerFeeds[index]!;
      expect(feed.results.every((result) => !result.errors)).toBe(true);
      const theirs = committed.filter((row) => row.user_id === worker.userId).map((row) => row.id);
      expect([...ids(feed)].sort()).toEqual(theirs.sort());
    }
    for (const feed of [tenantFeed, viewerFeed, ...workerFeeds]) expect(feed.completed).toBe(false);
    await qualifications.until((feed) => feed.results.length >= 1, 30_000);
    expect(qualifications.completed).toBe(false);
    expect(qualifications.results).toEqual([
      {
        data: {
          qualificationChanged: expect.objectContaining({
            user: expect.objectContaining({ id: workers[0]!.userId }),
            qualified: true,
          }),
        },
      },
    ]);
    expect(stats()).toMatchObject({ subscribers: 2 + WORKERS, dropped: 0, listening: true });
  }, 180_000);
});
