import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { announceAssignments } from '../support/announce.js';
import { owner } from '../support/sql.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, startInstance, subscribe, subscribersReach, type LiveClient } from '../support/ws.js';

/**
 * A live payload is shaped and serialized once per row and distinct selection,
 * whatever the number of subscribers sharing it — documents that differ only in
 * operation name or spacing are one selection; aliases make another — and the
 * same bytes go to every socket. One event's response is capped in size.
 */

interface Created {
  trainingAssignmentCreated: Record<string, unknown> & { id: string };
}

const PLAIN = 'subscription { trainingAssignmentCreated { id status course { title } } }';
const RENAMED = `subscription Dashboard {
  trainingAssignmentCreated {
    id
    status
    course { title }
  }
}`;
const ALIASED = 'subscription { trainingAssignmentCreated { id s1: status s2: status course { title } } }';

let server: TestServer;
let instance: App;
let sql: ReturnType<typeof owner>;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  instance = await startInstance(server.db, { maxMessageBytes: 2_000 });
  sql = owner(server.db);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await instance.stop();
  await server.stop();
});

function follow(app: App, actor: Actor, query: string) {
  const client = liveClient(app.url, actor.token);
  clients.push(client);
  return subscribe<Created, Record<string, never>>(client, query, {});
}

async function course(admin: Actor): Promise<string> {
  const row = await sql.insert('training_courses', {
    tenant_id: admin.tenantId,
    title: 'Hot work',
    category: 'compliance',
    created_by: admin.userId,
  });
  return row.id as string;
}

async function insertAssignments(admin: Actor, userIds: string[], reason = 'Annual'): Promise<string[]> {
  const rows = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_reason)
     SELECT $1, $2, u, $4 FROM unnest($3::uuid[]) AS u RETURNING id::text, tenant_id::text, user_id::text`,
    [admin.tenantId, await course(admin), userIds, reason],
  );
  await announceAssignments(sql.query, rows);
  return rows.map((row) => row.id);
}

describe('shaping a live payload', () => {
  it('happens once per row and distinct selection, however many subscribers share it', async () => {
    const admin = await server.actor('admin');
    const workers = await Promise.all(
      Array.from({ length: 5 }, () => server.actor('worker', { tenantId: admin.tenantId })),
    );
    await sql.query(`INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, 'worker' FROM unnest($2::uuid[]) AS u`, [
      admin.tenantId,
      workers.map((worker) => worker.userId),
    ]);
    // One selection written three ways (and followed for the tenant or for one worker), and an aliased one.
    const plain = [
      follow(server.app, admin, PLAIN),
      follow(server.app, admin, PLAIN),
      follow(server.app, admin, RENAMED),
      follow(server.app, workers[0]!, PLAIN),
      follow(server.app, workers[1]!, RENAMED),
    ];
    const aliased = [follow(server.app, admin, ALIASED), follow(server.app, admin, ALIASED)];
    await subscribersReach(server.app, plain.length + aliased.length);
    const shapedBefore = server.app.services.liveEvents.stats().shaped;

    const ids = await insertAssignments(
      admin,
      workers.map((worker) => worker.userId),
    );

    const tenantWide = [...plain.slice(0, 3), ...aliased];
    for (const feed of tenantWide) await feed.until((f) => f.results.length === ids.length);
    for (const feed of plain.slice(3)) await feed.until((f) => f.results.length === 1);
    expect(server.app.services.liveEvents.stats().shaped - shapedBefore).toBe(2 * ids.length);

    const byId = (results: { data?: Created | null }[]) =>
      Object.fromEntries(results.map((result) => [result.data!.trainingAssignmentCreated.id, result]));
    const reference = byId(plain[0]!.results);
    expect(Object.keys(reference).sort()).toEqual([...ids].sort());
    for (const feed of plain.slice(1, 3)) expect(byId(feed.results)).toEqual(reference);
    expect(plain[3]!.data.map((data) => data.trainingAssignmentCreated.id)).toEqual([ids[0]]);
    expect(plain[4]!.results).toEqual([reference[ids[1]!]]);
    for (const feed of aliased) {
      for (const data of feed.data) {
        expect(data.trainingAssignmentCreated).toEqual({
          id: expect.any(String),
          s1: 'ASSIGNED',
          s2: 'ASSIGNED',
          course: { title: 'Hot work' },
        });
      }
    }
  });

  it('replaces a response over the message limit with MESSAGE_TOO_LARGE for that event, and goes on', async () => {
    const admin = await server.actor('admin');
    const [worker] = (
      await sql.query<{ id: string }>(
        `INSERT INTO profiles (id, tenant_id, role) VALUES (gen_random_uuid(), $1, 'worker') RETURNING id::text`,
        [admin.tenantId],
      )
    ).map((row) => row.id);
    const reasons = Array.from({ length: 10 }, (_, n) => `r${n}: assignmentReason`).join(' ');
    const feed = follow(instance, admin, `subscription { trainingAssignmentCreated { id ${reasons} } }`);
    await subscribersReach(instance, 1);

    await insertAssignments(admin, [worker!], 'x'.repeat(300)); // ten times 300 characters: over 2,000 bytes
    const [small] = await insertAssignments(admin, [worker!], 'short');

    await feed.until((f) => f.results.length === 2);
    expect(feed.results[0]).toEqual({
      data: null,
      errors: [
        {
          message: expect.stringMatching(
            /^This event's response is \d+ bytes, over the 2000-byte limit of one live message/,
          ),
          extensions: { code: 'MESSAGE_TOO_LARGE', limit: 2_000 },
        },
      ],
    });
    expect(feed.results[1]!.data?.trainingAssignmentCreated).toMatchObject({ id: small, r0: 'short', r9: 'short' });
    expect(feed.completed).toBe(false);
  });
});
