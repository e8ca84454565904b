import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleAssignments, type VisibilityProbe } from '../../src/assignments/live-sql.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { ROLES, type Role } from '../../src/core/permissions.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner, uuid } from '../support/sql.js';

/**
 * Live delivery decides who sees a new assignment in ONE statement for a whole
 * batch of subscribers (src/assignments/live-sql.ts), not with each
 * subscriber's own RLS-scoped read. It must never differ from that read: both
 * call `training_assignment_visible`, and these tests fail if either stops doing so
 * or if the batched statement returns anything the subscriber's own read does not.
 */

let db: TestDatabase;
let sql: ReturnType<typeof owner>;

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
});
afterAll(() => db.drop());

describe('one visibility rule for RLS and live delivery', () => {
  it('the SELECT policy of training_assignments is the shared function, with the caller’s settings', async () => {
    const [policy] = await sql.query<{ qual: string }>(
      `SELECT qual FROM pg_policies WHERE tablename = 'training_assignments' AND policyname = 'training_assignments_select'`,
    );
    expect(policy?.qual.replace(/\s+/g, ' ')).toBe(
      'training_assignment_visible(tenant_id, user_id, app_tenant_id(), app_user_id(), app_role())',
    );
    const [fn] = await sql.query<{ language: string; volatility: string; definer: boolean }>(
      `SELECT l.lanname AS language, p.provolatile AS volatility, p.prosecdef AS definer
       FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'training_assignment_visible'`,
    );
    // Inlinable into both the policy and the batched join: plain SQL, STABLE, not SECURITY DEFINER.
    expect(fn).toEqual({ language: 'sql', volatility: 's', definer: false });
  });

  it('delivers to each subscriber exactly the rows its own RLS-scoped read returns', async () => {
    // A world: 2 tenants, users of every role, assignments of some of them; subscribers pick a
    // viewer and a `userId` argument (none, themselves, someone else, another tenant's user).
    const world = fc.record({
      tenants: fc.array(
        fc.record({
          roles: fc.array(fc.constantFrom<Role>(...ROLES), { minLength: 1, maxLength: 5 }),
          assignments: fc.array(fc.nat(), { maxLength: 6 }),
        }),
        { minLength: 2, maxLength: 2 },
      ),
      subscribers: fc.array(
        fc.record({
          tenant: fc.nat(1),
          viewer: fc.nat(),
          follows: fc.oneof(
            fc.constant<'all'>('all'),
            fc.constant<'self'>('self'),
            fc.record({ tenant: fc.nat(1), user: fc.nat() }),
          ),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    });

    await fc.assert(
      fc.asyncProperty(world, async ({ tenants, subscribers }) => {
        const seeded: { tenantId: string; users: { id: string; role: Role }[]; ids: string[] }[] = [];
        for (const tenant of tenants) {
          const tenantId = uuid();
          const users = tenant.roles.map((role) => ({ id: uuid(), role }));
          await sql.query(
            `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, r FROM unnest($2::uuid[], $3::text[]) AS t(u, r)`,
            [tenantId, users.map((user) => user.id), users.map((user) => user.role)],
          );
          const course = await sql.insert('training_courses', {
            tenant_id: tenantId,
            title: 'C',
            category: 'other',
            created_by: users[0]!.id,
          });
          const assignees = tenant.assignments.map((n) => users[n % users.length]!.id);
          const rows = await sql.query<{ id: string }>(
            `INSERT INTO training_assignments (tenant_id, course_id, user_id, status)
             SELECT $1, $2, u, 'cancelled' FROM unnest($3::uuid[]) AS u RETURNING id::text`,
            [tenantId, course.id, assignees],
          );
          seeded.push({ tenantId, users, ids: rows.map((row) => row.id) });
        }
        // Every subscriber is handed every id of every tenant: the statement alone must narrow them.
        const allIds = seeded.flatMap((tenant) => tenant.ids);
        const probes = subscribers.map((subscriber): VisibilityProbe & { viewerId: string } => {
          const tenant = seeded[subscriber.tenant]!;
          const viewer = tenant.users[subscriber.viewer % tenant.users.length]!;
          const { follows } = subscriber;
          const filterUserId =
            follows === 'all'
              ? null
              : follows === 'self'
                ? viewer.id
                : seeded[follows.tenant]!.users[follows.user % seeded[follows.tenant]!.users.length]!.id;
          return {
            tenantId: tenant.tenantId,
            userId: viewer.id,
            viewerId: viewer.id,
            role: viewer.role,
            filterUserId,
            ids: allIds,
          };
        });

        // The batched path, as the hub runs it: one statement per tenant's batch, as its service role.
        const batched = new Map<number, string[]>();
        for (const tenant of seeded) {
          const mine = probes.flatMap((probe, index) => (probe.tenantId === tenant.tenantId ? [{ probe, index }] : []));
          if (!mine.length) continue;
          const visible = await runAsCaller(
            db.prisma,
            { tenantId: tenant.tenantId, userId: '', role: 'service' },
            (tx) =>
              visibleAssignments(
                tx,
                tenant.tenantId,
                mine.map(({ probe }) => probe),
              ),
          );
          mine.forEach(({ index }, position) => batched.set(index, [...visible[position]!].sort()));
        }

        // Each subscriber's own read, under its own RLS.
        for (const [index, probe] of probes.entries()) {
          const own = await runAsCaller(
            db.prisma,
            { tenantId: probe.tenantId, userId: probe.viewerId, role: probe.role as Role },
            (tx) =>
              tx.trainingAssignment.findMany({
                where: { id: { in: allIds }, ...(probe.filterUserId ? { userId: probe.filterUserId } : {}) },
                select: { id: true },
              }),
          );
          expect(batched.get(index)).toEqual(own.map((row) => row.id).sort());
        }
      }),
      { numRuns: 30 },
    );
  });
});
