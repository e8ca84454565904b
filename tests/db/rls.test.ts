import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import { openDatabase, type SqlConnection } from '../../src/core/db.js';
import { ROLES, type Role } from '../../src/core/permissions.js';
import { FOREIGN_KEY_VIOLATION, INSUFFICIENT_PRIVILEGE } from '../../src/core/sqlstate.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { onCitus, spanningTenants } from '../support/citus.js';
import {
  attempt,
  owner,
  probeAsCaller as runAsCaller,
  sqlError,
  TENANT_TABLES,
  uuid,
  type Row,
} from '../support/sql.js';

/** This file's statements are its own probes of RLS, not the API's: kept out of the statement-tenancy check. */

/**
 * A resolver bug must still not leak a row: the database alone stops
 * cross-tenant reads and writes. Every statement here is raw SQL
 * issued as the application role (runAsCaller: SET LOCAL ROLE training_app and
 * app.tenant_id/user_id/role), with no resolver in between. The data set is
 * seeded by the owner, which RLS does not govern.
 */

const TABLES = TENANT_TABLES;
type Table = (typeof TABLES)[number];

/** The column that names one row (`rowOf`) of each table: its id, or the key column of a table without one. */
const KEY: Record<Table, string> = {
  ...(Object.fromEntries(TABLES.map((table) => [table, 'id'])) as Record<Table, string>),
  notification_preferences: 'user_id',
  training_assignment_counts: 'course_id',
  training_assignment_due_counts: 'course_id',
  training_completion_counts: 'course_id',
  training_holdings: 'user_id',
  // Keyed by text (a hash, an IRI, a document's key): the tenant names their rows.
  xapi_attachments: 'tenant_id',
  xapi_activities: 'tenant_id',
  xapi_documents: 'tenant_id',
  idempotency_keys: 'user_id',
  tenant_settings: 'tenant_id',
};

/** One tenant's seeded rows; the same shape in tenant A and tenant B. */
interface Tenant {
  id: string;
  users: Record<Role, string> & { worker2: string };
  course1: string;
  course2: string;
  /** worker's, assigned (due in a month). */
  workerAssigned: string;
  /** worker's, completed; has the worker's completion. */
  workerCompleted: string;
  /** worker's, cancelled by the admin. */
  workerCancelled: string;
  /** worker2's, in progress; has worker2's failed attempt. */
  worker2InProgress: string;
  /** worker2's, completed; has worker2's passed completion (no certificate, no escalation yet). */
  worker2Completed: string;
  /** The worker's passed completion of course2 (a certifying course): has a certificate and an escalation. */
  workerCompletion: string;
  worker2Completion: string;
  worker2Passed: string;
  /** The worker's risk score. */
  score: string;
  /** course1's video module (an uploaded file). */
  module: string;
  /** Two questions of the bank; the worker's open quiz attempt (at workerAssigned) shows both, has an answer to the first. */
  question: string;
  question2: string;
  attempt: string;
  /** A row per table (its KEY value), for targeted statements. */
  rowOf: Record<Table, string>;
}

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
let A: Tenant;
let B: Tenant;

