import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/caller/index.js';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/core/migrate.js';
import { INSUFFICIENT_PRIVILEGE } from '../../src/core/sqlstate.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { asCaller, attempt, owner, uuid, type Owner } from '../support/sql.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The certificates table and its two SECURITY DEFINER functions, in SQL as the application role with no
 * resolver in between: RLS keeps tenants and workers apart, only revocation changes a certificate,
 * `verify_certificate(code)` answers the public fields of that one certificate (with the evidence it stood on) and
 * nothing else, and
 * `training_user_at_risk` answers a worker only about themselves.
 */

let db: TestDatabase;
let sql: Owner;

interface Seeded {
  tenant: string;
  admin: Caller;
  worker: Caller;
  otherWorker: Caller;
  course: string;
  passed: string;
  failed: string;
  code: string;
}

async function seed(): Promise<Seeded> {
  const tenant = uuid();
  const [admin, worker, otherWorker] = [uuid(), uuid(), uuid()];
  for (const [id, role, name] of [
    [admin, 'admin', 'Ada Admin'],
    [worker, 'worker', 'Wanda Worker'],
    [otherWorker, 'worker', 'Otto Other'],
  ] as const) {
    await sql.insert('profiles', { id, tenant_id: tenant, role, display_name: name, email: `${id}@example.com` });
  }
  const course = (
    await sql.insert('training_courses', {
      tenant_id: tenant,
      title: 'Forklift Safety',
      category: 'equipment_safety',
      issues_certificate: true,
      expiry_months: 12,
      risk_threshold: 60,
      entity_type: 'worker',
      created_by: admin,
    })
  ).id as string;
  const completion = async (passed: boolean) => {
    const assignment = await sql.insert('training_assignments', {
      tenant_id: tenant,
      course_id: course,
      user_id: worker,
      status: passed ? 'completed' : 'assigned',
    });
    return (
      await sql.insert('training_completions', {
        tenant_id: tenant,
        assignment_id: assignment.id,
        course_id: course,
        user_id: worker,
        passed,
        expires_at: passed ? '2099-01-31' : null,
      })
    ).id as string;
  };
  const passed = await completion(true);
  const failed = await completion(false);
  const code = `code-${tenant.replace(/-/g, '').slice(0, 20)}`;
  await sql.insert('certificates', {
    tenant_id: tenant,
    completion_id: passed,
    user_id: worker,
    course_id: course,
    code,
    expires_at: '2099-01-31',
  });
  const caller = (userId: string, role: Caller['role']): Caller => ({ tenantId: tenant, userId, role });
  return {
    tenant,
    admin: caller(admin, 'admin'),
    worker: caller(worker, 'worker'),
    otherWorker: caller(otherWorker, 'worker'),
    course,
    passed,
    failed,
    code,
  };
}

let A: Seeded;
let B: Seeded;

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  A = await seed();
  B = await seed();
}, setupTimeout(120_000));
afterAll(() => db.drop());

