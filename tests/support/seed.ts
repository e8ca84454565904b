import type pg from 'pg';
import { onCitus } from './citus.js';

/**
 * Realistic training data, written set-based (a handful of INSERT … SELECT
 * statements, no per-row round trips) as the owner.
 *
 * Per tenant: an admin, a safety officer, `workers` workers and `courses`
 * courses (the seven categories, thresholds on a third, expiry on half,
 * created an hour apart). Each worker gets `assignmentsPerWorker` assignments of
 * distinct courses with a spread of states — 50 % completed (with a passed
 * completion, sometimes after a failed attempt), 20 % assigned, 15 % in
 * progress, 5 % stored overdue, 5 % assigned but past due (overdue on read,
 * not yet swept), 5 % cancelled — and some failed attempts on active ones.
 * The tenant's `benchWorker`, when given, gets `benchWorkerAssignments`.
 */
export interface SeedTenant {
  id: string;
  adminId: string;
  officerId: string;
  workers: number;
  courses: number;
  assignmentsPerWorker: number;
  benchWorker?: { id: string; name: string; email: string; assignments: number };
  officerName?: string;
  officerEmail?: string;
}

export interface SeedCounts {
  profiles: number;
  courses: number;
  assignments: number;
  completions: number;
}

export async function seedTraining(client: pg.Client, tenants: SeedTenant[]): Promise<SeedCounts> {
  let counts: SeedCounts | undefined;
  for (const tenant of tenants) {
    if (tenant.assignmentsPerWorker > tenant.courses) throw new Error('assignmentsPerWorker must be ≤ courses');
    if (tenant.benchWorker && tenant.benchWorker.assignments > tenant.courses) {
      throw new Error('benchWorker.assignments must be ≤ courses');
    }
  }
  await seedAsOwner(client, async (sql) => {
    await sql.query(`
      CREATE TEMP TABLE seed_tenants (
        tenant_id uuid, n int, admin_id uuid, officer_id uuid, officer_name text, officer_email text,
        workers int, courses int, per_worker int,
        bench_worker uuid, bench_name text, bench_email text, bench_assignments int
      ) ON COMMIT DROP`);
    for (const [n, t] of tenants.entries()) {
      await sql.query(`INSERT INTO seed_tenants VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
        t.id,
        n,
        t.adminId,
        t.officerId,
        t.officerName ?? `Officer ${n}`,
        t.officerEmail ?? `officer${n}@tenant${n}.example`,
        t.workers,
        t.courses,
        t.assignmentsPerWorker,
        t.benchWorker?.id ?? null,
        t.benchWorker?.name ?? null,
        t.benchWorker?.email ?? null,
        t.benchWorker?.assignments ?? null,
      ]);
    }

    await sql.query(`
      INSERT INTO profiles (id, tenant_id, display_name, email, role)
      SELECT admin_id, tenant_id, 'Admin ' || n, 'admin' || n || '@tenant' || n || '.example', 'admin' FROM seed_tenants
      UNION ALL
      SELECT officer_id, tenant_id, officer_name, officer_email, 'safety_officer' FROM seed_tenants
      UNION ALL
      SELECT bench_worker, tenant_id, bench_name, bench_email, 'worker' FROM seed_tenants WHERE bench_worker IS NOT NULL
      UNION ALL
      SELECT gen_random_uuid(), t.tenant_id, 'Worker ' || t.n || '-' || g, 'worker' || g || '@tenant' || t.n || '.example', 'worker'
      FROM seed_tenants t, generate_series(1, t.workers) g`);

    await sql.query(`
      INSERT INTO training_courses (tenant_id, title, description, category, content_url, duration_minutes,
                                    difficulty_level, risk_threshold, entity_type, auto_assign_enabled, required,
                                    expiry_months, issues_certificate, created_by, created_at, updated_at)
      SELECT t.tenant_id,
             (ARRAY['Forklift', 'Ladder', 'Fire', 'Chemical', 'Lockout/Tagout', 'First Aid', 'Confined Space',
                    'Noise', 'Scaffold', 'Crane'])[1 + g % 10] || ' safety ' || g,
             'Course ' || g || ' of tenant ' || t.n || ': procedures, hazards and a final quiz.',
             (ARRAY['safety_fundamentals', 'hazard_awareness', 'equipment_safety', 'emergency_response',
                    'compliance', 'risk_management', 'other'])[1 + g % 7],
             'https://learn.example/courses/' || g,
             15 + g % 90,
             (ARRAY['beginner', 'intermediate', 'advanced'])[1 + g % 3],
             CASE WHEN g % 3 = 0 THEN 40 + g % 60 END,
             (ARRAY['zone', 'driver', 'worker', 'equipment', 'general'])[1 + g % 5],
             g % 3 = 0,
             g % 4 = 0,
             CASE WHEN g % 2 = 0 THEN 12 + 12 * (g % 3) END,
             g % 2 = 0,
             t.officer_id,
             now() - g * interval '1 hour',
             now() - g * interval '1 hour'
      FROM seed_tenants t, generate_series(0, t.courses - 1) g`);

    await sql.query(`
      CREATE TEMP TABLE seed_courses ON COMMIT DROP AS
      SELECT tenant_id, id, (row_number() OVER (PARTITION BY tenant_id ORDER BY created_at DESC, id) - 1)::int AS idx
      FROM training_courses WHERE tenant_id IN (SELECT tenant_id FROM seed_tenants)`);
    await sql.query(`CREATE INDEX ON seed_courses (tenant_id, idx)`);
    // Which worker takes which courses: worker u's j-th course is (7u + j·step) mod courses,
    // distinct for j < courses / step, so the one-active-per-course index is never hit.
    await sql.query(`
      CREATE TEMP TABLE seed_workers ON COMMIT DROP AS
      SELECT p.tenant_id, p.id,
             (row_number() OVER (PARTITION BY p.tenant_id ORDER BY p.id) - 1)::int AS idx,
             CASE WHEN p.id = t.bench_worker THEN t.bench_assignments ELSE t.per_worker END AS k,
             t.courses, t.officer_id
      FROM profiles p JOIN seed_tenants t ON t.tenant_id = p.tenant_id
      WHERE p.role = 'worker'`);

    await sql.query(`
      INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, assignment_type, assignment_reason,
                                        due_date, status, assigned_at, started_at, completed_at, cancelled_at,
                                        cancelled_by, cancel_reason, created_at, updated_at)
      SELECT x.tenant_id, c.id, x.user_id, x.officer_id,
             (ARRAY['manual', 'auto', 'risk_based'])[1 + x.h2 % 3],
             'Seeded assignment ' || x.j,
             CASE
               WHEN x.h < 50 THEN x.assigned_at::date + 30
               WHEN x.h < 85 THEN current_date + 5 + x.h2 % 60
               WHEN x.h < 90 THEN current_date - 1 - x.h2 % 30
               WHEN x.h < 95 THEN x.assigned_at::date + 30
               ELSE current_date - 1 - x.h2 % 10
             END,
             CASE
               WHEN x.h < 50 THEN 'completed'
               WHEN x.h < 70 THEN 'assigned'
               WHEN x.h < 85 THEN 'in_progress'
               WHEN x.h < 90 THEN 'overdue'
               WHEN x.h < 95 THEN 'cancelled'
               ELSE 'assigned'
             END,
             x.assigned_at,
             CASE WHEN x.h < 50 OR (x.h >= 70 AND x.h < 85) THEN x.assigned_at + interval '1 day' END,
             CASE WHEN x.h < 50 THEN x.assigned_at + (2 + x.h2 % 20) * interval '1 day' END,
             CASE WHEN x.h >= 90 AND x.h < 95 THEN x.assigned_at + interval '3 days' END,
             CASE WHEN x.h >= 90 AND x.h < 95 THEN x.officer_id END,
             CASE WHEN x.h >= 90 AND x.h < 95 THEN 'No longer needed' END,
             x.assigned_at, x.assigned_at
      FROM (
        SELECT w.tenant_id, w.id AS user_id, w.officer_id, j,
               (w.idx * 7 + j * (w.courses / w.k)) % w.courses AS course_idx,
               (hashint8(w.idx::bigint * 1000 + j) & 2147483647) % 100 AS h,
               (hashint8(w.idx::bigint * 1000 + j + 7919000000) & 2147483647) % 1000 AS h2,
               now() - ((hashint8(w.idx::bigint * 1000 + j + 104729000000) & 2147483647) % 300) * interval '1 day'
                     - ((hashint8(w.idx::bigint * 1000 + j + 15485863000000) & 2147483647) % 86400)
                       * interval '1 second' AS assigned_at
        FROM seed_workers w, generate_series(0, w.k - 1) j
      ) x
      JOIN seed_courses c ON c.tenant_id = x.tenant_id AND c.idx = x.course_idx`);

    // Completions: every completed assignment has a passed one (a fifth after a failed
    // attempt); a fifth of the started, still active ones have a failed attempt.
    await sql.query(`
      INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed,
                                        completion_time_minutes, certificate_url, completed_at, expires_at, created_at)
      SELECT a.tenant_id, a.id, a.course_id, a.user_id, 70 + (hashtext(a.id::text) & 2147483647) % 31, true,
             5 + (hashtext(a.id::text) & 2147483647) % 120,
             CASE WHEN c.issues_certificate THEN 'https://certs.example/' || a.id END,
             a.completed_at,
             CASE WHEN c.expiry_months IS NOT NULL
                  THEN ((a.completed_at AT TIME ZONE 'UTC') + make_interval(months => c.expiry_months))::date END,
             a.completed_at
      FROM training_assignments a
      JOIN training_courses c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
      WHERE a.status = 'completed' AND a.tenant_id IN (SELECT tenant_id FROM seed_tenants)
      UNION ALL
      SELECT a.tenant_id, a.id, a.course_id, a.user_id, 20 + (hashtext(a.id::text) & 2147483647) % 40, false,
             5 + (hashtext(a.id::text) & 2147483647) % 60, NULL,
             COALESCE(a.started_at, a.assigned_at) + interval '12 hours', NULL,
             COALESCE(a.started_at, a.assigned_at) + interval '12 hours'
      FROM training_assignments a
      WHERE a.tenant_id IN (SELECT tenant_id FROM seed_tenants)
        AND a.started_at IS NOT NULL AND (hashtext(a.id::text || 'f') & 2147483647) % 5 = 0`);

    // Counted here, while RLS is still lifted for the owner.
    const [row] = (
      await sql.query<{ profiles: string; courses: string; assignments: string; completions: string }>(`
        SELECT (SELECT count(*) FROM profiles) AS profiles, (SELECT count(*) FROM training_courses) AS courses,
               (SELECT count(*) FROM training_assignments) AS assignments,
               (SELECT count(*) FROM training_completions) AS completions`)
    ).rows;
    counts = {
      profiles: Number(row!.profiles),
      courses: Number(row!.courses),
      assignments: Number(row!.assignments),
      completions: Number(row!.completions),
    };
  });
  return counts!;
}

/** The tables RLS is forced on, which a seed writes as the owner. */
const SEEDED_TABLES = ['profiles', 'training_courses', 'training_assignments', 'training_completions'];
/** The big tables, whose secondary indexes and foreign keys are rebuilt after a bulk load. */
const BULK_TABLES = ['training_assignments', 'training_completions'];

/**
 * Runs a set-based seed as the table owner, in one transaction. RLS is forced on every
 * table (even for the owner), so it is lifted for the seed and restored afterwards (it
 * announces nothing: no trigger does, and subscribers nobody has here would not hear it).
 * For speed, the secondary indexes and foreign keys of the assignment and completion
 * tables are dropped first and recreated afterwards from their own definitions
 * (pg_get_indexdef / pg_get_constraintdef), so the schema ends exactly as migrated and
 * every foreign key is validated once, in bulk, instead of per row. Works whether or not
 * the owner is a superuser.
 */
export async function seedAsOwner(client: pg.Client, script: (client: pg.Client) => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    if (onCitus) await client.query(`SET LOCAL citus.multi_task_query_log_level = 'off'`);
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE "${table}" NO FORCE ROW LEVEL SECURITY`);
    const { rows: foreignKeys } = await client.query<{ name: string; table_name: string; def: string }>(
      `SELECT conname AS name, conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])`,
      [BULK_TABLES],
    );
    for (const fk of foreignKeys) await client.query(`ALTER TABLE ${fk.table_name} DROP CONSTRAINT "${fk.name}"`);
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
       WHERE i.indrelid = ANY($1::regclass[])
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
      [BULK_TABLES],
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);

    await script(client);

    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes) await client.query(index.def);
    for (const fk of foreignKeys) {
      await client.query(`ALTER TABLE ${fk.table_name} ADD CONSTRAINT "${fk.name}" ${fk.def}`);
    }
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