async function seedTenant(): Promise<Tenant> {
  const id = uuid();
  const users = { admin: uuid(), safety_officer: uuid(), worker: uuid(), worker2: uuid(), service: uuid() };
  for (const [key, userId] of Object.entries(users)) {
    await sql.insert('profiles', {
      id: userId,
      tenant_id: id,
      role: key === 'worker2' ? 'worker' : key,
      display_name: key,
    });
  }
  const course = async (title: string) =>
    (
      await sql.insert('training_courses', {
        tenant_id: id,
        title,
        category: 'hazard_awareness',
        created_by: users.admin,
      })
    ).id as string;
  const course1 = await course('Hazard awareness');
  const course2 = await course('Working at height');
  await sql.query('UPDATE training_courses SET issues_certificate = true WHERE id = $1', [course2]);
  const assignment = async (course_id: string, user_id: string, status: string) =>
    (
      await sql.insert('training_assignments', {
        tenant_id: id,
        course_id,
        user_id,
        status,
        assigned_by: users.admin,
        due_date: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        ...(status === 'cancelled' ? { cancelled_at: new Date(), cancelled_by: users.admin } : {}),
      })
    ).id as string;
  const workerAssigned = await assignment(course1, users.worker, 'assigned');
  const workerCompleted = await assignment(course2, users.worker, 'completed');
  const worker2InProgress = await assignment(course1, users.worker2, 'in_progress');
  const workerCancelled = await assignment(course2, users.worker, 'cancelled');
  const worker2Completed = await assignment(course2, users.worker2, 'completed');
  const completion = async (assignment_id: string, course_id: string, user_id: string, passed: boolean) =>
    (
      await sql.insert('training_completions', {
        tenant_id: id,
        assignment_id,
        course_id,
        user_id,
        score: passed ? 92 : 40,
        passed,
        completion_time_minutes: 30,
      })
    ).id as string;
  const workerCompletion = await completion(workerCompleted, course2, users.worker, true);
  const worker2Completion = await completion(worker2InProgress, course1, users.worker2, false);
  const worker2Passed = await completion(worker2Completed, course2, users.worker2, true);
  const score = (
    await sql.insert('predictive_scores', { tenant_id: id, entity_type: 'worker', entity_id: users.worker, score: 81 })
  ).id as string;
  await sql.insert('predictive_scores', { tenant_id: id, entity_type: 'zone', entity_id: uuid(), score: 64 });
  const shift = async (user_id: string) =>
    (
      await sql.insert('shift_assignments', {
        tenant_id: id,
        zone_id: uuid(),
        user_id,
        starts_at: '2026-03-02T08:00:00Z',
        ends_at: '2026-03-02T16:00:00Z',
      })
    ).id as string;
  const shiftId = await shift(users.worker);
  await shift(users.worker2);
  const operator = async (user_id: string) =>
    (await sql.insert('equipment_operators', { tenant_id: id, equipment_id: uuid(), user_id })).id as string;
  const operatorId = await operator(users.worker);
  await operator(users.worker2);
  // The tables added with certificates, notifications and the risk loop. Each seeded assignment
  // already has its ASSIGNMENT_CREATED notification (the outbox trigger); the counters are the
  // triggers' too.
  const certificate = (
    await sql.insert('certificates', {
      tenant_id: id,
      completion_id: workerCompletion,
      user_id: users.worker,
      course_id: course2,
      code: `rls-${uuid()}`,
    })
  ).id as string;
  const [notification] = await sql.query<{ id: string }>('SELECT id FROM notifications WHERE assignment_id = $1', [
    workerAssigned,
  ]);
  for (const user_id of [users.admin, users.worker]) {
    await sql.insert('notification_preferences', { tenant_id: id, user_id, email_opt_out: '{due_soon}' });
  }
  const escalation = (
    await sql.insert('risk_escalations', {
      tenant_id: id,
      completion_id: workerCompletion,
      assignment_id: workerCompleted,
      course_id: course2,
      user_id: users.worker,
      entity_type: 'worker',
      entity_id: users.worker,
      score_before: 81,
      score_id: score,
      score_now: 79,
      threshold: 70,
      completed_at: '2026-03-01T12:00:00Z',
    })
  ).id as string;
  // A failed practical evaluation of the worker's assigned course.
  const evidence = (
    await sql.insert('training_evidence', {
      tenant_id: id,
      assignment_id: workerAssigned,
      user_id: users.worker,
      kind: 'practical_evaluation',
      passed: false,
      score: 40,
      notes: 'Missed the pre-use check',
      recorded_by: users.safety_officer,
    })
  ).id as string;
  const run = (
    await sql.insert('scheduled_job_runs', {
      job: 'overdue_sweep',
      tenant_id: id,
      slot: '2026-03-02T05:00:00Z',
      instance: 'rls-test',
      affected: 0,
    })
  ).id as string;
  // Quizzes: a bank of two questions, course1's quiz, the worker's open attempt showing both, one answer.
  const question = async (text: string) =>
    (await sql.insert('quiz_questions', { tenant_id: id, kind: 'single_choice', text, created_by: users.admin }))
      .id as string;
  const question1 = await question('Which gas is heavier than air?');
  const question2 = await question('Who may enter a confined space?');
  const choice = (
    await sql.insert('quiz_choices', { tenant_id: id, question_id: question1, position: 0, text: 'H2S', credit: 100 })
  ).id as string;
  const quiz = (
    await sql.insert('course_quizzes', {
      tenant_id: id,
      course_id: course1,
      tags: '{gases}',
      question_count: 2,
      pass_mark: 80,
      updated_by: users.admin,
    })
  ).id as string;
  const attempt = (
    await sql.insert('quiz_attempts', {
      tenant_id: id,
      assignment_id: workerAssigned,
      course_id: course1,
      user_id: users.worker,
      number: 1,
      pass_mark: 80,
    })
  ).id as string;
  const attemptQuestion = async (question_id: string, position: number) =>
    (
      await sql.insert('quiz_attempt_questions', {
        tenant_id: id,
        attempt_id: attempt,
        question_id,
        position,
        kind: 'single_choice',
        text: 'frozen',
        points: 1,
        choices: JSON.stringify([{ id: choice, text: 'H2S' }]),
      })
    ).id as string;
  const shown = await attemptQuestion(question1, 0);
  await attemptQuestion(question2, 1);
  const answer = (
    await sql.insert('quiz_answers', {
      tenant_id: id,
      attempt_id: attempt,
      question_id: question1,
      choice_ids: [choice],
      ordering: [],
    })
  ).id as string;
  // The audit trail of the owner's inserts above (the trigger records every write, the owner's too).
  const [auditEvent] = await sql.query<{ id: string }>('SELECT id FROM audit_events WHERE tenant_id = $1 LIMIT 1', [
    id,
  ]);
  // Content: an uploaded video, course1's module playing it, the worker's progress through it.
  const file = (
    await sql.insert('content_files', { tenant_id: id, content_type: 'video/mp4', size: 1024, created_by: users.admin })
  ).id as string;
  const module = (
    await sql.insert('course_modules', {
      tenant_id: id,
      course_id: course1,
      title: 'Intro',
      kind: 'video',
      content_id: file,
    })
  ).id as string;
  const progress = (
    await sql.insert('module_progress', {
      tenant_id: id,
      assignment_id: workerAssigned,
      module_id: module,
      user_id: users.worker,
      seconds_spent: 30,
    })
  ).id as string;
  // The LRS: a credential, a launch token, a statement, an attachment, an activity, a state document.
  const credential = (
    await sql.insert('lrs_credentials', {
      tenant_id: id,
      name: 'authoring tool',
      secret_hash: seedBytes(ZEROS),
      created_by: users.admin,
    })
  ).id as string;
  const launch = (await sql.insert('xapi_launch_tokens', xapiRow('xapi_launch_tokens', id, seedBytes))).id as string;
  const statement = (await sql.insert('xapi_statements', xapiRow('xapi_statements', id, seedBytes))).id as string;
  for (const table of ['xapi_attachments', 'xapi_activities', 'xapi_documents'] as const) {
    await sql.insert(table, xapiRow(table, id, seedBytes));
  }
  // The tenant's name (one row per tenant).
  await sql.insert('tenant_settings', { tenant_id: id, name: 'Seeded Org', updated_by: users.admin });
  // The admin's kept response to a mutation sent with an Idempotency-Key.
  await sql.insert('idempotency_keys', {
    tenant_id: id,
    user_id: users.admin,
    key: 'retry-1',
    request_hash: 'h',
    status: 200,
    response: '{}',
  });
  return {
    id,
    users,
    module,
    question: question1,
    question2,
    attempt,
    course1,
    course2,
    workerAssigned,
    workerCompleted,
    workerCancelled,
    worker2InProgress,
    worker2Completed,
    workerCompletion,
    worker2Completion,
    worker2Passed,
    score,
    rowOf: {
      profiles: users.worker,
      predictive_scores: score,
      shift_assignments: shiftId,
      equipment_operators: operatorId,
      training_courses: course1,
      training_assignments: workerAssigned,
      training_completions: workerCompletion,
      certificates: certificate,
      notifications: notification!.id,
      // The admin's own: the one row an admin may update (to show the WITH CHECK refusing a move).
      notification_preferences: users.admin,
      risk_escalations: escalation,
      training_evidence: evidence,
      scheduled_job_runs: run,
      training_assignment_counts: course1,
      training_assignment_due_counts: course1,
      training_completion_counts: course2,
      training_holdings: users.worker,
      quiz_questions: question1,
      quiz_choices: choice,
      course_quizzes: quiz,
      quiz_attempts: attempt,
      quiz_attempt_questions: shown,
      // The worker's own, in their open attempt: the one row they may update (to show the WITH CHECK refusing a move).
      quiz_answers: answer,
      audit_events: auditEvent!.id,
      content_files: file,
      course_modules: module,
      module_progress: progress,
      lrs_credentials: credential,
      xapi_launch_tokens: launch,
      xapi_statements: statement,
      xapi_attachments: id,
      xapi_activities: id,
      xapi_documents: id,
      idempotency_keys: users.admin,
      tenant_settings: id,
    },
  };
}

