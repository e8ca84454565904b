import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  AuditEventsDocument,
  CreateTrainingCourseDocument,
  UpdateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { attempt, TENANT_TABLES } from '../support/sql.js';

/**
 * The audit trail: a row per write to a tenant table, appended by the database in the writing transaction,
 * append-only for every role, read by admins through `auditEvents`.
 */

/** Tenant tables without the audit trigger, each with the reason. Any other table without it fails below. */
const EXEMPT: Record<string, string> = {
  audit_events: 'the trail itself',
  notifications:
    'the e-mail outbox: queued by triggers and jobs from audited writes; its state is delivery bookkeeping',
  scheduled_job_runs: "the scheduler's own record of which slot ran; no user writes it",
  training_assignment_counts: 'analytics counters derived from training_assignments by triggers',
  training_assignment_due_counts: 'analytics counters derived from training_assignments by triggers',
  training_completion_counts: 'analytics counters derived from training_completions by triggers',
  training_holdings: "each user's holdings, derived from training_completions and certificates by triggers",
  quiz_attempt_questions: 'what an attempt shows, frozen by the grader when the (audited) attempt starts',
  idempotency_keys: "a mutation's kept response for retries; the mutation's own writes are audited",
  xapi_statements: 'append-only and immutable: a statement is its own record of who did what, when',
  xapi_attachments: "a statement's attachments, stored with the (immutable) statement",
  xapi_activities: "activity definitions the LRS keeps from statements' objects",
  xapi_documents: 'state and profile documents the running content saves (bytes, often): learner progress, not records',
};

let server: TestServer;
let admin: Actor;
let officer: Actor;
let otherAdmin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
  otherAdmin = await server.actor('admin');
  // Each actor's first request records their profile (an audited write of its own).
  for (const actor of [admin, officer, otherAdmin]) await actor.request(AuditEventsDocument, {});
});
afterAll(() => server.stop());

const auditRows = (where: string, params: unknown[]) =>
  server.owner.query<{
    action: string;
    actor_id: string | null;
    role: string | null;
    changes: unknown;
    request_id: string | null;
  }>(`SELECT action, actor_id, role, changes, request_id FROM audit_events WHERE ${where} ORDER BY seq`, params);

describe('audit trigger coverage', () => {
  it('every tenant table has the audit trigger, unless exempted above with a reason', async () => {
    const rows = await server.owner.query<{ table: string; named: string }>(
      `SELECT c.relname AS table, (string_to_array(encode(t.tgargs, 'escape'), '\\000'))[3] AS named
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE t.tgname = 'audit_row_change' AND NOT t.tgisinternal`,
    );
    // Each event names its table as attached, not as the trigger sees it (a shard's name on Citus).
    expect(rows.filter((row) => row.named !== row.table)).toEqual([]);
    const audited = new Set(rows.map((row) => row.table));
    const missing = TENANT_TABLES.filter((table) => !audited.has(table) && !(table in EXEMPT));
    expect(missing, 'attach the audit trigger (SELECT audit_attach(...)) or exempt the table with a reason').toEqual(
      [],
    );
    // An exemption for a table that is audited (or no longer exists) is stale.
    expect(
      Object.keys(EXEMPT).filter((table) => audited.has(table) || !TENANT_TABLES.includes(table as never)),
    ).toEqual([]);
  });
});

