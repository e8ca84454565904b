import fc from 'fast-check';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/core/migrate.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { asCaller, owner } from '../support/sql.js';
import { onCitus, setupTimeout } from '../support/citus.js';
import { DIFFERENCES, RECOUNT, makeWorld as newWorld, type World } from './training-holdings-world.js';

/**
 * training_holdings (migration 20261217100000_training_holdings), which the qualifications read instead of the
 * completions, stays equal to a recount from the rows: after the migration's backfill of a database with rows,
 * after random sequences of the writes that change what a user holds (passed and failed completions, expiries
 * moved past today and back, retractions, certificates issued, revoked and deleted, completions, users and courses
 * deleted, a completion moved to another user, TRUNCATE), and under concurrent writers of the same users on
 * PostgreSQL. Plus who may read and write it.
 */

const OURS = '20261217100000_training_holdings';

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
const differences = () => sql.query(DIFFERENCES);
const makeWorld = () => newWorld(sql);

type Op =
  | { kind: 'complete'; user: number; course: number; passed: boolean; expires: number | null; certificate: boolean }
  | { kind: 'moveExpiry'; n: number; expires: number | null }
  | { kind: 'flipPassed'; n: number }
  | { kind: 'revoke'; n: number }
  | { kind: 'certify'; n: number }
  | { kind: 'deleteCertificate'; n: number }
  | { kind: 'deleteCompletion'; n: number }
  | { kind: 'moveToUser'; n: number; user: number }
  | { kind: 'deleteUser'; user: number }
  | { kind: 'deleteCourse'; course: number }
  | { kind: 'rolledBack'; user: number; course: number };

const n = fc.nat(1000);
/** Days from today around the change of day; null: never expires. */
const expires = fc.option(fc.integer({ min: -2, max: 2 }), { nil: null });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      user: n,
      course: n,
      passed: fc.boolean(),
      expires,
      certificate: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('moveExpiry' as const), n, expires }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flipPassed' as const), n }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('revoke' as const), n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('certify' as const), n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteCertificate' as const), n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteCompletion' as const), n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('moveToUser' as const), n, user: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), user: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteCourse' as const), course: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rolledBack' as const), user: n, course: n }) },
);

/** The n-th (mod count) row of the tenant's completions or certificates, in id order. */
async function pick(table: 'training_completions' | 'certificates', world: World, i: number) {
  const rows = await sql.query<{ id: string }>(`SELECT id::text FROM ${table} WHERE tenant_id = $1 ORDER BY id`, [
    world.tenant,
  ]);
  return rows.length ? rows[i % rows.length]!.id : undefined;
}

const COMPLETE = `
  WITH a AS (
    INSERT INTO training_assignments (tenant_id, course_id, user_id, status, completed_at)
    VALUES ($1::uuid, $2::uuid, $3::uuid, 'completed', now()) RETURNING id
  ), c AS (
    INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, expires_at)
    SELECT $1::uuid, a.id, $2::uuid, $3::uuid, $4, training_today() + $5::int FROM a RETURNING id
  )
  INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code)
  SELECT $1::uuid, c.id, $3::uuid, $2::uuid, replace(gen_random_uuid()::text, '-', '') FROM c WHERE $6`;