/** bytea for the owner's insert (a Buffer), or as text for insertAs (rows travel as JSON to json_populate_record). */
const seedBytes = (hex: string): unknown => Buffer.from(hex, 'hex');
const jsonBytes = (hex: string): unknown => `\\x${hex}`;
const ZEROS = '00'.repeat(32);

/** A new row of an LRS table (fresh keys each call). */
function xapiRow(
  table: 'xapi_launch_tokens' | 'xapi_statements' | 'xapi_attachments' | 'xapi_activities' | 'xapi_documents',
  tenantId: string,
  bytes: (hex: string) => unknown,
): Row {
  const actor = { mbox: 'mailto:worker@example.com' };
  switch (table) {
    case 'xapi_launch_tokens':
      return {
        tenant_id: tenantId,
        fetch_hash: bytes(uuid().replaceAll('-', '')),
        actor: JSON.stringify(actor),
        registration: uuid(),
        activity_id: 'https://example.com/au/1',
        expires_at: '2999-01-01T00:00:00Z',
      };
    case 'xapi_statements':
      return {
        tenant_id: tenantId,
        id: uuid(),
        stored: '2026-03-03T08:00:00Z',
        statement: JSON.stringify({ actor, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' } }),
        verb_id: 'http://adlnet.gov/expapi/verbs/experienced',
        actor_key: 'mbox:mailto:worker@example.com',
        related_agents: ['mbox:mailto:worker@example.com'],
        related_activities: [],
      };
    case 'xapi_attachments':
      return { tenant_id: tenantId, sha2: uuid(), content_type: 'text/plain', content: bytes(ZEROS) };
    case 'xapi_activities':
      return { tenant_id: tenantId, id: `https://example.com/activity/${uuid()}`, definition: null };
    case 'xapi_documents':
      return {
        tenant_id: tenantId,
        kind: 'state',
        activity_id: 'https://example.com/au/1',
        agent_key: 'mbox:mailto:worker@example.com',
        registration: '',
        document_id: uuid(),
        content: bytes(ZEROS),
        content_type: 'application/json',
        etag: '"x"',
        updated_at: '2026-03-03T08:00:00Z',
      };
  }
}

/** A valid new row for `table` in tenant `t` (valid references, no unique clash), so only RLS can refuse it. */
function newRow(table: Table, t: Tenant): Row {
  switch (table) {
    case 'profiles':
      return { id: uuid(), tenant_id: t.id, role: 'worker' };
    case 'predictive_scores':
      return { tenant_id: t.id, entity_type: 'worker', entity_id: t.users.worker2, score: 42 };
    case 'shift_assignments':
      return {
        tenant_id: t.id,
        zone_id: uuid(),
        user_id: t.users.worker,
        starts_at: '2026-03-03T08:00:00Z',
        ends_at: '2026-03-03T16:00:00Z',
      };
    case 'equipment_operators':
      return { tenant_id: t.id, equipment_id: uuid(), user_id: t.users.worker };
    case 'training_courses':
      return { tenant_id: t.id, title: 'Confined spaces', category: 'other', created_by: t.users.admin };
    case 'training_assignments':
      return { tenant_id: t.id, course_id: t.course2, user_id: t.users.worker2, assignment_type: 'manual' };
    case 'training_completions':
      // The worker completing their own assigned course.
      return {
        tenant_id: t.id,
        assignment_id: t.workerAssigned,
        course_id: t.course1,
        user_id: t.users.worker,
        score: 88,
        passed: true,
        completion_time_minutes: 20,
      };
    case 'certificates':
      // worker2's passed completion of the certifying course, not yet certified.
      return {
        tenant_id: t.id,
        completion_id: t.worker2Passed,
        user_id: t.users.worker2,
        course_id: t.course2,
        code: `rls-${uuid()}`,
      };
    case 'notifications':
      return {
        tenant_id: t.id,
        user_id: t.users.worker,
        kind: 'due_soon',
        assignment_id: t.workerAssigned,
        subject: `${t.workerAssigned}:due`,
      };
    case 'notification_preferences':
      // The safety officer has none yet.
      return { tenant_id: t.id, user_id: t.users.safety_officer, email_opt_out: ['overdue'] };
    case 'risk_escalations':
      return {
        tenant_id: t.id,
        completion_id: t.worker2Passed,
        assignment_id: t.worker2Completed,
        course_id: t.course2,
        user_id: t.users.worker2,
        entity_type: 'worker',
        entity_id: t.users.worker2,
        score_before: 75,
        score_now: 74,
        threshold: 70,
        completed_at: '2026-03-01T12:00:00Z',
      };
    case 'training_evidence':
      // An admin's practical evaluation of worker2's assignment.
      return {
        tenant_id: t.id,
        assignment_id: t.worker2InProgress,
        user_id: t.users.worker2,
        kind: 'practical_evaluation',
        passed: true,
        score: 80,
        recorded_by: t.users.admin,
      };
    case 'scheduled_job_runs':
      return { job: 'auto_assign', tenant_id: t.id, slot: '2026-03-03T00:00:00Z', instance: 'rls-test' };
    case 'training_assignment_counts':
      return { tenant_id: t.id, course_id: t.course1, overdue: 1 };
    case 'training_assignment_due_counts':
      return { tenant_id: t.id, due_date: '2026-03-03', course_id: t.course1, assigned: 1 };
    case 'training_holdings':
      return { tenant_id: t.id, user_id: t.users.admin, course_ids: [t.course1], expires_on: ['infinity'] };
    case 'training_completion_counts':
      return {
        tenant_id: t.id,
        course_id: t.course1,
        passed_count: 1,
        minutes_sum: 20,
        minutes_count: 1,
        score_sum: 88,
        score_count: 1,
      };
    case 'quiz_questions':
      return { tenant_id: t.id, kind: 'true_false', text: 'Is H2S heavier than air?', created_by: t.users.admin };
    case 'quiz_choices':
      return { tenant_id: t.id, question_id: t.question, position: 1, text: 'CH4', credit: 0 };
    case 'course_quizzes':
      return {
        tenant_id: t.id,
        course_id: t.course2,
        tags: ['height'],
        question_count: 1,
        pass_mark: 50,
        updated_by: t.users.admin,
      };
    case 'quiz_attempts':
      return {
        tenant_id: t.id,
        assignment_id: t.worker2InProgress,
        course_id: t.course1,
        user_id: t.users.worker2,
        number: 1,
        pass_mark: 80,
      };
    case 'quiz_attempt_questions':
      // Only the grader's functions write here: the privilege refuses this before any key is looked at.
      return {
        tenant_id: t.id,
        attempt_id: t.attempt,
        question_id: t.question,
        position: 7,
        kind: 'single_choice',
        text: 'frozen',
        points: 1,
        choices: [],
      };
    case 'quiz_answers':
      // The worker's answer to the second question of their open attempt.
      return { tenant_id: t.id, attempt_id: t.attempt, question_id: t.question2, choice_ids: [], ordering: [] };
    case 'audit_events':
      // Only the audit trigger (as the owner) appends here: the privilege refuses any caller.
      return {
        tenant_id: t.id,
        actor_id: t.users.admin,
        action: 'create',
        entity_type: 'training_courses',
        entity_id: t.course1,
        changes: { before: null, after: {} },
      };
    case 'content_files':
      return { tenant_id: t.id, content_type: 'application/pdf', size: 10, created_by: t.users.admin };
    case 'course_modules':
      return { tenant_id: t.id, course_id: t.course2, title: 'Checklist', kind: 'link', url: 'https://example.com/x' };
    case 'module_progress':
      // worker2's progress through course1's video, on their assignment in progress.
      return { tenant_id: t.id, assignment_id: t.worker2InProgress, module_id: t.module, user_id: t.users.worker2 };
    case 'lrs_credentials':
      return { tenant_id: t.id, name: 'another tool', secret_hash: jsonBytes(ZEROS), created_by: t.users.admin };
    case 'xapi_launch_tokens':
    case 'xapi_statements':
    case 'xapi_attachments':
    case 'xapi_activities':
    case 'xapi_documents':
      return xapiRow(table, t.id, jsonBytes);
    case 'idempotency_keys':
      return { tenant_id: t.id, user_id: t.users.admin, key: 'retry-2', request_hash: 'h' };
    case 'tenant_settings':
      // The tenant's one row exists: RLS refuses before the key would (only B's is ever inserted here).
      return { tenant_id: t.id, name: 'Another name' };
  }
}

/**
 * INSERT as the caller: the row travels as JSON and PostgreSQL casts each column (uuid, numeric, timestamptz…).
 * One VALUES row, not an INSERT … SELECT, which Citus would copy into the shard, and COPY refuses RLS.
 */
function insertAs(tx: CallerTransaction, table: Table, row: Row): Promise<number> {
  const columns = Object.keys(row).map((c) => `"${c}"`);
  const values = columns.map((c) => `(json_populate_record(NULL::"${table}", $1::json)).${c}`);
  return tx.$executeRawUnsafe(
    `INSERT INTO "${table}" (${columns.join(', ')}) VALUES (${values.join(', ')})`,
    JSON.stringify(row),
  );
}

async function countAs(tx: CallerTransaction, table: Table, where = 'true', ...params: unknown[]): Promise<number> {
  const [row] = await tx.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`,
    ...params,
  );
  return row!.n;
}

/** Citus refuses a change of the distribution column (`tenant_id`) before RLS or a privilege would. */
const TENANT_CHANGE_REFUSED = onCitus ? ['0A000'] : [];

const callerOf = (t: Tenant, role: Role): Caller => ({ tenantId: t.id, userId: t.users[role], role });

/** A digest of every row a tenant has in `table`, read by the owner. */
async function fingerprint(table: Table, tenant: Tenant): Promise<string> {
  return (await sql.fingerprints([table], tenant.id))[table];
}

/** Runs `fn` on an owner session: a brand-new connection on PostgreSQL when `fresh`, else a pooled/PGlite one. */
async function inSession<T>(fresh: boolean, fn: (session: SqlConnection) => Promise<T>): Promise<T> {
  if (!fresh || !db.url) return db.withConnection(fn);
  const session = await openDatabase({ url: db.url, poolMax: 1 });
  try {
    return await (onCitus ? spanningTenants(session.withConnection.bind(session)) : session.withConnection)(fn);
  } finally {
    await session.close();
  }
}

const seeded = new Map<string, string>();

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  A = await seedTenant();
  B = await seedTenant();
  for (const table of TABLES) for (const t of [A, B]) seeded.set(`${table}:${t.id}`, await fingerprint(table, t));
});
afterAll(() => db.drop());

describe('RLS is on everywhere', () => {
  it('every application table (including ones added later) has row-level security enabled and forced', async () => {
    const tables = await sql.query<{ table: string; enabled: boolean; forced: boolean }>(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
         AND c.relname <> '_prisma_migrations'
       ORDER BY c.relname`,
    );
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining([...TABLES]));
    expect(tables.filter((t) => !t.enabled || !t.forced)).toEqual([]);
  });

  it('every relation with a tenant_id column is in TENANT_TABLES, so the checks below (and the tenancy and fuzz checksums) cover it', async () => {
    // Views and foreign tables too: a view of tenant rows would read them as its owner, past RLS.
    const relations = await sql.query<{ relation: string }>(
      `SELECT c.relname AS relation
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY c.relname`,
    );
    const missing = relations
      .map((r) => r.relation)
      .filter((relation) => !(TABLES as readonly string[]).includes(relation));
    expect(missing, 'add these to TENANT_TABLES (tests/support/sql.ts) and give them fixtures here').toEqual([]);
    expect(relations.map((r) => r.relation).sort()).toEqual([...TABLES].sort());
  });

  it('every foreign key between tenant tables includes tenant_id, so no row can point into another tenant', async () => {
    // A foreign key is checked by the owner, past RLS: on a bare id, a caller of tenant A could point a
    // row at B's row (learning that the id exists in B), B's deletes would cascade into A, and whatever
    // joins by that id (the e-mail claim) would read B's row for A. Fixed in 20261203000200.
    const keys = await sql.query<{ name: string; table: string; pairs: string[] }>(
      `SELECT c.conname AS name, c.conrelid::regclass::text AS table,
              array(SELECT a.attname || '=' || r.attname
                    FROM unnest(c.conkey, c.confkey) AS k(col, ref)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
                    JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = k.ref) AS pairs
       FROM pg_constraint c
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
         AND c.conrelid::regclass::text = ANY($1) AND c.confrelid::regclass::text = ANY($1)
       ORDER BY 1`,
      [[...TABLES]],
    );
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((key) => !key.pairs.includes('tenant_id=tenant_id'))).toEqual([]);
  });
});

