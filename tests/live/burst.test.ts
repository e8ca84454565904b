import { Kind, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TrainingAssignmentCreatedDocument,
  type TrainingAssignmentCreatedSubscription,
} from '../../src/generated/operations/graphql.js';
import { announceAssignments } from '../support/announce.js';
import { owner, uuid } from '../support/sql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { liveClient, subscribe, subscribersReach, type LiveClient, type LiveSubscription } from '../support/ws.js';

/**
 * A burst — one statement assigning a course to every connected worker, what a
 * bulk auto-assignment does — is delivered with a constant number of SQL
 * statements, however many subscribers it concerns: one visibility statement
 * and one read per selection for a whole batch of subscribers, never a read per
 * subscriber, which thousands of listeners would turn into thousands of
 * statements. Every statement the API sends is logged, so a per-subscriber read
 * shows up as a count that grows with the burst.
 */

let server: TestServer;
let sql: ReturnType<typeof owner>;
const statements: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (text) => statements.push(text) });
  sql = owner(server.db);
});
afterAll(() => server.stop());

type Feed = LiveSubscription<TrainingAssignmentCreatedSubscription>;

interface Burst {
  /** Statements sent from the insert's commit until every subscriber had its event. */
  statements: number;
  /** Whether the rows were read by one statement writing their responses (core/plain-pages: a plain selection). */
  plainRead: boolean;
  /** Per worker: the ids inserted for them, and the ids their feed received. */
  workers: { inserted: string[]; received: string[] }[];
}

/**
 * `count` workers of a fresh tenant each follow their own assignments; one INSERT assigns a course to all, and one
 * call announces them, as the API does.
 */
