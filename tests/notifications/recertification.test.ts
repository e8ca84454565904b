import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/core/db.js';
import { RunRecertificationDocument } from '../../src/generated/operations/graphql.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { uuid } from '../support/sql.js';
import { jobNamed, jobRunner } from '../support/jobs.js';

/**
 * Recertification: before a passed completion expires (within its course's
 * recertifyDaysBefore), one AUTO assignment renews it, due on the expiry date —
 * once per completion across repeated and concurrent runs, not for a user who
 * already has the course active, and for a risk-driven optional course only
 * while the risk persists (otherwise only CERTIFICATE_EXPIRING).
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  await ok(admin.request('{ me { id } }'));
});
afterAll(() => server.stop());

interface HolderOptions {
  tenantId?: string;
  expiresInDays: number;
  recertifyDaysBefore?: number | null;
  required?: boolean;
  passed?: boolean;
  /** The completed assignment was risk-based, triggered by this user's worker score (threshold 70). */
  riskBased?: boolean;
  /** The worker's latest score now (risk-based cases). */
  latestScore?: number;
}

/** A user holding a completion of a fresh course, as the owner writes it. */
async function holder(options: HolderOptions) {
  const tenantId = options.tenantId ?? admin.tenantId;
  const userId = uuid();
  await server.owner.insert('profiles', { id: userId, tenant_id: tenantId, role: 'worker' });
  const course = await server.owner.insert('training_courses', {
    tenant_id: tenantId,
    title: 'Hot Work',
    category: 'hazard_awareness',
    created_by: admin.userId,
    expiry_months: 12,
    required: options.required ?? false,
    risk_threshold: 70,
    entity_type: 'worker',
    recertify_days_before: options.recertifyDaysBefore === undefined ? 30 : options.recertifyDaysBefore,
  });
  const risk = options.riskBased
    ? { trigger_entity_type: 'worker', trigger_entity_id: userId, trigger_score: 80, trigger_threshold: 70 }
    : {};
  const assignment = await server.owner.insert('training_assignments', {
    tenant_id: tenantId,
    course_id: course.id,
    user_id: userId,
    assignment_type: options.riskBased ? 'risk_based' : 'manual',
    status: 'completed',
    completed_at: new Date(),
    ...risk,
  });
  const completion = await server.owner.insert('training_completions', {
    tenant_id: tenantId,
    assignment_id: assignment.id,
    course_id: course.id,
    user_id: userId,
    passed: options.passed ?? true,
    score: 90,
    expires_at: dayFromToday(options.expiresInDays),
  });
  if (options.riskBased) {
    await server.owner.insert('predictive_scores', {
      tenant_id: tenantId,
      entity_type: 'worker',
      entity_id: userId,
      score: 80,
      computed_at: new Date(Date.now() - 86_400_000 * 300),
    });
    if (options.latestScore !== undefined) {
      await server.owner.insert('predictive_scores', {
        tenant_id: tenantId,
        entity_type: 'worker',
        entity_id: userId,
        score: options.latestScore,
        computed_at: new Date(),
      });
    }
  }
  return { userId, courseId: course.id as string, completionId: completion.id as string, tenantId };
}

/** The user's notification kinds, leaving out the ASSIGNMENT_CREATED of the assignments the setup wrote. */
const kindsFor = async (userId: string) =>
  (
    await server.owner.query<{ kind: string }>(
      `SELECT n.kind FROM notifications n
       WHERE n.user_id = $1
         AND NOT EXISTS (SELECT 1 FROM training_assignments a
                         WHERE a.tenant_id = n.tenant_id AND a.id = n.assignment_id AND a.status = 'completed'
                           AND n.kind = 'assignment_created')
       ORDER BY n.kind`,
      [userId],
    )
  ).map((row) => row.kind);

const renewalsOf = (completionId: string) =>
  server.owner.query<{ id: string; assignment_type: string; due_date: Date; assignment_reason: string }>(
    'SELECT id, assignment_type, due_date, assignment_reason FROM training_assignments WHERE recertification_of = $1',
    [completionId],
  );

const TABLES = ['training_assignments', 'notifications'] as const;

