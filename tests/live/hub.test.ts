import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignmentCreated } from '../../src/assignments/live-channel.js';
import { createErrorFormatter } from '../../src/core/error-masking.js';
import { createLogger } from '../../src/core/logger.js';
import {
  startLiveEventHub,
  type Delivery,
  type FeedFilter,
  type LiveEventHub,
  type LiveFeed,
} from '../../src/core/live-events/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { announceAssignments } from '../support/announce.js';
import { owner, uuid } from '../support/sql.js';
import { insertWorkers } from '../support/tenant-rows.js';
import { eventually } from '../support/wait.js';

/**
 * The notification hub on its own, against a real database: one LISTEN session
 * fanned out by tenant and user, bounded per-subscriber queues, and a stalled
 * subscriber that is dropped without holding anyone else up.
 */

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
let hub: LiveEventHub;
const tenantA = uuid();
const tenantB = uuid();
const creator = uuid();
const [u1, u2, u3] = [uuid(), uuid(), uuid()];
const v1 = uuid();
let courseA: string;
let courseB: string;

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  const logger = createLogger('silent');
  hub = await startLiveEventHub(db, logger, {
    channels: [assignmentCreated],
    formatError: createErrorFormatter(logger),
    maxQueuedIds: 170,
    maxBatchIds: 150,
  });
  for (const id of [u1, u2, u3]) await sql.insert('profiles', { id, tenant_id: tenantA, role: 'worker' });
  await sql.insert('profiles', { id: v1, tenant_id: tenantB, role: 'worker' });
  courseA = (
    await sql.insert('training_courses', { tenant_id: tenantA, title: 'A', category: 'other', created_by: creator })
  ).id as string;
  courseB = (
    await sql.insert('training_courses', { tenant_id: tenantB, title: 'B', category: 'other', created_by: creator })
  ).id as string;
});
afterAll(async () => {
  await hub.close();
  await db.drop();
});

/** One INSERT statement, announced as the API does (one call); returns the new ids in order. */
async function insert(tenantId: string, courseId: string, users: string[]): Promise<string[]> {
  const rows = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id)
     SELECT $1, $2, u FROM unnest($3::uuid[]) WITH ORDINALITY AS t(u, n) ORDER BY n
     RETURNING id::text, tenant_id::text, user_id::text`,
    [tenantId, courseId, users],
  );
  await announceAssignments(sql.query, rows);
  return rows.map((row) => row.id);
}

/** The hub's contract with a domain, at its simplest: each announced id is its own payload, `{"data":{"id"}}`. */
const echo: Delivery = async (_tenantId, batch, shaping) => {
  await new Promise((resolve) => setImmediate(resolve)); // a real delivery waits on the database
  for (const { feed, keys } of batch) feed.push(keys.map((id) => shaping.preshape({ data: { id } })));
};
const follow = (filter: FeedFilter) => hub.subscribe(assignmentCreated, filter, undefined, echo);
const idOf = (payload: { payload: Buffer } | undefined) =>
  (JSON.parse(String(payload!.payload)) as { data: { id: string } }).data.id;

/** Pulls from `feed` in the background, recording every id. */
function drain(feed: LiveFeed) {
  const received: string[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const payload of feed) received.push(idOf(payload));
    } catch (error) {
      failure = error;
    }
  })();
  return { received, done, failure: () => failure };
}

/** Ends the active assignments of `tenantId` so the same users can be assigned again. */
const reset = (tenantId: string) =>
  sql.query(`UPDATE training_assignments SET status = 'cancelled' WHERE tenant_id = $1`, [tenantId]);

describe('notification hub', () => {
  it('routes each id to its tenant’s subscribers and to its user’s, and to no one else', async () => {
    const feeds = {
      tenantA: drain(follow({ tenantId: tenantA, userId: null })),
      u1: drain(follow({ tenantId: tenantA, userId: u1 })),
      u2: drain(follow({ tenantId: tenantA, userId: u2 })),
      tenantB: drain(follow({ tenantId: tenantB, userId: null })),
      strangerWithU1sId: drain(follow({ tenantId: tenantB, userId: u1 })),
    };
    expect(hub.stats().subscribers).toBe(5);

    const [a1, a2] = await insert(tenantA, courseA, [u1, u2]);
    const [b1] = await insert(tenantB, courseB, [v1]);

    await eventually(() => feeds.tenantA.received.length === 2 && feeds.tenantB.received.length === 1);
    await eventually(() => feeds.u1.received.length === 1 && feeds.u2.received.length === 1);
    expect(feeds.tenantA.received.sort()).toEqual([a1, a2].sort()); // a payload's ids are in id order
    expect(feeds.u1.received).toEqual([a1]);
    expect(feeds.u2.received).toEqual([a2]);
    expect(feeds.tenantB.received).toEqual([b1]);
    // Dispatched in the same tick as tenant B's event: a leak of u1's rows would be here by now.
    expect(feeds.strangerWithU1sId.received).toEqual([]);
    for (const feed of Object.values(feeds)) expect(feed.failure()).toBeUndefined();
  });

  it('keeps a lagging subscriber’s events queued in order, and return() frees a pending read at once', async () => {
    await reset(tenantA);
    const before = hub.stats().subscribers;
    const lagging = follow({ tenantId: tenantA, userId: null });
    const watcher = drain(follow({ tenantId: tenantA, userId: null }));

    const first = await insert(tenantA, courseA, [u1]);
    const second = await insert(tenantA, courseA, [u2]);
    const third = await insert(tenantA, courseA, [u3]);
    await eventually(() => watcher.received.length === 3);

    for (const id of [...first, ...second, ...third]) {
      const next = await lagging.next();
      expect(next.done).toBe(false);
      expect(idOf(next.value)).toBe(id);
    }
    const pending = lagging.next();
    await lagging.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(hub.stats().subscribers).toBe(before + 1); // the watcher is still there, the lagging one is gone
  });

  it('drops a subscriber that falls too far behind without holding up the others', async () => {
    await reset(tenantA);
    const users = await insertWorkers(sql, tenantA, 200);
    const droppedBefore = hub.stats().dropped;
    const stalled = follow({ tenantId: tenantA, userId: null }); // never read
    const healthy = drain(follow({ tenantId: tenantA, userId: null }));

    // 3 notifications (80, 80 and 40) at once, delivered at most 150 ids per batch: a reader
    // never has more than 150 ≤ 170 waiting; the stalled one reaches 200 and is dropped.
    const inserted = await insert(tenantA, courseA, users);

    await eventually(
      () => healthy.received.length === 200,
      10_000,
      () => `healthy: ${healthy.received.length} ${String(healthy.failure())}, ${JSON.stringify(hub.stats())}`,
    );
    expect(healthy.received.sort()).toEqual([...inserted].sort());
    expect(hub.stats().dropped).toBe(droppedBefore + 1);
    await expect(stalled.next()).rejects.toMatchObject({
      message: expect.stringMatching(/^SUBSCRIPTION_DROPPED: fell more than 170 events behind/),
      extensions: { code: 'SUBSCRIPTION_DROPPED' },
    });
    expect(await stalled.next()).toEqual({ value: undefined, done: true });
  });

  it('ignores a malformed notification and keeps delivering', async () => {
    await reset(tenantA);
    const feed = drain(follow({ tenantId: tenantA, userId: u1 }));
    await sql.query(`SELECT pg_notify($1, 'not json'), pg_notify($1, '{"tenantId": 1}')`, [assignmentCreated.name]);

    const [id] = await insert(tenantA, courseA, [u1]);

    await eventually(() => feed.received.length === 1);
    expect(feed.received).toEqual([id]);
  });
});
