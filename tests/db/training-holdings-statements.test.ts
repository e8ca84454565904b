import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { owner, sqlError } from '../support/sql.js';
import { DIFFERENCES, makeWorld, type World } from './training-holdings-world.js';

/**
 * training_holdings recounted once per statement (migration 20261218100000_holdings_per_statement): the row
 * triggers name the users a statement changed, pending in transaction-local settings, and a statement trigger
 * recounts them. Bulk statements of many users, in any order, over two tenants and both tables, with cascades
 * (statements inside a statement), leave the table equal to a recount; a statement that fails after its row
 * triggers ran leaves nothing pending once rolled back to a savepoint; and on PostgreSQL, statements writing the
 * same users in opposite orders at once neither deadlock nor lose a write.
 */

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
const differences = () => sql.query(DIFFERENCES);

/**
 * One statement: for each user in the order given and each course, a completed assignment, its passed completion
 * (expiring in `$4` days) and a certificate, written in that order.
 */
const COMPLETE_ALL = `
  WITH w AS (SELECT w.u, w.ord FROM unnest($3::uuid[]) WITH ORDINALITY AS w(u, ord)),
  a AS (
    INSERT INTO training_assignments (tenant_id, course_id, user_id, status, completed_at)
    SELECT $1::uuid, c, w.u, 'completed', now() FROM w, unnest($2::uuid[]) c ORDER BY w.ord, c
    RETURNING id, course_id, user_id
  ), t AS (
    INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, expires_at)
    SELECT $1::uuid, a.id, a.course_id, a.user_id, true, training_today() + $4::int
    FROM a JOIN w ON w.u = a.user_id ORDER BY w.ord, a.course_id
    RETURNING id, course_id, user_id
  )
  INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code)
  SELECT $1::uuid, t.id, t.user_id, t.course_id, replace(gen_random_uuid()::text, '-', '') FROM t`;

const completeAll = (
  world: World,
  users: string[],
  days: number,
  { courses = world.courses, run = sql.query as Run }: { courses?: string[]; run?: Run } = {},
) => run(COMPLETE_ALL, [world.tenant, courses, users, days]);
type Run = (text: string, params: unknown[]) => Promise<unknown>;

/** The users shuffled the same way every run. */
const shuffled = (users: string[]) =>
  users
    .map((user, i) => ({ user, key: (i * 7919) % users.length }))
    .sort((a, b) => a.key - b.key)
    .map(({ user }) => user);

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
});
afterAll(() => db.drop());