describe('RLS on certificates', () => {
  it('shows a tenant only its own, and a worker only theirs', async () => {
    const codes = async (caller: Caller) =>
      (await asCaller<{ code: string }>(db, caller, 'SELECT code FROM certificates ORDER BY code')).map((r) => r.code);
    expect(await codes(A.admin)).toEqual([A.code]);
    expect(await codes(A.worker)).toEqual([A.code]);
    expect(await codes(A.otherWorker)).toEqual([]);
    expect(await codes(B.admin)).toEqual([B.code]);
  });

  it('issues only for a passed completion of a certifying course, of the caller (a worker)', async () => {
    const insert = (caller: Caller, completion: string, userId: string) =>
      attempt(db, caller, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO certificates (tenant_id, completion_id, user_id, course_id, code)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5)`,
          caller.tenantId,
          completion,
          userId,
          A.course,
          `forged-${uuid().replace(/-/g, '')}`,
        ),
      );
    expect(await insert(A.worker, A.failed, A.worker.userId)).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await insert(A.otherWorker, A.passed, A.worker.userId)).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await insert({ ...B.admin }, A.passed, A.worker.userId)).toMatchObject({ ok: false });
  });

  it('lets only managers revoke, only once, and nobody change what a certificate says', async () => {
    const update = (caller: Caller, set: string) =>
      attempt(db, caller, (tx) => tx.$executeRawUnsafe(`UPDATE certificates SET ${set} WHERE code = $1`, A.code));
    const revoke = `revoked_at = now(), revoked_by = '${A.admin.userId}', revoke_reason = 'x'`;
    expect(await update(A.worker, revoke)).toEqual({ ok: true, value: 0 }); // RLS: no row to update
    expect(await update(B.admin, revoke)).toEqual({ ok: true, value: 0 });
    expect(await update(A.admin, revoke)).toEqual({ ok: true, value: 1 });
    for (const change of ["revoke_reason = 'y'", 'revoked_at = NULL, revoked_by = NULL, revoke_reason = NULL']) {
      const afterRevoking = await attempt(db, A.admin, async (tx) => {
        await tx.$executeRawUnsafe(`UPDATE certificates SET ${revoke} WHERE code = $1`, A.code);
        return tx.$executeRawUnsafe(`UPDATE certificates SET ${change} WHERE code = $1`, A.code);
      });
      expect(afterRevoking).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
    expect(await update(A.admin, "expires_at = '2199-01-01'")).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await update(A.admin, "code = 'another-code-another-code'")).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
  });
});

describe('verify_certificate(code)', () => {
  const verify = (code: string, caller: Caller = A.otherWorker) =>
    asCaller(db, caller, 'SELECT * FROM verify_certificate($1)', code);

  it('returns the public fields of that one certificate, whoever asks, and nothing for another code', async () => {
    const [row] = await verify(B.code);
    expect(Object.keys(row!).sort()).toEqual(
      [
        'completed_at',
        'course_title',
        'evidence',
        'expires_at',
        'holder_name',
        'issued_at',
        'status',
        // The holder's language and the issuing organisation (its name and logo), for the PDF and the page.
        'holder_locale',
        'tenant_name',
        'logo',
        'logo_sha256',
      ].sort(),
    );
    // What the certificate stood on: the seeded completion's self-report (no one known to have recorded it).
    expect(row!.evidence).toEqual([expect.objectContaining({ kind: 'self_report', passed: true })]);
    expect(row).toMatchObject({ status: 'valid', holder_name: 'Wanda Worker', course_title: 'Forklift Safety' });
    expect(await verify('unknown-unknown-unknown-00')).toEqual([]);
    expect(await verify('')).toEqual([]);
  });

  it('leaves no way to other rows: the code setting is cleared, and the reader role sees nothing without it', async () => {
    const rows = await asCaller<{ setting: string | null }>(
      db,
      A.worker,
      "SELECT (SELECT count(*) FROM verify_certificate($1)) AS n, current_setting('app.certificate_code', true) AS setting",
      A.code,
    );
    expect(rows[0]!.setting ?? '').toBe('');
    const [privileges] = await sql.query<Record<string, boolean>>(
      `SELECT has_table_privilege('training_certificate_reader', 'certificates', 'UPDATE') AS writes,
              has_column_privilege('training_certificate_reader', 'profiles', 'email', 'SELECT') AS emails,
              has_column_privilege('training_certificate_reader', 'certificates', 'revoke_reason', 'SELECT') AS reasons,
              has_function_privilege('public', 'verify_certificate(text)', 'EXECUTE') AS public_executes`,
    );
    expect(privileges).toEqual({ writes: false, emails: false, reasons: false, public_executes: false });
  });
});

describe('training_user_at_risk(tenant, course, user)', () => {
  it('answers about the caller (or for managers, anyone) and never for a worker asking about someone else', async () => {
    await sql.insert('predictive_scores', {
      tenant_id: A.tenant,
      entity_type: 'worker',
      entity_id: A.otherWorker.userId,
      score: 90,
    });
    const atRisk = async (caller: Caller, userId: string) =>
      (
        await asCaller<{ r: boolean }>(
          db,
          caller,
          'SELECT training_user_at_risk($1::uuid, $2::uuid, $3::uuid) AS r',
          A.tenant,
          A.course,
          userId,
        )
      )[0]!.r;
    expect(await atRisk(A.otherWorker, A.otherWorker.userId)).toBe(true);
    expect(await atRisk(A.admin, A.otherWorker.userId)).toBe(true);
    expect(await atRisk(A.worker, A.otherWorker.userId)).toBe(false);
    expect(await atRisk(A.worker, A.worker.userId)).toBe(false);
    // Another tenant's caller learns nothing about A's course or scores.
    expect(await atRisk({ ...B.admin }, A.otherWorker.userId)).toBe(false);
  });
});

describe('the migration', () => {
  const CERTIFICATES_MIGRATION = '20261202000300_certificates';

  it('gives completions recorded before it their certificates and PDF links', async () => {
    // The database as it was before certificates: every earlier migration, then data.
    const before = mkdtempSync(path.join(tmpdir(), 'training-migrations-'));
    for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
      if (name < CERTIFICATES_MIGRATION)
        cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    }
    const old = await freshDatabase({ migrated: false });
    try {
      await migrate(old, before);
      const data = owner(old);
      const tenant = uuid();
      const user = uuid();
      await data.insert('profiles', { id: user, tenant_id: tenant, role: 'worker', display_name: 'Old Timer' });
      const course = async (issues: boolean) =>
        (
          await data.insert('training_courses', {
            tenant_id: tenant,
            title: issues ? 'Certifying' : 'Plain',
            category: 'other',
            issues_certificate: issues,
            created_by: user,
          })
        ).id as string;
      const completion = async (courseId: string, passed: boolean) => {
        const assignment = await data.insert('training_assignments', {
          tenant_id: tenant,
          course_id: courseId,
          user_id: user,
          status: passed ? 'completed' : 'assigned',
        });
        const id = uuid();
        await data.insert('training_completions', {
          id,
          tenant_id: tenant,
          assignment_id: assignment.id,
          course_id: courseId,
          user_id: user,
          passed,
          expires_at: '2030-06-30',
          certificate_url: passed ? `https://training.example.com/certificates/${id}` : null,
        });
        return id;
      };
      const certifying = await course(true);
      const passed = await completion(certifying, true);
      await completion(certifying, false);
      await completion(await course(false), true);

      expect(await migrate(old)).toEqual([
        CERTIFICATES_MIGRATION,
        ...readdirSync(DEFAULT_MIGRATIONS_DIR).filter((n) => n > CERTIFICATES_MIGRATION && !n.endsWith('.toml')),
      ]);

      const certificates = await data.query<{ completion_id: string; code: string; expires_at: Date }>(
        'SELECT completion_id, code, expires_at FROM certificates',
      );
      expect(certificates).toHaveLength(1);
      expect(certificates[0]).toMatchObject({ completion_id: passed });
      expect(certificates[0]!.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [link] = await data.query<{ certificate_url: string }>(
        'SELECT certificate_url FROM training_completions WHERE id = $1',
        [passed],
      );
      expect(link!.certificate_url).toBe(`https://training.example.com/certificates/${certificates[0]!.code}.pdf`);
      const [verified] = await asCaller(
        old,
        { tenantId: uuid(), userId: uuid(), role: 'worker' },
        'SELECT status, holder_name FROM verify_certificate($1)',
        certificates[0]!.code,
      );
      expect(verified).toEqual({ status: 'valid', holder_name: 'Old Timer' });
    } finally {
      await old.drop();
      rmSync(before, { recursive: true, force: true });
    }
  }, 120_000);
});
