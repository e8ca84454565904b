import type pg from 'pg';
import { seedAsOwner } from '../../tests/support/seed.js';

/**
 * The auditors' tenant: `workers` workers × `perWorker` courses, one assignment each, seeded with one
 * INSERT … SELECT over generate_series per table, as the owner (tests/support/seed.ts's seedAsOwner: RLS lifted,
 * the big tables' indexes and foreign keys rebuilt once afterwards). Every id is the md5 of a row's number, so
 * each table is derived from the series alone, never read back: assignment i is worker i / perWorker's
 * (i % perWorker)-th course. States spread as in tests/support/seed.ts: half completed (a passed completion
 * with quiz evidence and, on every other course, a certificate, one in twenty of them revoked), the rest assigned,
 * in progress, overdue or cancelled, a fifth of the started ones with a failed attempt too.
 *
 * Every row trigger of these tables is off while seeding, and what the export reads of their work is written
 * here, set-based: the evidence (the trigger derives it from training_evidence rows this seed has no need of)
 * and, so that analytics over this tenant agree with its rows, the counters, recounted once at the end. Left
 * unwritten: the audit trail and the notification outbox (nobody reads them here).
 * Why: each trigger runs once per row (audit, outbox, counter deltas), which a million-row seed does not need to
 * measure an export; with the counter triggers of the time, which updated the same buckets once per row, it took
 * over 38 minutes. The insert checks do nothing for the owner, and the foreign keys stay (seedAsOwner validates
 * those of the big tables in bulk).
 */

export interface RecordsTenant {
  tenantId: string;
  adminId: string;
  officerId: string;
  workers: number;
  perWorker: number;
}

/** A UUID (version 4, as the API's validation expects) made of the md5 of `text`. */
const uuid = (text: string) => `overlay(overlay(md5(${text}) placing '4' from 13) placing '8' from 17)::uuid`;

/** Assignment i's worker, course, state bucket (h, 0–99), spread (h2) and assignment time. */
const SLOTS = `
  SELECT i, u, k, h, h2, assigned_at,
         ${uuid(`'a' || i`)} AS assignment_id, ${uuid(`'w' || u`)} AS user_id, ${uuid(`'c' || k`)} AS course_id
  FROM (SELECT i, i / t.per_worker AS u, ((i / t.per_worker) * 7 + i % t.per_worker) % t.per_worker AS k,
               (hashint8(i) & 2147483647) % 100 AS h, (hashint8(i + 7919000000) & 2147483647) % 1000 AS h2,
               now() - ((hashint8(i + 104729000000) & 2147483647) % 300) * interval '1 day'
                     - ((hashint8(i + 15485863000000) & 2147483647) % 86400) * interval '1 second' AS assigned_at
        FROM seed_records t, generate_series(0, t.rows - 1) i) s`;

const COMPLETED_AT = `assigned_at + (2 + h2 % 20) * interval '1 day'`;
/** Every even course issues certificates valid 12 or 24 months (see the course insert). */
const EXPIRES = `CASE WHEN k % 2 = 0
  THEN ((${COMPLETED_AT}) AT TIME ZONE 'UTC' + make_interval(months => (12 + 12 * (k / 2 % 2))::int))::date END`;

const PROFILES = `
INSERT INTO profiles (id, tenant_id, display_name, email, role)
SELECT admin_id, tenant_id, 'Ada Auditor', 'ada@records.example', 'admin' FROM seed_records
UNION ALL SELECT officer_id, tenant_id, 'Olu Officer', 'olu@records.example', 'safety_officer' FROM seed_records
UNION ALL SELECT ${uuid(`'w' || u`)}, tenant_id, 'Worker ' || u, 'worker' || u || '@records.example', 'worker'
FROM seed_records t, generate_series(0, t.rows / t.per_worker - 1) u`;

const COURSES = `
INSERT INTO training_courses (id, tenant_id, title, category, created_by, issues_certificate, expiry_months,
                              requires_quiz, created_at)
SELECT ${uuid(`'c' || k`)}, tenant_id,
       (ARRAY['Forklift', 'Ladder', 'Fire', 'Chemical', 'Lockout/Tagout'])[1 + k % 5] || ' safety ' || k,
       (ARRAY['equipment_safety', 'hazard_awareness', 'emergency_response', 'compliance'])[1 + k % 4],
       officer_id, k % 2 = 0, CASE WHEN k % 2 = 0 THEN 12 + 12 * (k / 2 % 2) END, true, now() - k * interval '1 hour'
FROM seed_records t, generate_series(0, t.per_worker - 1) k`;

const ASSIGNMENTS = `
INSERT INTO training_assignments (id, tenant_id, course_id, user_id, assigned_by, assignment_type, due_date, status,
                                  assigned_at, started_at, completed_at, cancelled_at, cancelled_by, cancel_reason,
                                  created_at, updated_at)
SELECT assignment_id, tenant_id, course_id, user_id, officer_id, (ARRAY['manual', 'auto', 'risk_based'])[1 + h2 % 3],
       CASE WHEN h < 85 THEN assigned_at::date + 30 ELSE current_date - 1 - h2 % 30 END,
       CASE WHEN h < 50 THEN 'completed' WHEN h < 70 THEN 'assigned' WHEN h < 85 THEN 'in_progress'
            WHEN h < 95 THEN 'overdue' ELSE 'cancelled' END,
       assigned_at,
       CASE WHEN h < 50 OR h BETWEEN 70 AND 84 THEN assigned_at + interval '1 day' END,
       CASE WHEN h < 50 THEN ${COMPLETED_AT} END,
       CASE WHEN h >= 95 THEN assigned_at + interval '3 days' END,
       CASE WHEN h >= 95 THEN officer_id END,
       CASE WHEN h >= 95 THEN 'No longer needed' END,
       assigned_at, assigned_at
FROM (${SLOTS}) x, seed_records`;