describe('RLS: a tenant-A session cannot touch tenant B', () => {
  const cases = TABLES.flatMap((table) => ROLES.map((role) => [table, role] as const));

  it.each(cases)('%s as %s: reads none of B, updates none, deletes none, inserts none', async (table, role) => {
    const caller = callerOf(A, role);
    /** Committed on purpose (if RLS let anything through, the owner would see it below): rows changed, or the SQLSTATE. */
    const write = (text: string, ...params: unknown[]) =>
      runAsCaller(db.prisma, caller, (tx) => tx.$executeRawUnsafe(text, ...params)).then(
        (n) => n,
        (error: unknown) => sqlError(error).code,
      );

    const read = await runAsCaller(db.prisma, caller, async (tx) => ({
      readByTenant: await countAs(tx, table, 'tenant_id = $1::uuid', B.id),
      readByKey: await countAs(tx, table, `"${KEY[table]}" = $1::uuid`, B.rowOf[table]),
      readForeign: await countAs(tx, table, 'tenant_id <> $1::uuid', A.id),
    }));
    // Pulling B's rows into A would satisfy WITH CHECK; only the USING clause stands in the way
    // (or, on tables the role may not update or delete at all, the privilege: 42501).
    const updated = await write(`UPDATE "${table}" SET tenant_id = $1::uuid WHERE tenant_id = $2::uuid`, A.id, B.id);
    const deleted = await write(`DELETE FROM "${table}" WHERE tenant_id = $1::uuid`, B.id);
    const inserted = await attempt(db, caller, (tx) => insertAs(tx, table, newRow(table, B)));

    expect(read).toEqual({ readByTenant: 0, readByKey: 0, readForeign: 0 });
    expect(updated).toBeOneOf([0, INSUFFICIENT_PRIVILEGE, ...TENANT_CHANGE_REFUSED]);
    expect(deleted).toBeOneOf([0, INSUFFICIENT_PRIVILEGE]);
    expect(inserted).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    expect(await fingerprint(table, B)).toBe(seeded.get(`${table}:${B.id}`));
  });

  // The role that may update the row (job runs are the scheduler's, which runs as 'service').
  // (and a quiz answer only by its attempt's assignee, while the attempt is open).
  const moverOf = (table: Table): Role =>
    table === 'scheduled_job_runs' ? 'service' : table === 'quiz_answers' ? 'worker' : 'admin';
  it.each(TABLES)('%s: even an admin cannot move a row of A into tenant B', async (table) => {
    const moved = await attempt(db, callerOf(A, moverOf(table)), (tx) =>
      tx.$executeRawUnsafe(
        `UPDATE "${table}" SET tenant_id = $1::uuid WHERE "${KEY[table]}" = $2::uuid AND tenant_id = $3::uuid`,
        B.id,
        A.rowOf[table],
        A.id,
      ),
    );

    // WITH CHECK refuses the moved row; where the role has no UPDATE privilege on tenant_id (the
    // outbox, escalations, counters) the privilege refuses it first; a certificate's guard trigger
    // refuses any change but a revocation.
    if (onCitus && moved.ok === false && moved.code === '0A000') {
      expect(moved.message).toBe('modifying the partition value of rows is not allowed');
      return;
    }
    expect(moved).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
      message: expect.stringMatching(/row-level security|permission denied|can only be revoked/),
    });
  });

  // Each of these was accepted before 20261203000200_tenant_scoped_references: the foreign key named
  // a bare id, and the write policies did not look at it.
  it.each([
    [
      'a notification about B’s assignment',
      (tx: CallerTransaction, target: string) =>
        insertAs(tx, 'notifications', { ...newRow('notifications', A), assignment_id: target }),
      (t: Tenant) => t.workerAssigned,
    ],
    [
      'a notification about B’s completion',
      (tx: CallerTransaction, target: string) =>
        insertAs(tx, 'notifications', {
          ...newRow('notifications', A),
          kind: 'certificate_expiring',
          assignment_id: null,
          completion_id: target,
        }),
      (t: Tenant) => t.workerCompletion,
    ],
    [
      'a risk escalation of B’s completion',
      (tx: CallerTransaction, target: string) =>
        insertAs(tx, 'risk_escalations', { ...newRow('risk_escalations', A), completion_id: target }),
      (t: Tenant) => t.workerCompletion,
    ],
    [
      'a renewal of B’s completion (blocking B’s own recertification of it)',
      (tx: CallerTransaction, target: string) =>
        insertAs(tx, 'training_assignments', { ...newRow('training_assignments', A), recertification_of: target }),
      (t: Tenant) => t.workerCompletion,
    ],
    [
      'an assignment triggered by B’s risk score',
      (tx: CallerTransaction, target: string) =>
        tx.$executeRawUnsafe(
          'UPDATE training_assignments SET trigger_score_id = $1::uuid WHERE id = $2::uuid',
          target,
          A.workerAssigned,
        ),
      (t: Tenant) => t.score,
    ],
  ] as const)(
    'bug (fixed by 20261203000200): an admin of A cannot write %s; B’s id and an unknown id fail alike (23503)',
    async (_what, write, targetOf) => {
      const admin = callerOf(A, 'admin');
      const ofB = await attempt(db, admin, (tx) => write(tx, targetOf(B)));
      const unknown = await attempt(db, admin, (tx) => write(tx, uuid()));
      const own = await attempt(db, admin, (tx) => write(tx, targetOf(A)));

      expect(ofB).toMatchObject({ ok: false, code: FOREIGN_KEY_VIOLATION });
      // Same answer for B's id as for one that exists nowhere: nothing to learn about B.
      expect(unknown).toMatchObject({ ok: false, code: FOREIGN_KEY_VIOLATION });
      // The control: A's own id is accepted (or, for a renewal, refused only by A's own uniqueness).
      expect(own.ok || own.code !== FOREIGN_KEY_VIOLATION, JSON.stringify(own)).toBe(true);
    },
  );

  it('with the role but no app.* settings (never set, or emptied) nothing is visible and nothing can be written', async () => {
    const variants = [
      // A brand-new session on PostgreSQL, where app.* has never been set; PGlite has only its one session.
      { fresh: true, settings: "SELECT set_config('role', 'training_app', true)" },
      {
        fresh: false,
        settings:
          "SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', '', true), " +
          "set_config('app.user_id', '', true), set_config('app.role', '', true)",
      },
    ];
    for (const { fresh, settings } of variants) {
      const seen = await inSession(fresh, async (session) => {
        await session.exec('BEGIN');
        try {
          await session.query(settings);
          const [state] = await session.query<{ who: string; tenant: string | null }>(
            'SELECT current_user AS who, app_tenant_id()::text AS tenant',
          );
          const counts: Record<string, number> = {};
          for (const table of TABLES) {
            counts[table] = (await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;
          }
          const insert = await session
            .query('INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, $2, $3, $4)', [
              A.id,
              'Sneaky',
              'other',
              A.users.admin,
            ])
            .then(
              () => 'inserted',
              (error: unknown) => sqlError(error).code,
            );
          return { ...state, counts, insert };
        } finally {
          await session.exec('ROLLBACK');
        }
      });

      expect(seen).toEqual({
        who: 'training_app',
        tenant: null,
        counts: Object.fromEntries(TABLES.map((t) => [t, 0])),
        insert: INSUFFICIENT_PRIVILEGE,
      });
    }
  });
});