describe('training_holdings, one statement at a time', () => {
  it('bulk statements of many users, over two tenants and both tables, cascades included, leave the recount', async () => {
    const worlds = [await makeWorld(sql, 150), await makeWorld(sql, 150)];
    const tenants = worlds.map((world) => world.tenant);
    for (const [i, world] of worlds.entries()) await completeAll(world, shuffled(world.users), i - 1);
    await completeAll(worlds[0]!, worlds[0]!.users.slice(0, 40).reverse(), 30);
    expect(await differences()).toEqual([]);
    expect(await sql.count('training_holdings', 'tenant_id = ANY ($1::uuid[])', [tenants])).toBe(300);

    const steps = [
      // Every other certificate of both tenants revoked in one statement, by its tenant's admin.
      `UPDATE certificates c SET revoked_at = now(), revoked_by = p.id, revoke_reason = 'issued in error'
       FROM profiles p WHERE p.tenant_id = c.tenant_id AND p.role = 'admin' AND c.tenant_id = ANY ($1::uuid[])
         AND (hashtext(c.id::text) & 1) = 0`,
      `UPDATE training_completions SET expires_at = expires_at - 3 WHERE tenant_id = ANY ($1::uuid[])
         AND (hashtext(user_id::text) & 3) = 0`,
      `DELETE FROM certificates WHERE tenant_id = ANY ($1::uuid[]) AND revoked_at IS NOT NULL
         AND (hashtext(id::text) & 2) = 0`,
      `UPDATE training_completions SET passed = false WHERE tenant_id = ANY ($1::uuid[])
         AND (hashtext(id::text) & 7) = 0`,
      // Completions deleted with their certificates (a cascade: a statement inside the statement).
      `DELETE FROM training_completions t USING training_courses c
       WHERE c.tenant_id = t.tenant_id AND c.id = t.course_id AND c.title = 'Course 2' AND t.tenant_id = ANY ($1::uuid[])`,
      // Users erased with their assignments, completions and certificates (cascades within cascades).
      `DELETE FROM profiles WHERE tenant_id = ANY ($1::uuid[]) AND role = 'worker' AND (hashtext(id::text) & 3) = 1`,
    ];
    for (const step of steps) {
      await sql.query(step, [tenants]);
      expect(await differences(), step).toEqual([]);
    }
    const [seen] = await sql.query<{ revoked: number; holders: number }>(
      `SELECT (SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL AND tenant_id = ANY ($1::uuid[]))::int AS revoked,
              (SELECT count(*) FROM training_holdings WHERE tenant_id = ANY ($1::uuid[]))::int AS holders`,
      [tenants],
    );
    expect(seen!.revoked).toBeGreaterThan(50);
    expect(seen!.holders).toBeGreaterThan(100);
    expect(seen!.holders).toBeLessThan(300);
  }, 120_000);

  it('a statement failing after its row triggers ran leaves nothing pending once rolled back to a savepoint', async () => {
    const world = await makeWorld(sql, 4);
    // A later row trigger of the test's own that refuses the statement's last row (score 13).
    await sql.query(`CREATE FUNCTION test_refuse_13() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.score = 13 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NULL; END $$`);
    await sql.query(`CREATE TRIGGER zz_refuse_13 AFTER INSERT ON training_completions
                     FOR EACH ROW EXECUTE FUNCTION test_refuse_13()`);
    const [first, second, third, fourth] = world.users;
    const pending = await db.withConnection(async (c) => {
      await c.query('BEGIN');
      try {
        await c.query('SAVEPOINT bulk');
        const refused = await c
          .query(
            `WITH a AS (
               INSERT INTO training_assignments (tenant_id, course_id, user_id, status, completed_at)
               SELECT $1::uuid, $2::uuid, u, 'completed', now() FROM unnest($3::uuid[]) WITH ORDINALITY AS w(u, ord)
               ORDER BY ord RETURNING id, user_id
             )
             INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, score)
             SELECT $1::uuid, a.id, $2::uuid, a.user_id, true, CASE WHEN a.user_id = $4::uuid THEN 13 END FROM a`,
            [world.tenant, world.courses[0], [first, second, third], third],
          )
          .catch((error: unknown) => sqlError(error).message);
        expect(refused).toMatch(/refused/);
        await c.query('ROLLBACK TO SAVEPOINT bulk');
        const [left] = await c.query<{ pending: string }>(
          `SELECT concat(current_setting('training_holdings.e', true), current_setting('training_holdings.touched', true),
                           (SELECT string_agg(current_setting('training_holdings.b' || b, true), '')
                            FROM generate_series(0, 127) b)) AS pending`,
        );
        await completeAll(world, [fourth!], 5, { run: (text, params) => c.query(text, params) });
        await c.query('COMMIT');
        return left!.pending;
      } catch (error) {
        await c.query('ROLLBACK');
        throw error;
      }
    });
    expect(pending).toBe('');
    expect(await differences()).toEqual([]);
    const holders = await sql.query<{ user_id: string }>(
      `SELECT user_id::text FROM training_holdings WHERE tenant_id = $1`,
      [world.tenant],
    );
    expect(holders).toEqual([{ user_id: fourth }]);
  });
});

describe.runIf(onPostgres)('training_holdings under concurrent bulk statements (PostgreSQL)', () => {
  it('statements writing the same users in opposite orders at once: no deadlock, no write lost', async () => {
    const world = await makeWorld(sql, 60);
    const ascending = [...world.users].sort();
    const descending = [...ascending].reverse();
    // Each statement of another course: the course's counter rows, which writers of one course lock first, do not
    // make them wait for each other before they reach the users.
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        [ascending, descending, shuffled(ascending)].map((users, lane) =>
          completeAll(world, users, round - lane, { courses: [world.courses[lane]!] }),
        ),
      );
    }
    expect(await sql.count('training_completions', 'tenant_id = $1', [world.tenant])).toBe(6 * 3 * 60);
    expect(await differences()).toEqual([]);
  }, 300_000);
});