describe('writes append audit events in their transaction', () => {
  it('a create and an update through the API: actor, role, request id, and the changed fields before and after', async () => {
    const requestId = `audit-${randomUUID()}`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${officer.token}`,
        'x-request-id': requestId,
      },
      body: JSON.stringify({
        query: 'mutation { createTrainingCourse(input: { title: "Audit me", category: OTHER }) { id } }',
      }),
    });
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const { data } = (await response.json()) as { data: { createTrainingCourse: { id: string } } };
    const id = data.createTrainingCourse.id;
    await ok(officer.request(UpdateTrainingCourseDocument, { id, input: { title: 'Audited', durationMinutes: 30 } }));

    const rows = await auditRows('entity_id = $1', [id]);
    expect(rows.map((row) => row.action)).toEqual(['create', 'update']);
    expect(rows.every((row) => row.actor_id === officer.userId && row.role === 'safety_officer')).toBe(true);
    expect(rows[0]!.request_id).toBe(requestId);
    expect(rows[1]!.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[0]!.changes).toMatchObject({ before: null, after: { id, title: 'Audit me', category: 'other' } });
    const update = rows[1]!.changes as { before: Record<string, unknown>; after: Record<string, unknown> };
    expect(update.before).toMatchObject({ title: 'Audit me', duration_minutes: null });
    expect(update.after).toMatchObject({ title: 'Audited', duration_minutes: 30 });
    // Only changed fields: the category stayed.
    expect(Object.keys(update.after)).not.toContain('category');
  });

  it('a rolled-back write leaves no audit event; refused input writes none', async () => {
    const before = await server.owner.count('audit_events', 'tenant_id = $1', [admin.tenantId]);
    const caller = { tenantId: admin.tenantId, userId: admin.userId, role: 'admin' as const };
    await expect(
      runAsCaller(server.db.prisma, caller, async (tx) => {
        await tx.$executeRaw`INSERT INTO training_courses (tenant_id, title, category, created_by)
                             VALUES (${admin.tenantId}::uuid, 'Rolled back', 'other', ${admin.userId}::uuid)`;
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const refused = await admin.request(CreateTrainingCourseDocument, {
      input: { title: 'x', category: 'OTHER', riskThreshold: 200 },
    });
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(await server.owner.count('audit_events', 'tenant_id = $1', [admin.tenantId])).toBe(before);
  });
});

describe('append-only', () => {
  it('the application role can neither update nor delete an audit event, whatever its role', async () => {
    const [row] = await server.owner.query<{ id: string }>('SELECT id FROM audit_events WHERE tenant_id = $1 LIMIT 1', [
      admin.tenantId,
    ]);
    for (const role of ['admin', 'service'] as const) {
      const caller = { tenantId: admin.tenantId, userId: admin.userId, role };
      const updated = await attempt(server.db, caller, (tx) =>
        tx.$executeRawUnsafe(`UPDATE audit_events SET action = 'delete' WHERE id = $1::uuid`, row!.id),
      );
      const deleted = await attempt(server.db, caller, (tx) =>
        tx.$executeRawUnsafe('DELETE FROM audit_events WHERE id = $1::uuid', row!.id),
      );
      expect(updated).toMatchObject({ ok: false, code: '42501' });
      expect(deleted).toMatchObject({ ok: false, code: '42501' });
    }
  });

  it("the owner's ordinary statements cannot update, delete or truncate it either", async () => {
    const fingerprint = async () => (await server.owner.fingerprints(['audit_events']))['audit_events'];
    const before = await fingerprint();
    for (const statement of [
      `UPDATE audit_events SET changes = '{}'`,
      'DELETE FROM audit_events',
      'TRUNCATE audit_events',
    ]) {
      await expect(server.owner.query(statement)).rejects.toThrow(/append-only/);
    }
    expect(await fingerprint()).toBe(before);
  });
});

describe('auditEvents', () => {
  it('admins read their tenant\u2019s trail newest first, filtered by entity, actor, action and time', async () => {
    const course = (
      await ok(admin.request(CreateTrainingCourseDocument, { input: { title: 'Filter me', category: 'OTHER' } }))
    ).createTrainingCourse;
    await ok(admin.request(UpdateTrainingCourseDocument, { id: course.id, input: { title: 'Filtered' } }));

    const all = await ok(admin.request(AuditEventsDocument, { filter: { entityId: course.id } }));
    expect(all.auditEvents.totalCount).toBe(2);
    expect(all.auditEvents.nodes.map((node) => node.action)).toEqual(['UPDATE', 'CREATE']);
    expect(all.auditEvents.nodes[0]).toMatchObject({
      actor: { id: admin.userId },
      role: 'admin',
      entityType: 'training_courses',
      entityId: course.id,
      changes: { before: { title: 'Filter me' }, after: { title: 'Filtered' } },
    });

    const updates = await ok(
      admin.request(AuditEventsDocument, { filter: { entityId: course.id, action: 'UPDATE', actorId: admin.userId } }),
    );
    expect(updates.auditEvents.nodes.map((node) => node.action)).toEqual(['UPDATE']);
    const future = await ok(
      admin.request(AuditEventsDocument, {
        filter: { entityId: course.id, from: new Date(Date.now() + 3_600_000).toISOString() },
      }),
    );
    expect(future.auditEvents.totalCount).toBe(0);

    // Pages: one at a time, by cursor.
    const first = await ok(admin.request(AuditEventsDocument, { filter: { entityId: course.id }, first: 1 }));
    const second = await ok(
      admin.request(AuditEventsDocument, {
        filter: { entityId: course.id },
        first: 1,
        after: first.auditEvents.pageInfo.endCursor,
      }),
    );
    expect([first.auditEvents.nodes[0]!.action, second.auditEvents.nodes[0]!.action]).toEqual(['UPDATE', 'CREATE']);
    expect(second.auditEvents.pageInfo.hasNextPage).toBe(false);

    // Another tenant's admin sees none of it.
    const stranger = await ok(otherAdmin.request(AuditEventsDocument, { filter: { entityId: course.id } }));
    expect(stranger.auditEvents.totalCount).toBe(0);
  });

  it('is for admins only; a bad filter is refused with its field', async () => {
    for (const role of ['safety_officer', 'worker', 'service'] as const) {
      const caller = await server.actor(role, { tenantId: admin.tenantId });
      expect(errorCode(await caller.request(AuditEventsDocument, {})), role).toBe('FORBIDDEN');
    }
    expect(errorCode(await server.request(AuditEventsDocument, {}))).toBe('UNAUTHENTICATED');
    const bad = await admin.request(AuditEventsDocument, { filter: { entityId: 'nope' } });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions?.field).toBe('filter.entityId');
    const backwards = await admin.request(AuditEventsDocument, {
      filter: { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' },
    });
    expect(backwards.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.to' });
  });
});