describe('RLS: a worker sees and changes only their own training', () => {
  const worker = () => callerOf(A, 'worker');

  it('reads only their own assignments, completions, shifts and equipment, and no risk scores', async () => {
    const seen = await runAsCaller(db.prisma, worker(), async (tx) => ({
      assignments: (await tx.$queryRawUnsafe<{ id: string }[]>('SELECT id FROM training_assignments ORDER BY id')).map(
        (r) => r.id,
      ),
      completions: (await tx.$queryRawUnsafe<{ id: string }[]>('SELECT id FROM training_completions')).map((r) => r.id),
      otherWorkersShifts: await countAs(tx, 'shift_assignments', 'user_id <> $1::uuid', A.users.worker),
      ownShifts: await countAs(tx, 'shift_assignments'),
      otherWorkersEquipment: await countAs(tx, 'equipment_operators', 'user_id <> $1::uuid', A.users.worker),
      ownEquipment: await countAs(tx, 'equipment_operators'),
      scores: await countAs(tx, 'predictive_scores'),
    }));

    expect(seen).toEqual({
      assignments: [A.workerAssigned, A.workerCompleted, A.workerCancelled].sort(),
      completions: [A.workerCompletion],
      otherWorkersShifts: 0,
      ownShifts: 1,
      otherWorkersEquipment: 0,
      ownEquipment: 1,
      scores: 0,
    });
  });

  it('cannot update or complete another worker’s assignment', async () => {
    const outcome = await attempt(db, worker(), async (tx) => ({
      started: await tx.$executeRawUnsafe(
        `UPDATE training_assignments SET status = 'completed', completed_at = now() WHERE id = $1::uuid`,
        A.worker2InProgress,
      ),
      completionsEdited: await tx.$executeRawUnsafe(
        'UPDATE training_completions SET passed = true WHERE id = $1::uuid',
        A.worker2Completion,
      ),
    }));
    expect(outcome).toEqual({ ok: true, value: { started: 0, completionsEdited: 0 } });

    const forOther = await attempt(db, worker(), (tx) =>
      insertAs(tx, 'training_completions', {
        tenant_id: A.id,
        assignment_id: A.worker2InProgress,
        course_id: A.course1,
        user_id: A.users.worker2,
        passed: true,
      }),
    );
    expect(forOther).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
  });

  it('cannot record a completion that does not match its assignment', async () => {
    // Own user id, but another worker's assignment: the policy ties completion to assignment.
    const mismatched = await attempt(db, worker(), (tx) =>
      insertAs(tx, 'training_completions', {
        tenant_id: A.id,
        assignment_id: A.worker2InProgress,
        course_id: A.course1,
        user_id: A.users.worker,
        passed: true,
      }),
    );
    expect(mismatched).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
  });

  // Row policies cannot restrict columns, so the guard trigger narrows a worker to progress
  // changes (start/complete) and an integration to the overdue sweep.
  const START = "status = 'in_progress', started_at = now()";
  const TO_WORKER2 =
    "user_id = (SELECT id FROM profiles p WHERE p.tenant_id = training_assignments.tenant_id AND p.display_name = 'worker2')";
  it.each([
    ['worker', 'move their due date', 'workerAssigned', 'due_date = due_date + 30', /may only change the progress/],
    ['worker', 'reassign it to another worker', 'workerAssigned', TO_WORKER2, /may only change the progress/],
    ['worker', 'cancel it', 'workerAssigned', "status = 'cancelled'", /may not cancel/],
    ['worker', 'restart a cancelled one', 'workerCancelled', START, /may not change a cancelled assignment/],
    ['service', 'start one', 'workerAssigned', START, /only mark active assignments overdue/],
    ['service', 'complete one', 'workerAssigned', "status = 'completed'", /only mark active assignments overdue/],
    ['service', 'mark a cancelled one overdue', 'workerCancelled', "status = 'overdue'", /only mark active/],
    ['service', 'mark a completed one overdue', 'workerCompleted', "status = 'overdue'", /only mark active/],
  ] as const)(
    'the guard trigger refuses (42501) a %s trying to %s, and the row is unchanged',
    async (role, _what, target, change, message) => {
      const before = await fingerprint('training_assignments', A);

      const outcome = await attempt(db, callerOf(A, role), (tx) =>
        tx.$executeRawUnsafe(`UPDATE training_assignments SET ${change} WHERE id = $1::uuid`, A[target]),
      );

      expect(outcome).toMatchObject({
        ok: false,
        code: INSUFFICIENT_PRIVILEGE,
        message: expect.stringMatching(message),
      });
      expect(await fingerprint('training_assignments', A)).toBe(before);
    },
  );

  it('lets an integration mark an active assignment overdue (the sweep)', async () => {
    const outcome = await attempt(db, callerOf(A, 'service'), (tx) =>
      tx.$executeRawUnsafe(`UPDATE training_assignments SET status = 'overdue' WHERE id = $1::uuid`, A.workerAssigned),
    );
    expect(outcome).toEqual({ ok: true, value: 1 });
  });
});