describe('runRecertification', () => {
  let cases: Record<string, Awaited<ReturnType<typeof holder>>>;

  beforeAll(async () => {
    cases = {
      expiring: await holder({ expiresInDays: 10 }),
      expiringToday: await holder({ expiresInDays: 0 }),
      later: await holder({ expiresInDays: 40 }),
      off: await holder({ expiresInDays: 10, recertifyDaysBefore: null }),
      expired: await holder({ expiresInDays: -1 }),
      failed: await holder({ expiresInDays: 10, passed: false }),
      stillAtRisk: await holder({ expiresInDays: 20, riskBased: true, latestScore: 75 }),
      riskGone: await holder({ expiresInDays: 20, riskBased: true, latestScore: 40 }),
      requiredRiskGone: await holder({ expiresInDays: 20, riskBased: true, latestScore: 40, required: true }),
      alreadyActive: await holder({ expiresInDays: 10 }),
    };
    // Already assigned the course again by hand: no renewal, but told the certificate expires.
    await server.owner.insert('training_assignments', {
      tenant_id: admin.tenantId,
      course_id: cases.alreadyActive!.courseId,
      user_id: cases.alreadyActive!.userId,
      due_date: dayFromToday(5),
    });
    // Superseded: a newer passed completion of the same course expires much later.
    const superseded = await holder({ expiresInDays: 10 });
    const newer = await server.owner.insert('training_assignments', {
      tenant_id: admin.tenantId,
      course_id: superseded.courseId,
      user_id: superseded.userId,
      status: 'completed',
    });
    await server.owner.insert('training_completions', {
      tenant_id: admin.tenantId,
      assignment_id: newer.id,
      course_id: superseded.courseId,
      user_id: superseded.userId,
      passed: true,
      expires_at: dayFromToday(300),
    });
    cases.superseded = superseded;
  });

  const renewed = ['expiring', 'expiringToday', 'stillAtRisk', 'requiredRiskGone'];

  it('a dry run returns what a real run would create and writes nothing', async () => {
    const before = await server.owner.fingerprints(TABLES);
    const result = await ok(admin.request(RunRecertificationDocument, { dryRun: true }));
    expect(result.runRecertification.assignmentsCreated).toBe(renewed.length);
    expect(result.runRecertification.assignments.map((a) => a.recertificationOf?.id).sort()).toEqual(
      renewed.map((name) => cases[name]!.completionId).sort(),
    );
    expect(await server.owner.fingerprints(TABLES)).toEqual(before);
  });

  it('creates one AUTO assignment per expiring completion, due on its expiry, and notifies', async () => {
    const result = await ok(admin.request(RunRecertificationDocument, {}));
    expect(result.runRecertification.assignmentsCreated).toBe(renewed.length);
    const expiring = result.runRecertification.assignments.find(
      (a) => a.recertificationOf?.id === cases.expiring!.completionId,
    );
    expect(expiring).toMatchObject({
      assignmentType: 'AUTO',
      status: 'ASSIGNED',
      dueDate: dayFromToday(10),
      assignmentReason: `Recertification: certificate expires on ${dayFromToday(10)}`,
      user: { id: cases.expiring!.userId },
      course: { id: cases.expiring!.courseId },
      recertificationOf: { id: cases.expiring!.completionId, expiresAt: dayFromToday(10) },
    });
    for (const [name, holderCase] of Object.entries(cases)) {
      const renewals = await renewalsOf(holderCase.completionId);
      expect(renewals, name).toHaveLength(renewed.includes(name) ? 1 : 0);
    }
    // Renewed: RECERTIFICATION_ASSIGNED (instead of ASSIGNMENT_CREATED) and CERTIFICATE_EXPIRING.
    for (const name of renewed) {
      expect(await kindsFor(cases[name]!.userId), name).toEqual(['certificate_expiring', 'recertification_assigned']);
    }
    // In the window but not renewed: only CERTIFICATE_EXPIRING.
    expect(await kindsFor(cases.riskGone!.userId)).toEqual(['certificate_expiring']);
    expect(await kindsFor(cases.alreadyActive!.userId)).toEqual(['assignment_created', 'certificate_expiring']);
    // Outside it: nothing.
    for (const name of ['later', 'off', 'expired', 'failed', 'superseded']) {
      expect(await kindsFor(cases[name]!.userId), name).toEqual([]);
    }
  });

  it('a repeated run creates and notifies nothing more', async () => {
    const before = await server.owner.fingerprints(TABLES);
    const again = await ok(admin.request(RunRecertificationDocument, {}));
    expect(again.runRecertification).toEqual({ assignmentsCreated: 0, assignments: [] });
    expect(await server.owner.fingerprints(TABLES)).toEqual(before);
  });

  it('concurrent runs (requests and scheduled instances) renew each completion once', async () => {
    const tenantId = uuid();
    const officer = await server.actor('safety_officer', { tenantId });
    const service = await server.actor('service', { tenantId });
    const holders = await Promise.all([1, 2, 3].map((days) => holder({ tenantId, expiresInDays: days })));
    const secondDb: Database = server.db.url ? await openDatabase({ url: server.db.url, poolMax: 3 }) : server.db;
    const runner = (database: Database, instance: string) => jobRunner(database.prisma, instance);
    try {
      const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const [r1, r2, s1, s2] = await Promise.all([
        ok(officer.request(RunRecertificationDocument, {})),
        ok(service.request(RunRecertificationDocument, {})),
        runScheduledJob(runner(server.db, 'a'), jobNamed('recertification'), slot),
        runScheduledJob(runner(secondDb, 'b'), jobNamed('recertification'), slot),
      ]);
      expect(s1.failed + s2.failed).toBe(0);
      const created =
        r1.runRecertification.assignmentsCreated + r2.runRecertification.assignmentsCreated + s1.affected + s2.affected;
      expect(created).toBe(3);
      for (const h of holders) expect(await renewalsOf(h.completionId)).toHaveLength(1);
      const [row] = await server.owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notifications WHERE tenant_id = $1 AND kind = 'certificate_expiring'`,
        [tenantId],
      );
      expect(row!.n).toBe(3);
      // The next day's slot: nothing new.
      const next = await runScheduledJob(
        runner(server.db, 'a'),
        jobNamed('recertification'),
        new Date(slot.getTime() + 86_400_000),
      );
      expect(next.affected).toBe(0);
    } finally {
      if (secondDb !== server.db) await secondDb.close();
    }
  });

  it('is refused to a worker, and a null dryRun is bad input; neither writes anything', async () => {
    await holder({ expiresInDays: 5 });
    const before = await server.owner.fingerprints(TABLES);
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    expect(errorCode(await worker.request(RunRecertificationDocument, {}))).toBe('FORBIDDEN');
    const nullDryRun = await admin.request(RunRecertificationDocument, { dryRun: null });
    expect(errorCode(nullDryRun)).toBe('BAD_USER_INPUT');
    expect(nullDryRun.errors![0]!.extensions?.field).toBe('dryRun');
    expect(await server.owner.fingerprints(TABLES)).toEqual(before);
  });
});
