import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { INSUFFICIENT_PRIVILEGE } from '../../src/core/sqlstate.js';
import { meetRequirement, retractRequirement, type Evidence } from '../../src/completions/evidence.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { attempt, owner, uuid, type Owner } from '../support/sql.js';

/**
 * The evidence contract (src/completions/evidence.ts) called directly in a caller's transaction, and what the
 * database refuses whatever the caller sends: the completion of a course with requirements is written only
 * on passed evidence of each, a worker writes no evidence of their own (no feature has given them a policy
 * here, except the quiz stand-in below), and `retractRequirement` undoes completions in a fixed number of
 * statements whatever their number.
 */

const PUBLIC_URL = 'http://training.test';
let db: TestDatabase;
let sql: Owner;
/** Statements sent, when counting. */
let statements: string[] | undefined;

const tenant = uuid();
const ids = { admin: uuid(), officer: uuid(), worker: uuid() };
const as = (role: 'admin' | 'safety_officer' | 'worker', userId: string): Caller => ({
  tenantId: tenant,
  userId,
  role,
});
const admin = as('admin', ids.admin);
const officer = as('safety_officer', ids.officer);
const worker = as('worker', ids.worker);

/** A course requiring these kinds (certifying, valid 12 months). */
async function course(requires: { quiz?: boolean; practical?: boolean }): Promise<string> {
  const row = await sql.insert('training_courses', {
    tenant_id: tenant,
    title: `Course ${uuid().slice(0, 8)}`,
    category: 'equipment_safety',
    issues_certificate: true,
    expiry_months: 12,
    requires_quiz: requires.quiz ?? false,
    requires_practical_evaluation: requires.practical ?? false,
    created_by: ids.admin,
  });
  return row.id as string;
}

async function assignment(courseId: string, status = 'in_progress'): Promise<string> {
  const row = await sql.insert('training_assignments', {
    tenant_id: tenant,
    course_id: courseId,
    user_id: ids.worker,
    status,
    started_at: status === 'in_progress' ? new Date() : null,
  });
  return row.id as string;
}

const meet = (caller: Caller, evidence: Omit<Evidence, 'recordedBy'> & { recordedBy?: string | null }) =>
  runAsCaller(db.prisma, caller, (tx) =>
    meetRequirement(tx, tenant, PUBLIC_URL, { recordedBy: caller.userId, ...evidence }),
  );

const stateOf = async (assignmentId: string) => {
  const [row] = await sql.query<{ status: string; completions: unknown[] }>(
    `SELECT a.status, coalesce((SELECT json_agg(json_build_object('source', c.source, 'passed', c.passed,
              'score', c.score::float, 'kinds', (SELECT json_agg(e->>'kind') FROM jsonb_array_elements(c.evidence) e),
              'certificate', (SELECT ce.revoke_reason IS NULL FROM certificates ce
                              WHERE ce.tenant_id = c.tenant_id AND ce.completion_id = c.id)))
            FROM training_completions c WHERE c.tenant_id = a.tenant_id AND c.assignment_id = a.id), '[]') AS completions
     FROM training_assignments a WHERE a.tenant_id = $2 AND a.id = $1`,
    [assignmentId, tenant],
  );
  return row!;
};

beforeAll(async () => {
  db = await freshDatabase({ onQuery: (text) => void statements?.push(text) });
  sql = owner(db);
  for (const [id, role, name] of [
    [ids.admin, 'admin', 'Ada Admin'],
    [ids.officer, 'safety_officer', 'Sam Officer'],
    [ids.worker, 'worker', 'Wanda Worker'],
  ] as const) {
    await sql.insert('profiles', { id, tenant_id: tenant, role, display_name: name });
  }
  // A stand-in for the quiz feature's policy (which also requires a submitted, passed attempt behind the row), so
  // the contract is tested in the worker's own transaction without building a quiz.
  await sql.query(`CREATE POLICY "test_worker_quiz" ON "training_evidence" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'worker' AND "user_id" = "app_user_id"()
                AND "kind" = 'quiz')`);
});
afterAll(() => db?.drop());

