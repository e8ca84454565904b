import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/core/migrate.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner, TENANT_TABLES, uuid } from '../support/sql.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The migrations that put tenant_id into every key (and make the policies row-local) keep the data: a
 * database migrated up to the one before them, with rows in every table they touch in two tenants, holds
 * the same rows after them, and the relations still join.
 */

const FIRST = '20261211300000_tenant_keys';
const OURS = [FIRST, '20261211300100_row_local_policies'];

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
let before: Map<string, Record<string, unknown>[]>;
const tenants = [seedIds(), seedIds()];

function seedIds() {
  return {
    tenant: uuid(),
    admin: uuid(),
    officer: uuid(),
    worker: uuid(),
    course: uuid(),
    renewedCourse: uuid(),
    assignment: uuid(),
    renewal: uuid(),
    completion: uuid(),
    score: uuid(),
    question: uuid(),
    attempt: uuid(),
    file: uuid(),
    module: uuid(),
  };
}

/** A tenant's rows in every table the migrations change, written as the owner (the triggers add theirs). */
function seedSql(t: ReturnType<typeof seedIds>): string {
  return `
    INSERT INTO profiles (id, tenant_id, role, display_name) VALUES
      ('${t.admin}', '${t.tenant}', 'admin', 'Ada'), ('${t.officer}', '${t.tenant}', 'safety_officer', 'Otto'),
      ('${t.worker}', '${t.tenant}', 'worker', 'Wanda');
    INSERT INTO tenant_settings (tenant_id, name) VALUES ('${t.tenant}', 'Org');
    INSERT INTO predictive_scores (id, tenant_id, entity_type, entity_id, score)
      VALUES ('${t.score}', '${t.tenant}', 'worker', '${t.worker}', 81);
    INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
      VALUES ('${t.tenant}', gen_random_uuid(), '${t.worker}', '2026-03-02T08:00:00Z', '2026-03-02T16:00:00Z');
    INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) VALUES ('${t.tenant}', gen_random_uuid(), '${t.worker}');
    INSERT INTO training_courses (id, tenant_id, title, category, created_by, issues_certificate, expiry_months) VALUES
      ('${t.course}', '${t.tenant}', 'Gas', 'hazard_awareness', '${t.admin}', false, NULL),
      ('${t.renewedCourse}', '${t.tenant}', 'Height', 'hazard_awareness', '${t.admin}', true, 12);
    INSERT INTO training_assignments (id, tenant_id, course_id, user_id, status, assignment_type, trigger_score_id)
      VALUES ('${t.assignment}', '${t.tenant}', '${t.renewedCourse}', '${t.worker}', 'completed', 'risk_based', '${t.score}');
    INSERT INTO training_completions (id, tenant_id, assignment_id, course_id, user_id, score, passed, expires_at)
      VALUES ('${t.completion}', '${t.tenant}', '${t.assignment}', '${t.renewedCourse}', '${t.worker}', 92, true, '2027-03-01');
    INSERT INTO training_assignments (id, tenant_id, course_id, user_id, status, recertification_of)
      VALUES ('${t.renewal}', '${t.tenant}', '${t.renewedCourse}', '${t.worker}', 'assigned', '${t.completion}');
    INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code)
      VALUES ('${t.tenant}', '${t.completion}', '${t.worker}', '${t.renewedCourse}', 'keys-${t.tenant}');
    INSERT INTO risk_escalations (tenant_id, completion_id, assignment_id, course_id, user_id, entity_type, entity_id,
                                  score_before, score_id, score_now, threshold, completed_at)
      VALUES ('${t.tenant}', '${t.completion}', '${t.assignment}', '${t.renewedCourse}', '${t.worker}', 'worker',
              '${t.worker}', 81, '${t.score}', 79, 70, '2026-03-01T12:00:00Z');
    INSERT INTO notification_preferences (tenant_id, user_id, email_opt_out) VALUES ('${t.tenant}', '${t.worker}', '{due_soon}');
    INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, score, recorded_by)
      VALUES ('${t.tenant}', '${t.renewal}', '${t.worker}', 'practical_evaluation', false, 40, '${t.officer}');
    INSERT INTO scheduled_job_runs (job, tenant_id, slot, instance, affected)
      VALUES ('overdue_sweep', '${t.tenant}', '2026-03-02T05:00:00Z', 'keys-test', 0);
    INSERT INTO quiz_questions (id, tenant_id, kind, text, created_by)
      VALUES ('${t.question}', '${t.tenant}', 'single_choice', 'Heavier than air?', '${t.admin}');
    INSERT INTO quiz_choices (tenant_id, question_id, position, text, credit) VALUES ('${t.tenant}', '${t.question}', 0, 'H2S', 100);
    INSERT INTO course_quizzes (tenant_id, course_id, tags, question_count, pass_mark, updated_by)
      VALUES ('${t.tenant}', '${t.renewedCourse}', '{gases}', 1, 80, '${t.admin}');
    INSERT INTO quiz_attempts (id, tenant_id, assignment_id, course_id, user_id, number, pass_mark)
      VALUES ('${t.attempt}', '${t.tenant}', '${t.renewal}', '${t.renewedCourse}', '${t.worker}', 1, 80);
    INSERT INTO quiz_attempt_questions (tenant_id, attempt_id, question_id, position, kind, text, points, choices)
      VALUES ('${t.tenant}', '${t.attempt}', '${t.question}', 0, 'single_choice', 'frozen', 1, '[]');
    INSERT INTO quiz_answers (tenant_id, attempt_id, question_id, choice_ids, ordering)
      VALUES ('${t.tenant}', '${t.attempt}', '${t.question}', '{}', '{}');
    INSERT INTO content_files (id, tenant_id, content_type, size, created_by)
      VALUES ('${t.file}', '${t.tenant}', 'video/mp4', 1024, '${t.admin}');
    INSERT INTO course_modules (id, tenant_id, course_id, title, kind, content_id)
      VALUES ('${t.module}', '${t.tenant}', '${t.renewedCourse}', 'Intro', 'video', '${t.file}');
    INSERT INTO module_progress (tenant_id, assignment_id, module_id, user_id, seconds_spent)
      VALUES ('${t.tenant}', '${t.renewal}', '${t.module}', '${t.worker}', 30);
    INSERT INTO lrs_credentials (tenant_id, name, secret_hash, created_by)
      VALUES ('${t.tenant}', 'tool', decode('00', 'hex'), '${t.admin}');
    INSERT INTO xapi_launch_tokens (tenant_id, fetch_hash, actor, registration, activity_id, expires_at)
      VALUES ('${t.tenant}', decode(md5('${t.tenant}'), 'hex'), '{}', gen_random_uuid(), 'https://example.com/au', '2999-01-01');
    INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, status, response)
      VALUES ('${t.tenant}', '${t.admin}', 'retry-1', 'h', 200, '{}');`;
}