/** One write, as the owner (the triggers run as their own role whoever writes), or a revocation as an admin. */
async function run(world: World, op: Op): Promise<void> {
  const user = (i: number) => world.users[i % world.users.length]!;
  const course = (i: number) => world.courses[i % world.courses.length]!;
  switch (op.kind) {
    case 'complete': {
      const present = await sql.count('profiles', 'tenant_id = $1 AND id = $2', [world.tenant, user(op.user)]);
      const courses = await sql.count('training_courses', 'tenant_id = $1 AND id = $2', [
        world.tenant,
        course(op.course),
      ]);
      if (!present || !courses) return;
      await sql.query(COMPLETE, [
        world.tenant,
        course(op.course),
        user(op.user),
        op.passed,
        op.expires,
        op.certificate,
      ]);
      return;
    }
    case 'moveExpiry': {
      const id = await pick('training_completions', world, op.n);
      if (id)
        await sql.query(`UPDATE training_completions SET expires_at = training_today() + $2::int WHERE id = $1`, [
          id,
          op.expires,
        ]);
      return;
    }
    case 'flipPassed': {
      // A retraction (passed → failed) or an admin's correction back; a second passed one per assignment is refused.
      const id = await pick('training_completions', world, op.n);
      if (id) await sql.query(`UPDATE training_completions SET passed = NOT passed WHERE id = $1`, [id]);
      return;
    }
    case 'revoke': {
      const id = await pick('certificates', world, op.n);
      if (!id) return;
      await asCaller(
        db,
        { tenantId: world.tenant, userId: world.admin, role: 'admin' },
        `UPDATE certificates SET revoked_at = now(), revoked_by = $3::uuid, revoke_reason = 'issued in error'
         WHERE tenant_id = $2::uuid AND id = $1::uuid AND revoked_at IS NULL`,
        id,
        world.tenant,
        world.admin,
      );
      return;
    }
    case 'certify': {
      const id = await pick('training_completions', world, op.n);
      if (id)
        await sql.query(
          `INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code)
           SELECT tenant_id, id, user_id, course_id, replace(gen_random_uuid()::text, '-', '') FROM training_completions
           WHERE id = $1 ON CONFLICT DO NOTHING`,
          [id],
        );
      return;
    }
    case 'deleteCertificate': {
      // A revoked certificate deleted: its completion counts again.
      const id = await pick('certificates', world, op.n);
      if (id) await sql.query(`DELETE FROM certificates WHERE id = $1`, [id]);
      return;
    }
    case 'deleteCompletion': {
      const id = await pick('training_completions', world, op.n);
      if (id) await sql.query(`DELETE FROM training_completions WHERE id = $1`, [id]);
      return;
    }
    case 'moveToUser': {
      const id = await pick('training_completions', world, op.n);
      const present = await sql.count('profiles', 'tenant_id = $1 AND id = $2', [world.tenant, user(op.user)]);
      if (id && present)
        await sql.query(`UPDATE training_completions SET user_id = $2 WHERE id = $1`, [id, user(op.user)]);
      return;
    }
    case 'deleteUser':
      // The user's erasure: their assignments, completions and certificates go with them (cascades).
      await sql.query(`DELETE FROM profiles WHERE tenant_id = $1 AND id = $2`, [world.tenant, user(op.user)]);
      return;
    case 'deleteCourse':
      await sql.query(`DELETE FROM training_courses WHERE tenant_id = $1 AND id = $2`, [
        world.tenant,
        course(op.course),
      ]);
      return;
    case 'rolledBack':
      await db.withConnection(async (c) => {
        await c.query('BEGIN');
        try {
          await c.query(COMPLETE, [world.tenant, course(op.course), user(op.user), true, null, false]);
        } catch {
          // a user or course deleted earlier in the sequence
        }
        await c.query('ROLLBACK');
      });
      return;
  }
}

describe('the migration to training_holdings', () => {
  let before: TestDatabase;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'training-migrations-'));
    try {
      for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
        if (name < OURS) cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
      }
      before = await freshDatabase({ migrated: false });
      await migrate(before, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, setupTimeout(240_000));
  afterAll(() => before?.drop());

  it('backfills every user’s holdings from the rows, and its triggers keep them equal to a recount', async () => {
    db = before;
    sql = owner(before);
    const worlds = [await makeWorld(), await makeWorld()];
    const history: Op[] = [
      { kind: 'complete', user: 0, course: 0, passed: true, expires: 2, certificate: true },
      { kind: 'complete', user: 0, course: 0, passed: true, expires: null, certificate: false },
      { kind: 'complete', user: 0, course: 1, passed: true, expires: -1, certificate: false },
      { kind: 'complete', user: 1, course: 1, passed: true, expires: 1, certificate: true },
      { kind: 'complete', user: 1, course: 2, passed: false, expires: null, certificate: false },
      { kind: 'complete', user: 2, course: 2, passed: true, expires: 0, certificate: true },
      { kind: 'revoke', n: 1 },
    ];
    for (const world of worlds) for (const op of history) await run(world, op);
    expect((await migrate(before))[0]).toBe(OURS);
    const recount = await sql.query(RECOUNT);
    expect(recount.length).toBeGreaterThanOrEqual(4); // per tenant 2 or 3 holders (one revocation)
    expect(await differences()).toEqual([]);
    for (const op of [...history, { kind: 'deleteUser', user: 0 } satisfies Op]) await run(worlds[0]!, op);
    expect(await differences()).toEqual([]);
  });
});