async function burst(count: number): Promise<Burst> {
  const tenantId = uuid();
  const userIds = Array.from({ length: count }, () => uuid());
  await sql.query(`INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, 'worker' FROM unnest($2::uuid[]) AS u`, [
    tenantId,
    userIds,
  ]);
  const [course] = await sql.query<{ id: string }>(
    `INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, 'Confined spaces', 'compliance', $2)
     RETURNING id::text`,
    [tenantId, userIds[0]],
  );
  const clients: LiveClient[] = [];
  try {
    const feeds: Feed[] = [];
    for (const userId of userIds) {
      const worker = await server.actor('worker', { tenantId, userId });
      const client = liveClient(server.url, worker.token);
      clients.push(client);
      feeds.push(subscribe(client, TrainingAssignmentCreatedDocument, {}));
    }
    await subscribersReach(server.app, count);

    statements.length = 0;
    const inserted = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
       SELECT $1::uuid, $2::uuid, u, 'auto' FROM unnest($3::uuid[]) AS u
       RETURNING id::text, tenant_id::text, user_id::text`,
      [tenantId, course!.id, userIds],
    );
    await announceAssignments(sql.query, inserted);
    await Promise.all(feeds.map((feed) => feed.until((f) => f.results.length >= 1)));
    // Late duplicates or strays would arrive by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const delivered = statements.filter(
      (text) => !/^\s*(INSERT INTO training_assignments|SELECT announce_assignments_created)/i.test(text),
    ).length;
    return {
      statements: delivered,
      plainRead: statements.some((text) => text.includes(' AS data FROM training_assignments p WHERE')),
      workers: userIds.map((userId, index) => ({
        inserted: inserted.filter((row) => row.user_id === userId).map((row) => row.id),
        received: feeds[index]!.data.map((data) => data.trainingAssignmentCreated.id),
      })),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await subscribersReach(server.app, 0);
  }
}

/** The fragments of the subscription document, for a read of the same selection over HTTP. */
const assignmentFragments = TrainingAssignmentCreatedDocument.definitions
  .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
  .map((definition) => print(definition))
  .join('\n');

describe('a live assignment', () => {
  it('arrives exactly as a read of the same assignment returns it: course, trigger and latest completion', async () => {
    const tenantId = uuid();
    const userId = uuid();
    await sql.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $2, 'worker')`, [userId, tenantId]);
    const [course] = await sql.query<{ id: string }>(
      `INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, 'Working at height', 'equipment_safety', $2)
       RETURNING id::text`,
      [tenantId, userId],
    );
    const worker = await server.actor('worker', { tenantId, userId });
    const client = liveClient(server.url, worker.token);
    try {
      const feed: Feed = subscribe(client, TrainingAssignmentCreatedDocument, {});
      await subscribersReach(server.app, 1);

      // Risk-based, completed twice (a fail, then a pass that expires), instants with microseconds:
      // everything the live read shapes in SQL and a read through Prisma must render alike.
      const [assignment] = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
        `WITH assignment AS (
           INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, status, due_date,
             assigned_at, started_at, completed_at, assignment_reason, trigger_entity_type, trigger_entity_id,
             trigger_score, trigger_threshold)
           VALUES ($1, $2, $3, 'risk_based', 'completed', '2026-12-24', '2026-11-30 08:00:00.123456+00',
             '2026-11-30 09:30:00.5+00', '2026-11-30 10:15:30.987654+00', 'Zone risk 87.25 ≥ 70', 'zone',
             gen_random_uuid(), 87.25, 70)
           RETURNING id, tenant_id, course_id, user_id)
         , completions AS (
           INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed,
             completion_time_minutes, completed_at, expires_at)
           SELECT tenant_id, id, course_id, user_id, s.score, s.passed, 45, s.completed_at::timestamptz, s.expires_at::date
           FROM assignment, (VALUES (40.5, false, '2026-11-30 09:45:00.000001+00', NULL),
                                    (92.75, true, '2026-11-30 10:15:30.987654+00', '2027-11-30')) AS s(score, passed, completed_at, expires_at)
           RETURNING 1)
         SELECT id::text, tenant_id::text, user_id::text FROM assignment, (SELECT count(*) FROM completions) AS written`,
        [tenantId, course!.id, userId],
      );
      await announceAssignments(sql.query, [assignment!]);
      await feed.until((f) => f.results.length >= 1);
      const read = await worker.request<{ _entities: unknown[] }, Record<string, unknown>>(
        `query ($representations: [_Any!]!) {
           _entities(representations: $representations) { ... on Assignment { ...AssignmentFields } }
         }
         ${assignmentFragments}`,
        { representations: [{ __typename: 'Assignment', id: assignment!.id }] },
      );

      expect(read.errors).toBeUndefined();
      expect(feed.results).toHaveLength(1);
      expect(feed.results[0]!.errors).toBeUndefined();
      const live = feed.data[0]!.trainingAssignmentCreated;
      expect(live.completion).toMatchObject({ score: 92.75, passed: true, expiresAt: '2027-11-30' });
      expect(live.trigger).toMatchObject({ entityType: 'ZONE', score: 87.25, threshold: 70 });
      // Byte for byte, key order included.
      expect(JSON.stringify(live)).toBe(JSON.stringify(read.data!._entities[0]));
    } finally {
      await client.dispose();
      await subscribersReach(server.app, 0);
    }
  });
});

describe('a burst of new assignments', () => {
  it('reaches 3 or 60 subscribed workers, each exactly its own, in the same number of statements', async () => {
    const small = await burst(3);
    const large = await burst(60);

    for (const { workers } of [small, large]) {
      for (const worker of workers) {
        expect(worker.inserted).toHaveLength(1);
        expect(worker.received).toEqual(worker.inserted);
      }
    }
    expect(large.statements).toBe(small.statements);
    expect(large.plainRead).toBe(true);
    // A transaction (BEGIN, the RLS settings, COMMIT), the visibility statement and the read
    // of the rows with their course and latest completion — for the whole burst.
    expect(large.statements).toBeLessThanOrEqual(12);
  });
});
