import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  MarkNotificationsReadDocument,
  MyNotificationPreferencesDocument,
  MyNotificationsDocument,
  UpdateNotificationPreferencesDocument,
} from '../../src/generated/operations/graphql.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { asCaller, uuid } from '../support/sql.js';
import { jobNamed, jobRunner } from '../support/jobs.js';

/**
 * The outbox: each event writes one notification per recipient in its own
 * transaction, at most once per (recipient, kind, subject); each user reads
 * and marks only their own, in the API and in the database.
 */

let server: TestServer;
let admin: Actor;
let worker: Actor;
let colleague: Actor;
/** An admin of another tenant. */
let stranger: Actor;
let courseId: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId, email: 'worker@example.com' });
  colleague = await server.actor('worker', { tenantId: admin.tenantId });
  stranger = await server.actor('admin');
  for (const actor of [admin, worker, colleague, stranger]) await ok(actor.request('{ me { id } }'));
  const created = await ok(
    admin.request(CreateTrainingCourseDocument, { input: { title: 'Ladder Safety', category: 'SAFETY_FUNDAMENTALS' } }),
  );
  courseId = created.createTrainingCourse.id;
});
afterAll(() => server.stop());

const notificationsOf = (userId: string) =>
  server.owner.query<{ id: string; kind: string; assignment_id: string | null; subject: string }>(
    'SELECT id, kind, assignment_id, subject FROM notifications WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );

describe('ASSIGNMENT_CREATED', () => {
  let assignmentId: string;

  it('a new assignment notifies its assignee once, in the app', async () => {
    const assigned = await ok(
      admin.request(AssignTrainingCourseDocument, {
        input: { courseId, userId: worker.userId, dueDate: dayFromToday(10) },
      }),
    );
    assignmentId = assigned.assignTrainingCourse.id;

    const mine = await ok(worker.request(MyNotificationsDocument, {}));
    expect(mine.myNotifications.totalCount).toBe(1);
    expect(mine.myNotifications.nodes[0]).toMatchObject({
      kind: 'ASSIGNMENT_CREATED',
      readAt: null,
      assignment: { id: assignmentId, course: { id: courseId, title: 'Ladder Safety' } },
    });
    // Nobody else is told.
    expect((await ok(colleague.request(MyNotificationsDocument, {}))).myNotifications.totalCount).toBe(0);
    expect((await ok(admin.request(MyNotificationsDocument, {}))).myNotifications.totalCount).toBe(0);
  });

  it('a refused assignment (duplicate) and a rolled-back one notify nobody', async () => {
    const before = await server.owner.count('notifications');
    const duplicate = await admin.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: worker.userId, dueDate: dayFromToday(10) },
    });
    expect(errorCode(duplicate)).toBe('CONFLICT');

    const caller = { tenantId: admin.tenantId, userId: admin.userId, role: 'admin' as const };
    await expect(
      runAsCaller(server.db.prisma, caller, async (tx) => {
        await tx.$executeRaw`
          INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
          VALUES (${admin.tenantId}::uuid, ${courseId}::uuid, ${colleague.userId}::uuid, 'manual')`;
        expect(
          await tx.$queryRaw<unknown[]>`
            SELECT 1 FROM notifications WHERE tenant_id = ${admin.tenantId}::uuid AND user_id = ${colleague.userId}::uuid`,
        ).toHaveLength(1);
        throw new Error('the event fails after its insert');
      }),
    ).rejects.toThrow('the event fails');
    expect(await server.owner.count('notifications')).toBe(before);
    expect(await notificationsOf(colleague.userId)).toEqual([]);
  });

  it('one statement creating many assignments writes all their notifications in the same statement', async () => {
    const course = await server.owner.insert('training_courses', {
      tenant_id: admin.tenantId,
      title: 'Bulk',
      category: 'compliance',
      created_by: admin.userId,
    });
    const users = Array.from({ length: 120 }, () => uuid());
    for (const id of users) {
      await server.owner.insert('profiles', { id, tenant_id: admin.tenantId, role: 'worker' });
    }
    const caller = { tenantId: admin.tenantId, userId: admin.userId, role: 'service' as const };
    // Shaped as auto-assignment's statement: one tenant's rows in a modifying CTE, which Citus sends whole to the
    // tenant's shard (a bare INSERT … SELECT it would copy, and COPY refuses RLS).
    const [created] = await runAsCaller(
      server.db.prisma,
      caller,
      (tx) => tx.$queryRaw<{ n: number }[]>`
        WITH created AS (
          INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, due_date)
          SELECT ${admin.tenantId}::uuid, ${course.id as string}::uuid, p.id, 'risk_based', training_today() + 14
          FROM profiles p WHERE p.tenant_id = ${admin.tenantId}::uuid AND p.id = ANY(${users}::uuid[])
          RETURNING 1)
        SELECT count(*)::int AS n FROM created`,
    );
    expect(created!.n).toBe(120);
    const [row] = await server.owner.query<{ n: number; users: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM notifications
       WHERE tenant_id = $2 AND kind = 'assignment_created'
         AND assignment_id IN (SELECT id FROM training_assignments WHERE tenant_id = $2 AND course_id = $1)`,
      [course.id, admin.tenantId],
    );
    expect(row).toEqual({ n: 120, users: 120 });
  });

  it('markNotificationsRead marks only the caller’s own; others’ ids count 0 and change nothing', async () => {
    const [own] = await notificationsOf(worker.userId);
    const colleagueAssigned = await ok(
      admin.request(AssignTrainingCourseDocument, {
        input: { courseId, userId: colleague.userId, dueDate: dayFromToday(5) },
      }),
    );
    const [theirs] = await notificationsOf(colleague.userId);
    expect(theirs?.assignment_id).toBe(colleagueAssigned.assignTrainingCourse.id);

    const marked = await ok(worker.request(MarkNotificationsReadDocument, { ids: [own!.id, theirs!.id, uuid()] }));
    expect(marked.markNotificationsRead).toBe(1);
    // Again: already read.
    expect((await ok(worker.request(MarkNotificationsReadDocument, { ids: [own!.id] }))).markNotificationsRead).toBe(0);
    // Another tenant's admin: nothing.
    expect(
      (await ok(stranger.request(MarkNotificationsReadDocument, { ids: [theirs!.id] }))).markNotificationsRead,
    ).toBe(0);
    // An admin of the same tenant may not mark a worker's either.
    expect((await ok(admin.request(MarkNotificationsReadDocument, { ids: [theirs!.id] }))).markNotificationsRead).toBe(
      0,
    );
    const [stillUnread] = await server.owner.query<{ read_at: Date | null }>(
      'SELECT read_at FROM notifications WHERE id = $1',
      [theirs!.id],
    );
    expect(stillUnread!.read_at).toBeNull();

    const unread = await ok(worker.request(MyNotificationsDocument, { unreadOnly: true }));
    expect(unread.myNotifications.totalCount).toBe(0);
    const all = await ok(worker.request(MyNotificationsDocument, {}));
    expect(all.myNotifications.nodes[0]!.readAt).not.toBeNull();
  });

  it('refuses a malformed id with BAD_USER_INPUT and marks nothing', async () => {
    const [theirs] = await notificationsOf(colleague.userId);
    const response = await colleague.request(MarkNotificationsReadDocument, { ids: [theirs!.id, 'not-a-uuid'] });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions?.field).toBe('ids[1]');
    const [row] = await server.owner.query<{ read_at: Date | null }>(
      'SELECT read_at FROM notifications WHERE id = $1',
      [theirs!.id],
    );
    expect(row!.read_at).toBeNull();
  });

  it('the database alone keeps a worker to their own notifications and every tenant to its own', async () => {
    const asWorker = await asCaller<{ user_id: string }>(
      server.db,
      { tenantId: worker.tenantId, userId: worker.userId, role: 'worker' },
      'SELECT user_id FROM notifications',
    );
    expect(asWorker.length).toBeGreaterThan(0);
    expect(asWorker.every((row) => row.user_id === worker.userId)).toBe(true);
    const asStranger = await asCaller(
      server.db,
      { tenantId: stranger.tenantId, userId: stranger.userId, role: 'admin' },
      'SELECT * FROM notifications',
    );
    expect(asStranger).toEqual([]);
    // A worker cannot change the e-mail state, nor write a notification.
    const workerCaller = { tenantId: worker.tenantId, userId: worker.userId, role: 'worker' as const };
    await expect(asCaller(server.db, workerCaller, "UPDATE notifications SET email_status = 'sent'")).rejects.toThrow();
    await expect(
      asCaller(
        server.db,
        workerCaller,
        "INSERT INTO notifications (tenant_id, user_id, kind, subject) VALUES ($1, $2, 'overdue', 'x')",
        worker.tenantId,
        worker.userId,
      ),
    ).rejects.toThrow();
  });
});

describe('notification preferences', () => {
  it('are the caller’s own: read, replaced, and nobody else’s', async () => {
    const initial = await ok(worker.request(MyNotificationPreferencesDocument, {}));
    expect(initial.me.notificationPreferences?.emailOptOut).toEqual([]);
    const updated = await ok(
      worker.request(UpdateNotificationPreferencesDocument, {
        input: { emailOptOut: ['OVERDUE', 'DUE_SOON', 'OVERDUE'] },
      }),
    );
    expect(updated.updateNotificationPreferences.emailOptOut).toEqual(['DUE_SOON', 'OVERDUE']);
    const replaced = await ok(
      worker.request(UpdateNotificationPreferencesDocument, { input: { emailOptOut: ['CERTIFICATE_EXPIRING'] } }),
    );
    expect(replaced.updateNotificationPreferences.emailOptOut).toEqual(['CERTIFICATE_EXPIRING']);
    expect((await ok(worker.request(MyNotificationPreferencesDocument, {}))).me.notificationPreferences).toEqual({
      emailOptOut: ['CERTIFICATE_EXPIRING'],
    });
    // The colleague's are untouched.
    expect((await ok(colleague.request(MyNotificationPreferencesDocument, {}))).me.notificationPreferences).toEqual({
      emailOptOut: [],
    });
  });

  it('another user’s preferences read as null, even to an admin', async () => {
    const response = await ok(
      admin.request<{ trainingAssignments: { nodes: { user: { notificationPreferences: unknown } }[] } }, never>(
        `{ trainingAssignments(first: 1, filter: { userId: "${worker.userId}" }) { nodes { user { notificationPreferences { emailOptOut } } } } }`,
      ),
    );
    expect(response.trainingAssignments.nodes).toEqual([{ user: { notificationPreferences: null } }]);
  });

  it('refuses a null list and an unknown kind, writing nothing', async () => {
    const before = await server.owner.fingerprints(['notification_preferences']);
    for (const input of [{ emailOptOut: null }, { emailOptOut: ['NOT_A_KIND'] }]) {
      const response = await worker.request(UpdateNotificationPreferencesDocument, { input } as never);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
    }
    expect(await server.owner.fingerprints(['notification_preferences'])).toEqual(before);
  });
});

describe('DUE_SOON and OVERDUE from the scheduler', () => {
  it('are written once per assignment and due date, however often the jobs run', async () => {
    const tenantId = uuid();
    const user = uuid();
    await server.owner.insert('profiles', { id: user, tenant_id: tenantId, role: 'worker' });
    // One course each: a user holds one active assignment per course.
    const assign = async (dueDays: number, status = 'assigned') => {
      const course = await server.owner.insert('training_courses', {
        tenant_id: tenantId,
        title: 'Forklift',
        category: 'equipment_safety',
        created_by: user,
      });
      const [row] = await server.owner.query<{ id: string }>(
        `INSERT INTO training_assignments (tenant_id, course_id, user_id, due_date, status)
         VALUES ($1, $2, $3, training_today() + $4::int, $5) RETURNING id`,
        [tenantId, course.id, user, dueDays, status],
      );
      return row!.id;
    };
    const dueSoon = await assign(3);
    const dueToday = await assign(0, 'in_progress');
    const overdue = await assign(-1);
    await assign(10); // not yet
    await assign(-1, 'completed'); // done: no reminder
    await assign(-30); // overdue for long: no notification (only the recent)

    const runner = jobRunner(server.db.prisma);
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const first = await runScheduledJob(runner, jobNamed('reminders'), slot);
    expect(first.failed).toBe(0);
    await runScheduledJob(runner, jobNamed('reminders'), new Date(slot.getTime() + 3_600_000));
    await runScheduledJob(runner, jobNamed('overdue_sweep'), slot);

    const rows = await server.owner.query<{ kind: string; assignment_id: string }>(
      `SELECT kind, assignment_id FROM notifications WHERE tenant_id = $1 AND kind <> 'assignment_created'
       ORDER BY kind, assignment_id`,
      [tenantId],
    );
    expect(rows).toEqual(
      [
        { kind: 'due_soon', assignment_id: dueSoon },
        { kind: 'due_soon', assignment_id: dueToday },
        { kind: 'overdue', assignment_id: overdue },
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.assignment_id.localeCompare(b.assignment_id)),
    );
  });
});

describe('Course.recertifyDaysBefore', () => {
  it('defaults to 30, may be cleared, and is refused out of 0–365 with nothing written', async () => {
    const created = await ok(
      admin.request<{ createTrainingCourse: { id: string; recertifyDaysBefore: number | null } }, never>(
        `mutation { createTrainingCourse(input: { title: "Fire Wardens", category: EMERGENCY_RESPONSE }) { id recertifyDaysBefore } }`,
      ),
    );
    expect(created.createTrainingCourse.recertifyDaysBefore).toBe(30);
    const id = created.createTrainingCourse.id;
    const cleared = await ok(
      admin.request<{ updateTrainingCourse: { recertifyDaysBefore: number | null } }, never>(
        `mutation { updateTrainingCourse(id: "${id}", input: { recertifyDaysBefore: null }) { recertifyDaysBefore } }`,
      ),
    );
    expect(cleared.updateTrainingCourse.recertifyDaysBefore).toBeNull();

    const before = await server.owner.fingerprints(['training_courses']);
    for (const mutation of [
      `mutation { createTrainingCourse(input: { title: "X", category: OTHER, recertifyDaysBefore: 366 }) { id } }`,
      `mutation { updateTrainingCourse(id: "${id}", input: { recertifyDaysBefore: -1 }) { id } }`,
    ]) {
      const response = await admin.request(mutation);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions?.field).toBe('input.recertifyDaysBefore');
    }
    expect(await server.owner.fingerprints(['training_courses'])).toEqual(before);
  });
});