describe('meetRequirement', () => {
  it('completes on the piece that meets the last requirement, in its transaction, with the evidence in order', async () => {
    const id = await assignment(await course({ quiz: true, practical: true }));

    // The evaluation first: passed, but the quiz is still missing.
    expect(await meet(officer, { assignmentId: id, kind: 'practical_evaluation', passed: true, score: 90 })).toEqual({
      completionId: null,
    });
    expect(await stateOf(id)).toEqual({ status: 'in_progress', completions: [] });
    // A failed quiz, then a passed one, in the worker's own transaction: the passed one completes it.
    await meet(worker, { assignmentId: id, kind: 'quiz', passed: false, score: 55, recordedBy: null });
    const { completionId } = await meet(worker, {
      assignmentId: id,
      kind: 'quiz',
      passed: true,
      score: 85,
      recordedBy: null,
    });

    expect(completionId).toEqual(expect.any(String));
    expect(await stateOf(id)).toEqual({
      status: 'completed',
      // The quiz's score; evidence oldest first (the latest of each kind).
      completions: [
        { source: 'quiz', passed: true, score: 85, kinds: ['practical_evaluation', 'quiz'], certificate: true },
      ],
    });
    const [completion] = await sql.query<{ evidence: Record<string, unknown>[]; expires_at: Date | null }>(
      'SELECT evidence, expires_at FROM training_completions WHERE id = $1',
      [completionId],
    );
    expect(completion!.evidence).toEqual([
      expect.objectContaining({ kind: 'practical_evaluation', passed: true, score: 90, recordedByName: 'Sam Officer' }),
      expect.objectContaining({ kind: 'quiz', passed: true, score: 85, recordedBy: null }),
    ]);
    expect(completion!.expires_at).not.toBeNull();
  });

  it('a failed piece, or one the course does not require, is kept and completes nothing; a closed assignment refuses', async () => {
    const id = await assignment(await course({ practical: true }));

    await meet(officer, {
      assignmentId: id,
      kind: 'practical_evaluation',
      passed: false,
      score: 30,
      notes: 'Too fast',
    });
    expect(await stateOf(id)).toEqual({ status: 'in_progress', completions: [] });
    await meet(worker, { assignmentId: id, kind: 'quiz', passed: true, score: 99, recordedBy: null });
    expect(await stateOf(id)).toEqual({ status: 'in_progress', completions: [] });
    await meet(officer, { assignmentId: id, kind: 'practical_evaluation', passed: true, score: 80 });
    expect((await stateOf(id)).status).toBe('completed');
    const before = await sql.count('training_evidence', 'assignment_id = $1', [id]);

    await expect(
      meet(officer, { assignmentId: id, kind: 'practical_evaluation', passed: true, score: 80 }),
    ).rejects.toThrow(/Cannot record evidence for an assignment that is completed/);
    expect(await sql.count('training_evidence', 'assignment_id = $1', [id])).toBe(before);
  });
});

describe('what the database refuses', () => {
  it('a worker cannot write a completion of a course with requirements, of any source, evidence or not', async () => {
    const courseId = await course({ practical: true });
    const id = await assignment(courseId);
    const insert = (source: string) =>
      attempt(db, worker, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, passed, score, source)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, true, 100, $5)`,
          tenant,
          id,
          courseId,
          ids.worker,
          source,
        ),
      );
    for (const source of ['self_report', 'practical_evaluation', 'quiz', 'integration']) {
      expect(await insert(source), source).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
    // Nor their own evidence of another kind than the quiz stand-in allows.
    const evidence = await attempt(db, worker, (tx) =>
      tx.$executeRawUnsafe(
        `INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, recorded_by)
         VALUES ($1::uuid, $2::uuid, $3::uuid, 'practical_evaluation', true, $3::uuid)`,
        tenant,
        id,
        ids.worker,
      ),
    );
    expect(evidence).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    // Even with a passed evaluation on record, a completion claiming another score or source is rewritten or refused.
    await meet(officer, { assignmentId: id, kind: 'practical_evaluation', passed: false, score: 10 });
    expect(await insert('practical_evaluation')).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    expect(await sql.count('training_completions', 'assignment_id = $1', [id])).toBe(0);
  });

  it('an officer may not record an evaluation in another name, nor a passed piece of another kind', async () => {
    const id = await assignment(await course({ quiz: true }));
    for (const [kind, recordedBy] of [
      ['practical_evaluation', ids.admin],
      ['quiz', ids.officer],
    ] as const) {
      const outcome = await attempt(db, officer, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, recorded_by)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4, true, $5::uuid)`,
          tenant,
          id,
          ids.worker,
          kind,
          recordedBy,
        ),
      );
      expect(outcome, kind).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });
});

