import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  WebAnalyticsBreakdownsDocument,
  WebAssignmentsDocument,
  type AnalyticsFilter,
} from '../../src/generated/operations/graphql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Training Analytics' filtered breakdowns (totals, by zone, equipment, course and week) and the drill-down
 * behind them (trainingAssignments' zone, equipment and date filters), figure by figure against a small
 * set of rows with known times. M = this week's Monday (UTC); W4 has no zone.
 *
 *   #  course user assigned  completed   due     what                zones      equipment
 *   1  C1     W1   M-14      M-10 (80)   M-7     completed           Z1
 *   2  C1     W2   M-14      —           M-9     overdue             Z1, Z2
 *   3  C2     W2   M-7       —           M+30    in progress         Z1, Z2
 *   4  C2     W3   M-14      —           M-12    cancelled at M-10   Z2         E1
 *   5  C1     W3   M-21      M-2 (90)    M-20    completed late      Z2         E1
 *   6  C2     W4   now       —           M+30    assigned
 */

let server: TestServer;
let officer: Actor;
const statements: string[] = [];
const [Z1, Z2, E1] = [randomUUID(), randomUUID(), randomUUID()];
const users = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const courses: string[] = [];
const ids: string[] = [];

const monday = (() => {
  const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  return new Date(today.getTime() - ((today.getUTCDay() + 6) % 7) * 86_400_000);
})();
const day = (offset: number) => new Date(monday.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  officer = await server.actor('safety_officer');
  const tenant = officer.tenantId;
  const q = server.owner.query;
  await q(`INSERT INTO profiles (id, tenant_id, role) SELECT unnest($2::uuid[]), $1::uuid, 'worker'`, [tenant, users]);
  for (const title of ['Ladders', 'Forklift']) {
    const [row] = await q<{ id: string }>(
      `INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, $2, 'compliance', $3)
       RETURNING id::text`,
      [tenant, title, officer.userId],
    );
    courses.push(row!.id);
  }
  const [C1, C2] = courses as [string, string];
  const [W1, W2, W3, W4] = users as [string, string, string, string];
  const rows: [string, string, string, string, string | null, string, string | null][] = [
    [C1, W1, 'completed', day(-14), day(-10), day(-7), null],
    [C1, W2, 'assigned', day(-14), null, day(-9), null],
    [C2, W2, 'in_progress', day(-7), null, day(30), null],
    [C2, W3, 'cancelled', day(-14), null, day(-12), day(-10)],
    [C1, W3, 'completed', day(-21), day(-2), day(-20), null],
    // Now, whatever the hour (the others at 09:00 UTC of their day).
    [C2, W4, 'assigned', new Date(Date.now() - 9 * 3_600_000).toISOString(), null, day(30), null],
  ];
  for (const [course, user, status, assigned, completed, due, cancelled] of rows) {
    const [row] = await q<{ id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, status, assigned_at, completed_at, due_date,
                                         cancelled_at, started_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz + interval '9 hours', $6::timestamptz + interval '9 hours', $7,
               $8::timestamptz + interval '9 hours', CASE WHEN $4 <> 'assigned' THEN $5::timestamptz END)
       RETURNING id::text`,
      [tenant, course, user, status, assigned, completed, due, cancelled],
    );
    ids.push(row!.id);
    if (status === 'completed') {
      await q(
        `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz + interval '9 hours')`,
        [tenant, row!.id, course, user, completed === day(-10) ? 80 : 90, completed],
      );
    }
  }
  await q(
    `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
     SELECT $1, z, u, now() - interval '2 days', now() - interval '1 day'
     FROM (VALUES ($2::uuid, $4::uuid), ($2, $5), ($3, $5), ($3, $6), ($3, $5)) v(z, u)`,
    [tenant, Z1, Z2, W1, W2, W3],
  );
  await q(`INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) VALUES ($1, $2, $3)`, [tenant, E1, W3]);
}, setupTimeout(120_000));
afterAll(() => server.stop());

const breakdowns = async (filter?: AnalyticsFilter) =>
  (await ok(officer.request(WebAnalyticsBreakdownsDocument, { filter }))).trainingAnalytics;

const figures = (assignments: number, completed: number, inProgress: number, overdue: number, people: number) => ({
  people,
  assignments,
  completed,
  inProgress,
  overdue,
});

describe('filtered breakdowns', () => {
  it('count every kept assignment once per zone, equipment and course, cancelled ones excluded', async () => {
    const all = await breakdowns();
    expect(all.totals).toMatchObject({ ...figures(5, 2, 1, 1, 4), completionRate: 40, averageScore: 85 });
    const byZone = Object.fromEntries(all.byZone.map(({ zoneId, ...row }) => [zoneId, row]));
    expect(byZone).toEqual({
      [Z1]: { ...figures(3, 1, 1, 1, 2), completionRate: 33.33 },
      [Z2]: { ...figures(3, 1, 1, 1, 2), completionRate: 33.33 },
    });
    expect(all.byEquipment).toEqual([{ equipmentId: E1, ...figures(1, 1, 0, 0, 1), completionRate: 100 }]);
    expect(all.byCourse.map((row) => [row.course.title, row.assignments, row.completed, row.averageScore])).toEqual([
      ['Ladders', 3, 2, 85],
      ['Forklift', 2, 0, null],
    ]);
  });

  it('narrow to a zone, a piece of equipment, a course and a range of days as the export does', async () => {
    expect((await breakdowns({ zoneId: Z1 })).totals).toMatchObject(figures(3, 1, 1, 1, 2));
    expect((await breakdowns({ equipmentId: E1 })).totals).toMatchObject(figures(1, 1, 0, 0, 1));
    expect((await breakdowns({ courseId: courses[1] })).totals).toMatchObject(figures(2, 0, 1, 0, 2));
    // Completed in the range, or assigned in it when not completed: #3, #5 and #6.
    const recent = await breakdowns({ from: day(-7), to: today });
    expect(recent.totals).toMatchObject(figures(3, 1, 1, 0, 3));
    expect((await breakdowns({ from: day(-14), to: day(-10) })).totals).toMatchObject(figures(2, 1, 0, 1, 2));
  });

  it('show completion and overdue week by week', async () => {
    const { byWeek } = await breakdowns({ from: day(-21), to: today });
    expect(byWeek).toEqual([
      { week: day(-21), assigned: 1, completed: 0, overdue: 1 },
      { week: day(-14), assigned: 3, completed: 1, overdue: 2 },
      { week: day(-7), assigned: 1, completed: 1, overdue: 1 },
      { week: day(0), assigned: 1, completed: 0, overdue: 1 },
    ]);
    // No range: the last twelve weeks, this one last.
    const weeks = (await breakdowns()).byWeek;
    expect(weeks).toHaveLength(12);
    expect(weeks.at(-1)!.week).toBe(day(0));
  });

  it('refuse bad filters by name, with the field', async () => {
    for (const [filter, field] of [
      [{ zoneId: 'zone-1' }, 'filter.zoneId'],
      [{ from: today, to: day(-7) }, 'filter.to'],
      [{ from: '2020-01-01', to: today }, 'filter.from'],
    ] as const) {
      const response = await officer.request(WebAnalyticsBreakdownsDocument, { filter });
      expect(errorCode(response), JSON.stringify(filter)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe(field);
    }
  });

  it('take the same number of statements for two zones or forty', async () => {
    await breakdowns();
    statements.length = 0;
    await breakdowns();
    const few = statements.length;
    await server.owner.query(
      `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
       SELECT $1, gen_random_uuid(), u, now(), now() + interval '1 hour' FROM unnest($2::uuid[]) u, generate_series(1, 10)`,
      [officer.tenantId, users],
    );
    statements.length = 0;
    const many = await breakdowns();
    expect(many.byZone).toHaveLength(42);
    expect(statements.length).toBe(few);
  });

  it('give a worker their own figures only', async () => {
    const worker = await server.actor('worker', { tenantId: officer.tenantId, userId: users[1] });
    const own = (await ok(worker.request(WebAnalyticsBreakdownsDocument, {}))).trainingAnalytics;
    expect(own.totals).toMatchObject(figures(2, 0, 1, 1, 1));
  });
});

describe('the drill-down: trainingAssignments by zone, equipment and days', () => {
  const titles = async (filter: Record<string, unknown>) =>
    (await ok(officer.request(WebAssignmentsDocument, { filter, first: 50 }))).trainingAssignments.nodes
      .map((row) => ids.indexOf(row.id) + 1)
      .sort();

  it('lists the people behind a tile', async () => {
    expect(await titles({ zoneId: Z1, status: 'OVERDUE' })).toEqual([2]);
    expect(await titles({ zoneId: Z2 })).toEqual([2, 3, 4, 5]);
    expect(await titles({ equipmentId: E1, status: 'COMPLETED' })).toEqual([5]);
    expect(await titles({ from: day(-7), to: today })).toEqual([3, 5, 6]);
  });

  it('refuses a zone that is not an id, writing nothing', async () => {
    const response = await officer.request(WebAssignmentsDocument, { filter: { equipmentId: 'forklift' } });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('filter.equipmentId');
  });
});
