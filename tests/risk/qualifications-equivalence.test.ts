import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import { qualificationRows, type QualificationTarget } from '../../src/risk/qualifications-sql.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner, uuid } from '../support/sql.js';

/**
 * The qualifications statement (src/risk/qualifications-sql.ts) is shaped for the planner, not for reading; this
 * compares it, on random tenants, with the rule computed straightforwardly here from the rows themselves: a
 * zone's users have a shift ending within the last 30 days or later, a piece of equipment's are its operators;
 * a user holds a required course of that kind (or general) through a passed completion, unexpired (today still
 * counts), whose certificate is not revoked; `expires_at` is the earliest, over the courses held, of each
 * course's longest-lasting such completion (null: none expires). Another tenant's rows, under the same ids, are
 * there to be ignored.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db.drop());

const KINDS = ['worker', 'driver', 'zone', 'equipment', 'general'] as const;
/** Days from now a shift ends: far enough from the 30-day edge that the clock moving during a run changes nothing. */
const SHIFT_ENDS = [-45, -31.5, -29, -2, 0.5, 3] as const;

const completion = fc.record({
  course: fc.nat(5),
  passed: fc.boolean(),
  /** Days from today; null: never expires. */
  expires: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
  certificate: fc.constantFrom('none', 'issued', 'revoked'),
});
const user = fc.record({
  shifts: fc.array(fc.record({ zone: fc.nat(1), ends: fc.constantFrom(...SHIFT_ENDS) }), { maxLength: 3 }),
  operates: fc.array(fc.nat(1), { maxLength: 2 }),
  completions: fc.array(completion, { maxLength: 6 }),
});
const world = fc.record({
  courses: fc.array(fc.record({ kind: fc.constantFrom(...KINDS), required: fc.boolean() }), {
    minLength: 6,
    maxLength: 6,
  }),
  users: fc.array(user, { minLength: 1, maxLength: 8 }),
  /** Ask for only some of the target's users (as a subscriber re-reading announced ones does). */
  only: fc.option(fc.array(fc.nat(7), { maxLength: 4 }), { nil: null }),
});
type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

interface Seeded {
  tenantId: string;
  officerId: string;
  zones: string[];
  equipment: string[];
  courses: string[];
  users: string[];
  today: string;
}

const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The world's rows in a new tenant, as the owner (no RLS), set based: one statement per table. With `like`,
 * the same zone, equipment, course and user ids as that tenant's.
 */
async function seed(w: World, like?: Seeded): Promise<Seeded> {
  const sql = owner(db);
  const tenantId = uuid();
  const officerId = uuid();
  const zones = like?.zones ?? [uuid(), uuid()];
  const equipment = like?.equipment ?? [uuid(), uuid()];
  const courses = like?.courses ?? w.courses.map(() => uuid());
  const users = w.users.map((_, i) => like?.users[i] ?? uuid());
  const json = (rows: unknown[]) => JSON.stringify(rows);
  await sql.query(
    `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1::uuid, 'worker' FROM unnest($2::uuid[]) u
     UNION ALL SELECT $3::uuid, $1::uuid, 'safety_officer'`,
    [tenantId, users, officerId],
  );
  await sql.query(
    `INSERT INTO training_courses (id, tenant_id, title, category, created_by, required, entity_type, issues_certificate)
     SELECT c.id, $1::uuid, 'Course ' || c.n, 'compliance', $2::uuid, c.required, c.kind, true
     FROM jsonb_to_recordset($3::jsonb) AS c(id uuid, n int, required boolean, kind text)`,
    [tenantId, officerId, json(w.courses.map((c, n) => ({ id: courses[n], n, ...c })))],
  );
  const shifts = w.users.flatMap((u, i) =>
    u.shifts.map((s) => ({ user: users[i], zone: zones[s.zone], ends: s.ends })),
  );
  await sql.query(
    `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
     SELECT $1::uuid, s.zone, s."user", now() + (s.ends - 1) * interval '1 day', now() + s.ends * interval '1 day'
     FROM jsonb_to_recordset($2::jsonb) AS s("user" uuid, zone uuid, ends float8)`,
    [tenantId, json(shifts)],
  );
  const operators = w.users.flatMap((u, i) =>
    [...new Set(u.operates)].map((e) => ({ user: users[i], eq: equipment[e] })),
  );
  await sql.query(
    `INSERT INTO equipment_operators (tenant_id, equipment_id, user_id)
     SELECT $1::uuid, o.eq, o."user" FROM jsonb_to_recordset($2::jsonb) AS o("user" uuid, eq uuid)`,
    [tenantId, json(operators)],
  );
  const completions = w.users.flatMap((u, i) =>
    u.completions.map((c) => ({ ...c, id: uuid(), assignment: uuid(), user: users[i], course: courses[c.course] })),
  );
  await sql.query(
    `INSERT INTO training_assignments (id, tenant_id, course_id, user_id, status, completed_at)
     SELECT c.assignment, $1::uuid, c.course, c."user", 'completed', now()
     FROM jsonb_to_recordset($2::jsonb) AS c(assignment uuid, "user" uuid, course uuid)`,
    [tenantId, json(completions)],
  );
  await sql.query(
    `INSERT INTO training_completions (id, tenant_id, assignment_id, course_id, user_id, score, passed, expires_at)
     SELECT c.id, $1::uuid, c.assignment, c.course, c."user", 90, c.passed, training_today() + c.expires
     FROM jsonb_to_recordset($2::jsonb) AS c(id uuid, assignment uuid, "user" uuid, course uuid, passed boolean, expires int)`,
    [tenantId, json(completions)],
  );
  await sql.query(
    `INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code, revoked_at, revoked_by, revoke_reason)
     SELECT $1::uuid, c.id, c."user", c.course, replace(gen_random_uuid()::text, '-', ''),
            CASE WHEN c.certificate = 'revoked' THEN now() END,
            CASE WHEN c.certificate = 'revoked' THEN $2::uuid END,
            CASE WHEN c.certificate = 'revoked' THEN 'issued in error' END
     FROM jsonb_to_recordset($3::jsonb) AS c(id uuid, "user" uuid, course uuid, passed boolean, certificate text)
     WHERE c.passed AND c.certificate <> 'none'`,
    [tenantId, officerId, json(completions)],
  );
  const [{ today }] = (await sql.query<{ today: string }>('SELECT training_today()::text AS today')) as [
    { today: string },
  ];
  return { tenantId, officerId, zones, equipment, courses, users, today };
}

