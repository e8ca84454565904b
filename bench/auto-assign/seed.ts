import type pg from 'pg';
import { withCaller } from '../../tests/support/database.js';

/**
 * The benchmark's tenant, grown in place: `appendEntities(client, from, to)`
 * adds entities with indexes [from, to) — their profiles, shifts, operators,
 * latest (and older) scores, and some history — so each size is a superset of
 * the one before. Everything is derived from the index (ids are md5 of it), set
 * based, written as the tenant's admin under RLS (which works whether or not
 * the connecting owner is a superuser).
 */

export const TENANT = '5e1d9c3a-8f2b-4a6d-9c7e-1b2a3c4d5e6f';
export const ADMIN = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
export const SERVICE = '1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e';
export const COURSES = 50;

/**
 * Entity kinds by index mod 20: 0–9 worker, 10–13 driver, 14–16 zone, 17–19
 * equipment. Workers and drivers are profiles (id = md5('p' || i)); the people
 * of a zone or a piece of equipment are workers of the same block of 20: a zone
 * has three shifts (ended 3 days ago, tomorrow, and ended 40 days ago: outside
 * the window), equipment two operators, so some workers are reached by their
 * own score and a zone's or a machine's. Latest scores skew low, as risk does
 * (100·u⁶⁰, u kept above 0.001 because PostgreSQL refuses a float underflow:
 * about 0.85 % are at 60 or more); one entity in five also has an older
 * score from two days ago. Workers with i mod 20 = 0 hold an active assignment
 * of course 1 (worker, 60); i mod 20 = 1 a current passed completion of it;
 * i mod 20 = 2 an expired one.
 */
const SEED = `
WITH e AS (
    SELECT i, CASE WHEN i % 20 < 10 THEN 'worker' WHEN i % 20 < 14 THEN 'driver'
                   WHEN i % 20 < 17 THEN 'zone' ELSE 'equipment' END AS kind
    FROM generate_series($1::int, $2::int - 1) AS i
), ent AS (
    SELECT i, kind, CASE kind WHEN 'zone' THEN md5('z' || i) WHEN 'equipment' THEN md5('e' || i)
                              ELSE md5('p' || i) END::uuid AS entity_id
    FROM e
), new_profiles AS (
    INSERT INTO profiles (id, tenant_id, role)
    SELECT entity_id, $3::uuid, 'worker' FROM ent WHERE kind IN ('worker', 'driver')
), new_shifts AS (
    INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
    SELECT $3::uuid, ent.entity_id, md5('p' || (i - i % 20 + s.k))::uuid, now() + s.starts,
           now() + s.starts + interval '8 hours'
    FROM ent, (VALUES (3, interval '-3 days'), (4, interval '1 day'), (5, interval '-40 days')) AS s(k, starts)
    WHERE kind = 'zone'
), new_operators AS (
    INSERT INTO equipment_operators (tenant_id, equipment_id, user_id)
    SELECT $3::uuid, entity_id, md5('p' || (i - i % 20 + k))::uuid FROM ent, (VALUES (6), (7)) AS o(k)
    WHERE kind = 'equipment'
), new_scores AS (
    INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score, computed_at)
    SELECT $3::uuid, kind, entity_id, round((100 * greatest(random(), 0.001) ^ 60)::numeric, 1), now() - random() * interval '1 hour'
    FROM ent
    UNION ALL
    SELECT $3::uuid, kind, entity_id, round((100 * random())::numeric, 1), now() - interval '2 days'
    FROM ent WHERE i % 5 = 0
), history AS (
    INSERT INTO training_assignments (id, tenant_id, course_id, user_id, assigned_by, status, due_date)
    SELECT md5('h' || i)::uuid, $3::uuid, md5('course1')::uuid, entity_id, $4::uuid,
           CASE WHEN i % 20 = 0 THEN 'assigned' ELSE 'completed' END, training_today() + 30
    FROM ent WHERE kind = 'worker' AND i % 20 < 3
)
SELECT 1`;

/** A separate statement: the completion policy checks its assignment, which it must be able to see. */
const COMPLETIONS = `
INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completed_at, expires_at)
SELECT $3::uuid, md5('h' || i)::uuid, md5('course1')::uuid, md5('p' || i)::uuid, 90, true, now() - interval '1 year',
       CASE WHEN i % 20 = 1 THEN training_today() + 180 ELSE training_today() - 30 END
FROM generate_series($1::int, $2::int - 1) AS i
WHERE i % 20 IN (1, 2)`;

/** Course n (1–50): entity type cycles worker, driver, zone, equipment, general; threshold 60, 64, … 96. */
const COURSE_SEED = `
INSERT INTO training_courses (id, tenant_id, title, category, created_by, auto_assign_enabled, entity_type, risk_threshold)
SELECT md5('course' || n)::uuid, $1::uuid, 'Course ' || n, 'risk_management', $2::uuid, true,
       (ARRAY['worker', 'driver', 'zone', 'equipment', 'general'])[(n - 1) % 5 + 1], 60 + ((n - 1) / 5) * 4
FROM generate_series(1, ${COURSES}) AS n`;

/** Runs `statements` in one committed transaction as the tenant's admin (RLS applies, as to any writer). */
async function asAdmin(client: pg.Client, statements: (() => Promise<unknown>)[]): Promise<void> {
  await withCaller(
    client,
    { tenantId: TENANT, userId: ADMIN, role: 'admin' },
    async () => {
      for (const statement of statements) await statement();
    },
    { commit: true },
  );
}

export async function appendEntities(client: pg.Client, from: number, to: number): Promise<void> {
  if (from === 0) {
    await asAdmin(client, [
      () =>
        client.query(`INSERT INTO profiles (id, tenant_id, role) VALUES ($1, $3, 'admin'), ($2, $3, 'service')`, [
          ADMIN,
          SERVICE,
          TENANT,
        ]),
      () => client.query(COURSE_SEED, [TENANT, ADMIN]),
    ]);
  }
  await asAdmin(client, [() => client.query(SEED, [from, to, TENANT, ADMIN])]);
  // Fresh statistics first: the completion policy looks each row's assignment up, and a planner that
  // still believes training_assignments empty would scan it for every completion.
  await client.query('ANALYZE');
  await asAdmin(client, [() => client.query(COMPLETIONS, [from, to, TENANT])]);
  await client.query('ANALYZE');
}