/** The passed completion of each completed assignment, and a failed quiz before it on a fifth of the started ones. */
const COMPLETIONS = `
INSERT INTO training_completions (id, tenant_id, assignment_id, course_id, user_id, score, passed, source,
                                  completion_time_minutes, completed_at, expires_at, created_at, evidence)
SELECT ${uuid(`a.kind || i`)}, tenant_id, assignment_id, course_id, user_id, a.score, a.passed, 'quiz', 5 + h2 % 60,
       a.at, CASE WHEN a.passed THEN ${EXPIRES} END, a.at,
       jsonb_build_array(jsonb_build_object('kind', 'quiz', 'passed', a.passed, 'score', a.score,
                                            'recordedAt', a.at, 'recordedBy', user_id, 'recordedByName', 'Worker ' || u))
FROM (${SLOTS}) x
CROSS JOIN seed_records
CROSS JOIN LATERAL (
  SELECT 'p' AS kind, true AS passed, 70 + h2 % 31 AS score, ${COMPLETED_AT} AS at WHERE h < 50
  UNION ALL
  SELECT 'f', false, 20 + h2 % 40, assigned_at + interval '1 day 12 hours'
  WHERE (h < 50 OR h BETWEEN 70 AND 84) AND h2 % 5 = 0) a`;

const CERTIFICATES = `
INSERT INTO certificates (id, tenant_id, completion_id, user_id, course_id, code, issued_at, expires_at,
                          revoked_at, revoked_by, revoke_reason)
SELECT ${uuid(`'z' || i`)}, tenant_id, ${uuid(`'p' || i`)}, user_id, course_id, 'C' || md5('code' || i),
       ${COMPLETED_AT}, ${EXPIRES},
       CASE WHEN h2 % 20 = 0 THEN now() END, CASE WHEN h2 % 20 = 0 THEN officer_id END,
       CASE WHEN h2 % 20 = 0 THEN 'Issued in error' END
FROM (${SLOTS}) x, seed_records WHERE h < 50 AND k % 2 = 0`;

const COUNTERS = ['training_assignment_counts', 'training_assignment_due_counts', 'training_completion_counts'];

/** The analytics counters as the triggers would have left them (the same recount the migration that added them ran). */
const RECOUNTS = [
  `INSERT INTO training_assignment_counts (tenant_id, course_id, assigned, in_progress, completed, overdue, cancelled)
   SELECT tenant_id, course_id, count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'in_progress'),
          count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'overdue'),
          count(*) FILTER (WHERE status = 'cancelled')
   FROM training_assignments GROUP BY 1, 2`,
  `INSERT INTO training_assignment_due_counts (tenant_id, due_date, course_id, assigned, in_progress)
   SELECT tenant_id, due_date, course_id, count(*) FILTER (WHERE status = 'assigned'),
          count(*) FILTER (WHERE status = 'in_progress')
   FROM training_assignments WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL GROUP BY 1, 2, 3`,
  `INSERT INTO training_completion_counts
     (tenant_id, course_id, passed_count, minutes_sum, minutes_count, score_sum, score_count)
   SELECT tenant_id, course_id, count(*), coalesce(sum(completion_time_minutes), 0), count(completion_time_minutes),
          coalesce(sum(score), 0), count(score)
   FROM training_completions WHERE passed GROUP BY 1, 2`,
];

export interface RecordsCounts {
  assignments: number;
  completions: number;
  certificates: number;
}

export async function seedRecords(client: pg.Client, tenant: RecordsTenant): Promise<RecordsCounts> {
  const counts: number[] = [];
  await seedAsOwner(client, async (sql) => {
    await sql.query(
      `CREATE TEMP TABLE seed_records ON COMMIT DROP AS
       SELECT $1::int AS rows, $2::int AS per_worker, $3::uuid AS tenant_id, $4::uuid AS admin_id, $5::uuid AS officer_id`,
      [tenant.workers * tenant.perWorker, tenant.perWorker, tenant.tenantId, tenant.adminId, tenant.officerId],
    );
    const { rows: triggers } = await sql.query<{ table_name: string; name: string }>(
      `SELECT tgrelid::regclass::text AS table_name, tgname AS name FROM pg_trigger
       WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid = ANY($1::regclass[])`,
      [['profiles', 'training_courses', 'training_assignments', 'training_completions', 'certificates']],
    );
    for (const t of triggers) await sql.query(`ALTER TABLE ${t.table_name} DISABLE TRIGGER "${t.name}"`);
    for (const table of ['certificates', ...COUNTERS]) {
      await sql.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    }
    for (const statement of [PROFILES, COURSES, ASSIGNMENTS, COMPLETIONS, CERTIFICATES, ...RECOUNTS]) {
      const started = performance.now();
      const { rowCount } = await sql.query(statement);
      console.log(`  seeded ${rowCount} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      counts.push(rowCount ?? 0);
    }
    for (const table of ['certificates', ...COUNTERS]) await sql.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    for (const t of triggers) await sql.query(`ALTER TABLE ${t.table_name} ENABLE TRIGGER "${t.name}"`);
  });
  return { assignments: counts[2]!, completions: counts[3]!, certificates: counts[4]! };
}