/** The rule, straight from the world. */
function expected(w: World, s: Seeded, kind: 'zone' | 'equipment', index: number, only: string[] | null) {
  const required = w.courses
    .map((c, n) => ({ ...c, id: s.courses[n]! }))
    .filter((c) => c.required && (c.kind === kind || c.kind === 'general'))
    .map((c) => c.id)
    .sort();
  return w.users
    .map((u, i) => ({ u, id: s.users[i]! }))
    .filter(({ u }) =>
      kind === 'zone' ? u.shifts.some((sh) => sh.zone === index && sh.ends > -30) : u.operates.includes(index),
    )
    .filter(({ id }) => only === null || only.includes(id))
    .map(({ u, id }) => {
      // Per course held: its longest-lasting current completion (Infinity: one never expires).
      const held = new Map<string, number>();
      for (const c of u.completions) {
        const courseId = s.courses[c.course]!;
        const current = c.passed && (c.expires === null || c.expires >= 0) && c.certificate !== 'revoked';
        if (!current || !required.includes(courseId)) continue;
        held.set(courseId, Math.max(held.get(courseId) ?? -Infinity, c.expires ?? Infinity));
      }
      const earliest = Math.min(...held.values());
      return {
        user_id: id,
        qualified: required.every((c) => held.has(c)),
        missing: required.filter((c) => !held.has(c)),
        expires_at: Number.isFinite(earliest) ? addDays(s.today, earliest) : null,
      };
    })
    .sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
}

describe('qualifications, against the rule computed from the rows', () => {
  it('agree on random tenants, for each zone and piece of equipment, whole or for some users', async () => {
    await fc.assert(
      fc.asyncProperty(world, world, async (w, elsewhere) => {
        const s = await seed(w);
        // Another tenant with other rows under the same ids: nothing of it may count.
        await seed(elsewhere, s);
        // Uuids sort the same as text and as uuid (lower-case hex, fixed positions).
        const only = w.only === null ? null : [...new Set(w.only.map((i) => s.users[i % s.users.length]!))];
        for (const [kind, ids] of [
          ['zone', s.zones],
          ['equipment', s.equipment],
        ] as const) {
          for (const [index, id] of ids.entries()) {
            const target: QualificationTarget = { kind, id };
            const rows = await runAsCaller(
              db.prisma,
              { tenantId: s.tenantId, userId: s.officerId, role: 'safety_officer' },
              (tx) => qualificationRows(tx, s.tenantId, target, only),
            );
            const actual = rows.map((row) => ({
              ...row,
              expires_at: row.expires_at ? row.expires_at.toISOString().slice(0, 10) : null,
            }));
            expect(actual).toEqual(expected(w, s, kind, index, only));
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