describe('RLS: each role can do exactly what the permission table allows', () => {
  type Operation = 'read' | 'insert' | 'update' | 'delete';

  /** The statement for each (table, operation), aimed at tenant A's rows; the worker caller owns the targeted rows. */
  const statements: Partial<Record<Table, Partial<Record<Operation, (tx: CallerTransaction) => Promise<number>>>>> = {
    training_courses: {
      read: (tx) => countAs(tx, 'training_courses'),
      insert: (tx) => insertAs(tx, 'training_courses', newRow('training_courses', A)),
      update: (tx) =>
        tx.$executeRawUnsafe(`UPDATE training_courses SET title = title || ' (rev. 2)' WHERE id = $1::uuid`, A.course1),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM training_courses WHERE id = $1::uuid', A.course2),
    },
    training_assignments: {
      read: (tx) => countAs(tx, 'training_assignments'),
      insert: (tx) => insertAs(tx, 'training_assignments', newRow('training_assignments', A)),
      // "start" — the progress change a worker is allowed on their own assignment.
      update: (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_assignments SET status = 'in_progress', started_at = now() WHERE id = $1::uuid`,
          A.workerAssigned,
        ),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM training_assignments WHERE id = $1::uuid', A.workerAssigned),
    },
    training_completions: {
      read: (tx) => countAs(tx, 'training_completions'),
      insert: (tx) => insertAs(tx, 'training_completions', newRow('training_completions', A)),
      update: (tx) =>
        tx.$executeRawUnsafe('UPDATE training_completions SET score = 95 WHERE id = $1::uuid', A.workerCompletion),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM training_completions WHERE id = $1::uuid', A.workerCompletion),
    },
    predictive_scores: {
      insert: (tx) => insertAs(tx, 'predictive_scores', newRow('predictive_scores', A)),
    },
    certificates: {
      read: (tx) => countAs(tx, 'certificates'),
      insert: (tx) => insertAs(tx, 'certificates', newRow('certificates', A)),
      // Revocation: the one change a certificate allows.
      update: (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE certificates SET revoked_at = now(), revoked_by = $2::uuid, revoke_reason = 'test' WHERE id = $1::uuid`,
          A.rowOf.certificates,
          A.users.admin,
        ),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM certificates WHERE id = $1::uuid', A.rowOf.certificates),
    },
    notifications: {
      read: (tx) => countAs(tx, 'notifications'),
      insert: (tx) => insertAs(tx, 'notifications', newRow('notifications', A)),
      // Marking read: the worker's own notification.
      update: (tx) =>
        tx.$executeRawUnsafe('UPDATE notifications SET read_at = now() WHERE id = $1::uuid', A.rowOf.notifications),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM notifications WHERE id = $1::uuid', A.rowOf.notifications),
    },
    notification_preferences: {
      read: (tx) => countAs(tx, 'notification_preferences'),
      // The safety officer's own (new) preferences.
      insert: (tx) => insertAs(tx, 'notification_preferences', newRow('notification_preferences', A)),
      // The worker's own.
      update: (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE notification_preferences SET email_opt_out = '{}' WHERE user_id = $1::uuid`,
          A.users.worker,
        ),
    },
    risk_escalations: {
      read: (tx) => countAs(tx, 'risk_escalations'),
      insert: (tx) => insertAs(tx, 'risk_escalations', newRow('risk_escalations', A)),
      update: (tx) =>
        tx.$executeRawUnsafe('UPDATE risk_escalations SET score_now = 1 WHERE id = $1::uuid', A.rowOf.risk_escalations),
      delete: (tx) =>
        tx.$executeRawUnsafe('DELETE FROM risk_escalations WHERE id = $1::uuid', A.rowOf.risk_escalations),
    },
    training_evidence: {
      read: (tx) => countAs(tx, 'training_evidence'),
      // A practical evaluation recorded as the caller.
      insert: (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, score, recorded_by)
           VALUES ($1::uuid, $2::uuid, $3::uuid, 'practical_evaluation', true, 80, app_user_id())`,
          A.id,
          A.worker2InProgress,
          A.users.worker2,
        ),
      update: (tx) =>
        tx.$executeRawUnsafe(
          'UPDATE training_evidence SET passed = true WHERE id = $1::uuid',
          A.rowOf.training_evidence,
        ),
      delete: (tx) =>
        tx.$executeRawUnsafe('DELETE FROM training_evidence WHERE id = $1::uuid', A.rowOf.training_evidence),
    },
    tenant_settings: {
      read: (tx) => countAs(tx, 'tenant_settings'),
      update: (tx) => tx.$executeRawUnsafe(`UPDATE tenant_settings SET name = name || ' (rev. 2)'`),
      delete: (tx) => tx.$executeRawUnsafe('DELETE FROM tenant_settings'),
    },
    scheduled_job_runs: {
      read: (tx) => countAs(tx, 'scheduled_job_runs'),
      insert: (tx) => insertAs(tx, 'scheduled_job_runs', newRow('scheduled_job_runs', A)),
      update: (tx) =>
        tx.$executeRawUnsafe(
          'UPDATE scheduled_job_runs SET affected = 3 WHERE id = $1::uuid',
          A.rowOf.scheduled_job_runs,
        ),
      delete: (tx) =>
        tx.$executeRawUnsafe('DELETE FROM scheduled_job_runs WHERE id = $1::uuid', A.rowOf.scheduled_job_runs),
    },
    ...(Object.fromEntries(
      (
        [
          'training_assignment_counts',
          'training_assignment_due_counts',
          'training_completion_counts',
          'training_holdings',
        ] as const
      ).map((table) => [
        table,
        {
          read: (tx: CallerTransaction) => countAs(tx, table),
          insert: (tx: CallerTransaction) => insertAs(tx, table, newRow(table, A)),
          update: (tx: CallerTransaction) =>
            tx.$executeRawUnsafe(`UPDATE "${table}" SET tenant_id = tenant_id WHERE tenant_id = $1::uuid`, A.id),
          delete: (tx: CallerTransaction) =>
            tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE tenant_id = $1::uuid`, A.id),
        },
      ]),
    ) as Partial<Record<Table, Partial<Record<Operation, (tx: CallerTransaction) => Promise<number>>>>>),
  };

  // The permission table (within the caller's tenant). For reads, the number of rows the role sees:
  // all of the tenant's, or (worker) only their own.
  const Y = true;
  const N = false;
  const matrix: [table: Table, operation: Operation, expected: Record<Role, boolean | number>][] = [
    ['training_courses', 'read', { admin: 2, safety_officer: 2, worker: 2, service: 2 }],
    ['training_courses', 'insert', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_courses', 'update', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_courses', 'delete', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_assignments', 'read', { admin: 5, safety_officer: 5, worker: 3, service: 5 }],
    ['training_assignments', 'insert', { admin: Y, safety_officer: Y, worker: N, service: Y }],
    ['training_assignments', 'update', { admin: Y, safety_officer: Y, worker: Y, service: N }],
    ['training_assignments', 'delete', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_completions', 'read', { admin: 3, safety_officer: 3, worker: 1, service: 3 }],
    ['training_completions', 'insert', { admin: Y, safety_officer: Y, worker: Y, service: N }],
    ['training_completions', 'update', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_completions', 'delete', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['predictive_scores', 'insert', { admin: Y, safety_officer: N, worker: N, service: Y }],
    // Everyone reads the certificates of the completions they read; managers revoke.
    ['certificates', 'read', { admin: 1, safety_officer: 1, worker: 1, service: 1 }],
    // Integrations complete assignments, with their certificates.
    ['certificates', 'insert', { admin: Y, safety_officer: Y, worker: N, service: Y }],
    ['certificates', 'update', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['certificates', 'delete', { admin: Y, safety_officer: Y, worker: N, service: N }],
    // One ASSIGNMENT_CREATED per seeded assignment (the worker has three); only the recipient marks one read.
    ['notifications', 'read', { admin: 5, safety_officer: 5, worker: 3, service: 5 }],
    ['notifications', 'insert', { admin: Y, safety_officer: Y, worker: N, service: Y }],
    ['notifications', 'update', { admin: N, safety_officer: N, worker: Y, service: N }],
    ['notifications', 'delete', { admin: N, safety_officer: N, worker: N, service: N }],
    // Each user their own only (admin and worker have some).
    ['notification_preferences', 'read', { admin: 1, safety_officer: 0, worker: 1, service: 0 }],
    ['notification_preferences', 'insert', { admin: N, safety_officer: Y, worker: N, service: N }],
    ['notification_preferences', 'update', { admin: N, safety_officer: N, worker: Y, service: N }],
    ['risk_escalations', 'read', { admin: 1, safety_officer: 1, worker: 0, service: 1 }],
    ['risk_escalations', 'insert', { admin: Y, safety_officer: Y, worker: N, service: Y }],
    ['risk_escalations', 'update', { admin: N, safety_officer: N, worker: N, service: N }],
    ['risk_escalations', 'delete', { admin: Y, safety_officer: N, worker: N, service: N }],
    // Evidence: read like completions; evaluators record evaluations as themselves; append-only.
    ['training_evidence', 'read', { admin: 1, safety_officer: 1, worker: 1, service: 1 }],
    ['training_evidence', 'insert', { admin: Y, safety_officer: Y, worker: N, service: N }],
    ['training_evidence', 'update', { admin: N, safety_officer: N, worker: N, service: N }],
    ['training_evidence', 'delete', { admin: N, safety_officer: N, worker: N, service: N }],
    // The tenant's name and logo: everyone reads, admins change; nobody deletes (no privilege).
    ['tenant_settings', 'read', { admin: 1, safety_officer: 1, worker: 1, service: 1 }],
    ['tenant_settings', 'update', { admin: Y, safety_officer: N, worker: N, service: N }],
    ['tenant_settings', 'delete', { admin: N, safety_officer: N, worker: N, service: N }],
    // The scheduler's, which runs as the tenant's integration.
    ['scheduled_job_runs', 'read', { admin: 0, safety_officer: 0, worker: 0, service: 1 }],
    ['scheduled_job_runs', 'insert', { admin: N, safety_officer: N, worker: N, service: Y }],
    ['scheduled_job_runs', 'update', { admin: N, safety_officer: N, worker: N, service: Y }],
    ['scheduled_job_runs', 'delete', { admin: N, safety_officer: N, worker: N, service: Y }],
    // Counters: read by the roles that read every assignment; written only by the triggers.
    // Rows: course1 (assigned, in progress) and course2 (completed, cancelled); course1's due date (assigned, in progress).
    ['training_assignment_counts', 'read', { admin: 2, safety_officer: 2, worker: 0, service: 2 }],
    ['training_assignment_due_counts', 'read', { admin: 1, safety_officer: 1, worker: 0, service: 1 }],
    ['training_completion_counts', 'read', { admin: 1, safety_officer: 1, worker: 0, service: 1 }],
    // Holdings: read by whoever reads the user's completions (worker and worker2 hold course2); written only by
    // the triggers.
    ['training_holdings', 'read', { admin: 2, safety_officer: 2, worker: 1, service: 2 }],
    ...(
      [
        'training_assignment_counts',
        'training_assignment_due_counts',
        'training_completion_counts',
        'training_holdings',
      ] as const
    ).flatMap((table) =>
      (['insert', 'update', 'delete'] as const).map(
        (operation) =>
          [table, operation, { admin: N, safety_officer: N, worker: N, service: N }] as [
            Table,
            Operation,
            Record<Role, boolean>,
          ],
      ),
    ),
  ];
  const cases = matrix.flatMap(([table, operation, expected]) =>
    ROLES.map((role) => [table, operation, role, expected[role]] as const),
  );

  it.each(cases)('%s · %s · %s → %s', async (table, operation, role, expected) => {
    const outcome = await attempt(db, callerOf(A, role), statements[table]![operation]!);

    if (typeof expected === 'number') {
      expect(outcome).toEqual({ ok: true, value: expected });
    } else if (expected) {
      expect(outcome).toEqual({ ok: true, value: 1 });
    } else {
      // Refused: a write policy raises 42501 (INSERT, or the guard trigger), or the USING clause hides the row (0 rows).
      expect(outcome.ok ? outcome.value : outcome.code).toBeOneOf([0, INSUFFICIENT_PRIVILEGE]);
    }
  });
});

describe('after all the attempts above', () => {
  it('every row of both tenants is exactly as seeded', async () => {
    for (const table of TABLES) {
      for (const t of [A, B])
        expect(await fingerprint(table, t), `${table} of ${t === A ? 'A' : 'B'}`).toBe(seeded.get(`${table}:${t.id}`));
    }
  });
});