/** Tables a later migration creates and fills from the others (its own test checks that). */
const CREATED_LATER: readonly string[] = ['training_holdings'];

/** Every row of every tenant table, as JSON, in a stable order. */
async function snapshot(): Promise<Map<string, Record<string, unknown>[]>> {
  const tables = new Map<string, Record<string, unknown>[]>();
  for (const table of TENANT_TABLES.filter((name) => !CREATED_LATER.includes(name))) {
    const rows = await sql.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM "${table}" t ORDER BY to_jsonb(t)::text`,
    );
    tables.set(
      table,
      rows.map((r) => r.row),
    );
  }
  return tables;
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'training-migrations-'));
  try {
    for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
      if (name < FIRST) cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
    }
    db = await freshDatabase({ migrated: false });
    sql = owner(db);
    await migrate(db, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const ids of tenants) await db.withConnection((c) => c.exec(seedSql(ids)));
  before = await snapshot();
  const applied = await migrate(db);
  expect(applied.slice(0, OURS.length)).toEqual(OURS);
}, setupTimeout(240_000));
afterAll(() => db.drop());

describe('the distribution-key migrations keep the data', () => {
  it('seeded a row in every table they change, in both tenants', () => {
    const changed = [
      'profiles',
      'predictive_scores',
      'shift_assignments',
      'equipment_operators',
      'training_courses',
      'training_assignments',
      'training_completions',
      'certificates',
      'notifications',
      'risk_escalations',
      'training_evidence',
      'scheduled_job_runs',
      'quiz_questions',
      'quiz_choices',
      'course_quizzes',
      'quiz_attempts',
      'quiz_attempt_questions',
      'quiz_answers',
      'audit_events',
      'content_files',
      'course_modules',
      'module_progress',
      'lrs_credentials',
      'xapi_launch_tokens',
      'idempotency_keys',
      'tenant_settings',
    ];
    for (const table of changed) {
      const tenantsSeen = new Set(before.get(table)!.map((row) => row.tenant_id));
      expect([...tenantsSeen].sort(), table).toEqual(tenants.map((t) => t.tenant).sort());
    }
  });

  it('every row is still there, unchanged (a new column aside)', async () => {
    const after = await snapshot();
    // The assignment counters change shape in a later migration (a row per course), which its own test checks.
    const reshaped = ['training_assignment_counts', 'training_assignment_due_counts'];
    for (const table of TENANT_TABLES.filter((name) => !reshaped.includes(name) && !CREATED_LATER.includes(name))) {
      const kept = before.get(table)!;
      const columns = new Set(kept.flatMap((row) => Object.keys(row)));
      const now = after
        .get(table)!
        .map((row) =>
          Object.fromEntries(Object.entries(row).filter(([column]) => columns.size === 0 || columns.has(column))),
        )
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const then = [...kept].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(now, table).toEqual(then);
    }
  });

  it('a quiz row’s new user_id is its attempt’s user', async () => {
    for (const table of ['quiz_attempt_questions', 'quiz_answers']) {
      const rows = await sql.query<{ tenant_id: string; user_id: string }>(
        `SELECT tenant_id, user_id FROM "${table}" ORDER BY tenant_id`,
      );
      expect(rows.map((row) => [row.tenant_id, row.user_id]).sort(), table).toEqual(
        tenants.map((t) => [t.tenant, t.worker]).sort(),
      );
    }
  });

  it('the relations still join, each within its tenant', async () => {
    for (const t of tenants) {
      const renewal = await db.prisma.trainingAssignment.findUniqueOrThrow({
        where: { tenantId_id: { tenantId: t.tenant, id: t.renewal } },
        include: { recertificationOf: { include: { certificate: true, assignment: true } }, quizAttempts: true },
      });
      expect(renewal.recertificationOf?.id).toBe(t.completion);
      expect(renewal.recertificationOf?.certificate?.code).toBe(`keys-${t.tenant}`);
      expect(renewal.recertificationOf?.assignment.triggerScoreId).toBe(t.score);
      expect(renewal.quizAttempts.map((a) => a.id)).toEqual([t.attempt]);
      const answer = await db.prisma.quizAnswer.findFirstOrThrow({
        where: { tenantId: t.tenant },
        include: { attempt: true, attemptQuestion: true },
      });
      expect(answer.attempt.id).toBe(t.attempt);
      expect(answer.attemptQuestion.questionId).toBe(t.question);
      const progress = await db.prisma.moduleProgress.findFirstOrThrow({
        where: { tenantId: t.tenant },
        include: { module: { include: { content: true } }, assignment: true },
      });
      expect(progress.module.content?.id).toBe(t.file);
      expect(progress.assignment.id).toBe(t.renewal);
    }
  });
});