describe('training_holdings', () => {
  beforeAll(async () => {
    db = await freshDatabase();
    sql = owner(db);
  });
  afterAll(() => db.drop());

  it('stay equal to a recount of the rows after any sequence of writes, in every tenant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1), opArb), { minLength: 1, maxLength: onPostgres ? 30 : 20 }),
        async (ops) => {
          const worlds = [await makeWorld(), await makeWorld()];
          for (const [w, op] of ops) {
            await run(worlds[w]!, op);
            expect(await differences(), `after ${JSON.stringify(op)}`).toEqual([]);
          }
        },
      ),
      // A fixed seed: the sequences must reach what the checks below count, in every run.
      { numRuns: onPostgres ? 30 : 20, seed: 20261219 },
    );
    // The sequences reached what they are about: revoked certificates, expired and unexpired holdings.
    const [seen] = await sql.query<{ revoked: number; expired: number; never: number }>(
      `SELECT (SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL)::int AS revoked,
              (SELECT count(*) FROM training_holdings WHERE expires_on[1] < training_today())::int AS expired,
              (SELECT count(*) FROM training_holdings WHERE 'infinity' = ANY (expires_on))::int AS never`,
    );
    expect(seen!.revoked).toBeGreaterThan(0);
    expect(seen!.expired).toBeGreaterThan(0);
    expect(seen!.never).toBeGreaterThan(0);
  }, 600_000);

  it('a statement writing many completions of the same users, rolled back or not, leaves the recount', async () => {
    const world = await makeWorld();
    for (let i = 0; i < 4; i++) {
      await sql.query(
        `WITH a AS (
           INSERT INTO training_assignments (tenant_id, course_id, user_id, status, completed_at)
           SELECT $1::uuid, c, u, 'completed', now() FROM unnest($2::uuid[]) c, unnest($3::uuid[]) u RETURNING id, course_id, user_id
         )
         INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, expires_at)
         SELECT $1::uuid, a.id, a.course_id, a.user_id, true, training_today() + $4::int FROM a`,
        [world.tenant, world.courses, world.users, i - 2],
      );
    }
    expect(await differences()).toEqual([]);
    const [row] = await sql.query<{ n: number }>(
      `SELECT cardinality(course_ids) AS n FROM training_holdings WHERE tenant_id = $1 AND user_id = $2`,
      [world.tenant, world.users[0]],
    );
    expect(row!.n).toBe(world.courses.length);
    await sql.query(`UPDATE training_completions SET passed = false WHERE tenant_id = $1`, [world.tenant]);
    expect(await sql.count('training_holdings', 'tenant_id = $1', [world.tenant])).toBe(0);
    expect(await differences()).toEqual([]);
  });

  it('TRUNCATE (the owner only) leaves the recount', async () => {
    const world = await makeWorld();
    await run(world, { kind: 'complete', user: 0, course: 0, passed: true, expires: null, certificate: true });
    await run(world, { kind: 'complete', user: 1, course: 1, passed: true, expires: 3, certificate: true });
    await run(world, { kind: 'revoke', n: 0 });
    if (onCitus) {
      // The trigger's owner is a second user on the shards the TRUNCATE changed: Citus refuses the whole statement.
      await expect(sql.query('TRUNCATE certificates')).rejects.toThrow(/by a different user/);
      expect(await differences()).toEqual([]);
      return;
    }
    await sql.query('TRUNCATE certificates');
    expect(await differences()).toEqual([]);
    await sql.query('TRUNCATE training_completions CASCADE');
    expect(await differences()).toEqual([]);
    expect(await sql.count('training_holdings')).toBe(0);
  });

  it('only the trigger functions write it; a worker reads their own row, an officer the tenant’s', async () => {
    const world = await makeWorld();
    for (const user of [0, 1]) {
      await run(world, { kind: 'complete', user, course: 0, passed: true, expires: null, certificate: false });
    }
    const worker = { tenantId: world.tenant, userId: world.users[0]!, role: 'worker' as const };
    const officer = { tenantId: world.tenant, userId: world.admin, role: 'safety_officer' as const };
    const read = `SELECT user_id::text FROM training_holdings WHERE tenant_id = $1::uuid ORDER BY user_id`;
    expect(await asCaller(db, worker, read, world.tenant)).toEqual([{ user_id: world.users[0] }]);
    expect(await asCaller(db, officer, read, world.tenant)).toHaveLength(2);
    const other = await makeWorld();
    expect(await asCaller(db, { ...officer, tenantId: other.tenant }, read, world.tenant)).toEqual([]);
    for (const caller of [worker, officer]) {
      await expect(
        asCaller(db, caller, `DELETE FROM training_holdings WHERE tenant_id = $1::uuid`, world.tenant),
      ).rejects.toThrow(/permission denied/);
    }
    const [role] = await sql.query<Record<string, boolean>>(
      `SELECT rolcanlogin AS login,
              has_table_privilege('training_qualifier', 'training_holdings', 'INSERT, UPDATE, DELETE') AS holdings,
              has_table_privilege('training_qualifier', 'training_completions', 'INSERT, UPDATE, DELETE') AS completions,
              has_column_privilege('training_qualifier', 'training_completions', 'evidence', 'SELECT') AS evidence,
              has_table_privilege('training_qualifier', 'profiles', 'SELECT') AS profiles
       FROM pg_roles WHERE rolname = 'training_qualifier'`,
    );
    // The Citus set-up lets the functions' owners log in: Citus opens its connections to the workers as them.
    expect(role).toEqual({ login: onCitus, holdings: true, completions: false, evidence: false, profiles: false });
  });
});

describe.runIf(onPostgres)('training_holdings under concurrent writers (PostgreSQL)', () => {
  beforeAll(async () => {
    db = await freshDatabase();
    sql = owner(db);
  });
  afterAll(() => db.drop());

  it('eight lanes completing, expiring and revoking for the same users: no write lost', async () => {
    const world = await makeWorld();
    const ops = fc.sample(
      opArb.filter((op) => ['complete', 'moveExpiry', 'revoke', 'flipPassed', 'certify'].includes(op.kind)),
      { numRuns: 200, seed: 7 },
    );
    const lanes = 8;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < ops.length; i += lanes) {
          // A lane may meet another's row: a second passed completion of an assignment is refused (23505).
          await run(world, ops[i]!).catch((error: { code?: string }) => {
            if (error.code !== '23505') throw error;
          });
        }
      }),
    );
    expect(await sql.count('training_completions', 'tenant_id = $1', [world.tenant])).toBeGreaterThan(50);
    expect(await differences()).toEqual([]);
  }, 300_000);
});