describe('retractRequirement', () => {
  /** `count` assignments completed on a passed quiz (and a practical evaluation). */
  async function completedOnQuiz(count: number): Promise<string[]> {
    const made: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = await assignment(await course({ quiz: true, practical: true }));
      await meet(worker, { assignmentId: id, kind: 'quiz', passed: true, score: 70 + i, recordedBy: null });
      await meet(officer, { assignmentId: id, kind: 'practical_evaluation', passed: true, score: 90 });
      made.push(id);
    }
    return made;
  }

  const retract = (assignmentIds: string[]) =>
    runAsCaller(db.prisma, admin, (tx) =>
      retractRequirement(tx, tenant, { assignmentIds, kind: 'quiz', reason: 'regrade' }),
    );

  it('undoes what stood on the quiz: completion failed, certificate revoked, assignment reopened, worker told', async () => {
    const [first, second] = await completedOnQuiz(2);
    // Only the quiz so far: nothing to undo but the evidence.
    const pending = await assignment(await course({ quiz: true, practical: true }));
    await meet(worker, { assignmentId: pending, kind: 'quiz', passed: true, score: 88, recordedBy: null });
    // A self-reported completion of the same worker is untouched.
    const reported = await assignment(await course({}), 'completed');
    await sql.insert('training_completions', {
      tenant_id: tenant,
      assignment_id: reported,
      course_id: (
        await sql.query<{ c: string }>('SELECT course_id AS c FROM training_assignments WHERE id = $1', [reported])
      )[0]!.c,
      user_id: ids.worker,
      passed: true,
      score: 90,
    });

    // The second's course was assigned again meanwhile (a renewal): that one stays the active one.
    const [{ c: secondCourse }] = (await sql.query<{ c: string }>(
      'SELECT course_id AS c FROM training_assignments WHERE id = $1',
      [second],
    )) as [{ c: string }];
    const renewal = await assignment(secondCourse, 'assigned');

    const { completionIds } = await retract([first!, second!, pending, reported, uuid()]);

    expect(completionIds).toHaveLength(2);
    const retracted = [expect.objectContaining({ source: 'practical_evaluation', passed: false, certificate: false })];
    expect(await stateOf(first!)).toEqual({ status: 'assigned', completions: retracted });
    expect(await stateOf(second!)).toEqual({ status: 'completed', completions: retracted });
    expect(await stateOf(renewal)).toEqual({ status: 'assigned', completions: [] });
    const [certificate] = await sql.query<{ revoke_reason: string; revoked_by: string }>(
      'SELECT revoke_reason, revoked_by FROM certificates WHERE completion_id = $1',
      [completionIds[0]],
    );
    expect(certificate).toEqual({ revoke_reason: 'regrade', revoked_by: ids.admin });
    const [snapshot] = await sql.query<{ evidence: { kind: string; passed: boolean }[] }>(
      'SELECT evidence FROM training_completions WHERE id = $1',
      [completionIds[0]],
    );
    expect(snapshot!.evidence.map((e) => [e.kind, e.passed])).toEqual([
      ['quiz', false],
      ['practical_evaluation', true],
    ]);
    expect(
      await sql.count('notifications', `kind = 'completion_retracted' AND completion_id = ANY($1::uuid[])`, [
        completionIds,
      ]),
    ).toBe(2);
    // The latest quiz evidence of the three no longer passes; the pending one stays open with nothing to undo.
    const latest = await sql.query<{ assignment_id: string; passed: boolean; notes: string }>(
      `SELECT DISTINCT ON (assignment_id) assignment_id, passed, notes FROM training_evidence
       WHERE kind = 'quiz' AND assignment_id = ANY($1::uuid[]) ORDER BY assignment_id, recorded_at DESC`,
      [[first, second, pending]],
    );
    expect(latest.map((row) => [row.passed, row.notes])).toEqual([
      [false, 'regrade'],
      [false, 'regrade'],
      [false, 'regrade'],
    ]);
    expect(await stateOf(pending)).toEqual({ status: 'in_progress', completions: [] });
    expect(await stateOf(reported)).toMatchObject({ status: 'completed', completions: [{ passed: true }] });

    // Again: the latest no longer passes, so nothing more happens.
    expect(await retract([first!, second!])).toEqual({ completionIds: [] });
  });

  it('is set-based: the same statements for 2 assignments as for 12', async () => {
    const counted = async (assignmentIds: string[]) => {
      statements = [];
      const { completionIds } = await retract(assignmentIds);
      const sent = statements.filter((text) => /training_evidence|training_completions/.test(text)).length;
      statements = undefined;
      return { retracted: completionIds.length, sent };
    };

    const small = await counted(await completedOnQuiz(2));
    const large = await counted(await completedOnQuiz(12));

    expect(small.retracted).toBe(2);
    expect(large.retracted).toBe(12);
    expect(large.sent).toBe(small.sent);
    expect(small.sent).toBeLessThanOrEqual(2);
  });
});
