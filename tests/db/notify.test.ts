import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { listen, type Listener } from '../support/notifications.js';
import { owner, uuid } from '../support/sql.js';

/**
 * Live assignments: events come from PostgreSQL (LISTEN/NOTIFY after
 * commit), so a rolled-back transaction emits nothing. The AFTER INSERT
 * statement trigger on training_assignments announces new rows on channel
 * `training_assignment_created` as {"tenantId", "assignments": [[id, userId], …]},
 * at most 80 per payload.
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
let courseB: string;

const adminA: Caller = { tenantId: tenantA, userId: admin, role: 'admin' };
const parse = (payloads: string[]): Payload[] => payloads.map((p) => JSON.parse(p) as Payload);
const allPairs = (payloads: string[]) => parse(payloads).flatMap((p) => p.assignments);

/** Assigns `course` to `user` (each test uses its own worker, so the one-active index never interferes). */
function insertAssignment(tx: CallerTransaction, user: string) {
  return tx
    .$queryRawUnsafe<{ id: string; user_id: string }[]>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
       VALUES ($1::uuid, $2::uuid, $3::uuid, 'manual') RETURNING id::text, user_id::text`,
      tenantA,
      course,
      user,
    )
    .then((rows) => rows[0]!);
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
  courseB = (
    await sql.insert('training_courses', {
      tenant_id: tenantB,
      title: 'Lockout/tagout',
      category: 'equipment_safety',
      created_by: workerB,
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

    const inserted = await runAsCaller(db.prisma, { ...adminA, role: 'service' }, (tx) =>
      tx.$queryRawUnsafe<{ id: string; user_id: string }[]>(
        `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
         SELECT tenant_id, $2::uuid, id, 'auto' FROM profiles WHERE tenant_id = $1::uuid AND display_name LIKE 'bulk-%'
         RETURNING id::text, user_id::text`,
        tenantA,
        course,
      ),
    );
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

  it('keeps tenants apart when one statement inserts for several tenants', async () => {
    const rows = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, status)
       VALUES ($1, $2, $3, 'assigned'), ($4, $5, $6, 'assigned')
       RETURNING id::text, tenant_id::text, user_id::text`,
      [tenantA, course, workers[3], tenantB, courseB, workerB],
    );

    const payloads = await listener.waitFor((p) => p.length >= 2);

    const byTenant = Object.fromEntries(parse(payloads).map((p) => [p.tenantId, p.assignments]));
    expect(byTenant).toEqual(Object.fromEntries(rows.map((r) => [r.tenant_id, [[r.id, r.user_id]]])));
  });
});
