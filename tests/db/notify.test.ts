import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { listen, type Listener } from '../support/notifications.js';
import { owner, uuid } from '../support/sql.js';

/**
 * Live assignments: events come from PostgreSQL (LISTEN/NOTIFY after
 * commit), so a rolled-back transaction emits nothing. The writer of new
 * assignments announces them in its transaction, after the insert, with
 * `announce_assignments_created(tenant, ids, users)` (no trigger: on a
 * distributed database a trigger's NOTIFY fires on the shard, where nobody
 * listens), on channel `training_assignment_created` as
 * {"tenantId", "assignments": [[id, userId], …]}, at most 80 per payload.
 */

const CHANNEL = 'training_assignment_created';

interface Payload {
  tenantId: string;
  assignments: [id: string, userId: string][];
}

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
let listener: Listener;
const tenantA = uuid();
const tenantB = uuid();
const admin = uuid();
const workers = [uuid(), uuid(), uuid(), uuid()];
const workerB = uuid();
let course: string;

const adminA: Caller = { tenantId: tenantA, userId: admin, role: 'admin' };
const parse = (payloads: string[]): Payload[] => payloads.map((p) => JSON.parse(p) as Payload);
const allPairs = (payloads: string[]) => parse(payloads).flatMap((p) => p.assignments);

/** Announces `rows` of tenant A as the API does, in the writing transaction. */
async function announce(tx: CallerTransaction, rows: { id: string; user_id: string }[], tenantId = tenantA) {
  await tx.$executeRawUnsafe(
    'SELECT announce_assignments_created($1::uuid, $2::uuid[], $3::uuid[])',
    tenantId,
    rows.map((row) => row.id),
    rows.map((row) => row.user_id),
  );
}

/**
 * Assigns `course` to `user` and announces it (each test uses its own worker, so the one-active index never
 * interferes); `announced: false` only inserts.
 */
async function insertAssignment(tx: CallerTransaction, user: string, { announced = true } = {}) {
  const [row] = await tx.$queryRawUnsafe<{ id: string; user_id: string }[]>(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'manual') RETURNING id::text, user_id::text`,
    tenantA,
    course,
    user,
  );
  if (announced) await announce(tx, [row!]);
  return row!;
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  await sql.insert('profiles', { id: admin, tenant_id: tenantA, role: 'admin' });
  for (const id of workers) await sql.insert('profiles', { id, tenant_id: tenantA, role: 'worker' });
  await sql.insert('profiles', { id: workerB, tenant_id: tenantB, role: 'worker' });
  course = (
    await sql.insert('training_courses', {
      tenant_id: tenantA,
      title: 'Lockout/tagout',
      category: 'equipment_safety',
      created_by: admin,
    })
  ).id as string;
  listener = await listen(db, CHANNEL);
});
afterAll(async () => {
  await listener.close();
  await db.drop();
});
beforeEach(() => listener.clear());

describe('training_assignment_created notifications', () => {
  it('announces a committed assignment with its tenant, id and user', async () => {
    const created = await runAsCaller(db.prisma, adminA, (tx) => insertAssignment(tx, workers[0]!));

    const payloads = await listener.waitFor((p) => p.length >= 1);

    expect(parse(payloads)).toEqual([{ tenantId: tenantA, assignments: [[created.id, workers[0]]] }]);
  });

  it('says nothing until the transaction commits', async () => {
    let beforeCommit = -1;
    const created = await runAsCaller(db.prisma, adminA, async (tx) => {
      const row = await insertAssignment(tx, workers[1]!);
      await new Promise((resolve) => setTimeout(resolve, 200));
      beforeCommit = listener.payloads.length;
      return row;
    });

    expect(beforeCommit).toBe(0);
    const payloads = await listener.waitFor((p) => p.length >= 1);
    expect(allPairs(payloads)).toEqual([[created.id, workers[1]]]);
  });

  it('says nothing for a rolled-back insert', async () => {
    let rolledBack: { id: string } | undefined;
    await expect(
      runAsCaller(db.prisma, adminA, async (tx) => {
        rolledBack = await insertAssignment(tx, workers[2]!);
        throw new Error('abort the request');
      }),
    ).rejects.toThrow('abort the request');
    expect(rolledBack?.id).toBeDefined();
    // Notifications arrive in commit order: once this later commit is announced, anything
    // the rolled-back transaction had sent would already be here.
    const marker = await runAsCaller(db.prisma, adminA, (tx) => insertAssignment(tx, workers[2]!));

    const payloads = await listener.waitFor((p) => allPairs(p).some(([id]) => id === marker.id));

    expect(allPairs(payloads)).toEqual([[marker.id, workers[2]]]);
    expect(await sql.count('training_assignments', 'id = $1', [rolledBack!.id])).toBe(0);
  });

  it('batches a 200-row statement into payloads of at most 80 that carry every id exactly once', async () => {
    await sql.query(
      `INSERT INTO profiles (id, tenant_id, role, display_name)
       SELECT gen_random_uuid(), $1, 'worker', 'bulk-' || n FROM generate_series(1, 200) AS n`,
      [tenantA],
    );

    const inserted = await runAsCaller(db.prisma, { ...adminA, role: 'service' }, async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; user_id: string }[]>(
        `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
         SELECT tenant_id, $2::uuid, id, 'auto' FROM profiles WHERE tenant_id = $1::uuid AND display_name LIKE 'bulk-%'
         RETURNING id::text, user_id::text`,
        tenantA,
        course,
      );
      await announce(tx, rows);
      return rows;
    });
    expect(inserted).toHaveLength(200);

    const payloads = await listener.waitFor((p) => allPairs(p).length >= 200);
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more should follow
    const batches = parse(listener.payloads);

    expect(batches.map((b) => b.assignments.length).sort((a, b) => a - b)).toEqual([40, 80, 80]);
    expect(batches.every((b) => b.tenantId === tenantA)).toBe(true);
    expect(payloads.every((p) => Buffer.byteLength(p) < 8000)).toBe(true); // PostgreSQL's NOTIFY payload limit
    const announced = allPairs(listener.payloads).sort(([a], [b]) => a.localeCompare(b));
    expect(announced).toEqual(inserted.map((r) => [r.id, r.user_id]).sort(([a], [b]) => a!.localeCompare(b!)));
    expect(new Set(announced.map(([id]) => id)).size).toBe(200);
  });

  it('announces each call under its own tenant, and nothing for an insert without the call or an empty list', async () => {
    const [silent, rowB] = await runAsCaller(db.prisma, adminA, async (tx) => {
      const quiet = await insertAssignment(tx, workers[3]!, { announced: false });
      await announce(tx, []);
      return [quiet, { id: uuid(), user_id: workerB }] as const;
    });
    await runAsCaller(db.prisma, { tenantId: tenantB, userId: workerB, role: 'service' }, (tx) =>
      announce(tx, [rowB], tenantB),
    );

    const payloads = await listener.waitFor((p) => p.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more should follow

    expect(parse(listener.payloads)).toEqual([{ tenantId: tenantB, assignments: [[rowB.id, workerB]] }]);
    expect(payloads).toHaveLength(1);
    expect(await sql.count('training_assignments', 'id = $1', [silent.id])).toBe(1);
  });
});
