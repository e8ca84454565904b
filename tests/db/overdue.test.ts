import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFigures, overdueIds } from '../../src/analytics/analytics-sql.js';
import {
  ASSIGNMENT_STATUSES,
  effectiveStatus,
  effectiveStatusWhere,
  type AssignmentStatusValue,
} from '../../src/assignments/status.js';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner, uuid } from '../support/sql.js';

/**
 * "Overdue" is defined once in TypeScript (src/assignments/status.ts) and applied again in
 * SQL: training_effective_status(), the counters' training_assignment_effective_counts(),
 * get_training_analytics(), the analytics statements and the overdue sweep
 * mark_overdue_training_assignments(). On random assignments (random status, due date a
 * few days either side of today, or none) every one of them must say the same, including
 * "due today is not overdue". The seed is printed on failure; OVERDUE_SEED replays it.
 */

const SEED = Number(process.env.OVERDUE_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  id: string;
  course_id: string;
  user_id: string;
  status: string;
  due_date: string | null;
  sql_effective: AssignmentStatusValue;
}

const tenant = uuid();
const admin: Caller = { tenantId: tenant, userId: uuid(), role: 'admin' };
const USERS = 30;
const COURSES = 3;

let db: TestDatabase;
let sql: ReturnType<typeof owner>;
/** today (UTC) as the database sees it. */
let today: Date;
let rows: Row[];
const users: string[] = [];
const courses: string[] = [];

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const dateOf = (text: string | null) => (text === null ? null : new Date(`${text}T00:00:00.000Z`));
const tsEffective = (row: Row) => effectiveStatus(row.status, dateOf(row.due_date), today);
const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

async function readRows(): Promise<Row[]> {
  return sql.query<Row>(
    `SELECT id::text, course_id::text, user_id::text, status, due_date::text,
            training_effective_status(status, due_date) AS sql_effective
     FROM training_assignments WHERE tenant_id = $1 ORDER BY id`,
    [tenant],
  );
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  const next = random(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  await sql.insert('profiles', { id: admin.userId, tenant_id: tenant, role: 'admin' });
  for (let i = 0; i < USERS; i++) {
    users.push(uuid());
    await sql.insert('profiles', { id: users[i], tenant_id: tenant, role: 'worker' });
  }
  for (let i = 0; i < COURSES; i++) {
    const course = await sql.insert('training_courses', {
      tenant_id: tenant,
      title: `Course ${i}`,
      category: pick(['compliance', 'hazard_awareness']),
      created_by: admin.userId,
    });
    courses.push(course.id as string);
  }
  // At most one assignment per (course, user), so the one-active index never refuses one.
  const planned: { course: string; user: string; status: string; due: number | null }[] = [];
  for (const user of users.slice(3)) {
    for (const course of courses) {
      if (next() < 0.2) continue;
      planned.push({ course, user, status: pick(ASSIGNMENT_STATUSES), due: pick([null, -3, -2, -1, 0, 0, 1, 2]) });
    }
  }
  // The edges, whatever the seed: due today (not overdue), due yesterday (overdue), no due date.
  planned.push({ course: courses[0]!, user: users[0]!, status: 'assigned', due: 0 });
  planned.push({ course: courses[1]!, user: users[0]!, status: 'in_progress', due: 0 });
  planned.push({ course: courses[0]!, user: users[1]!, status: 'assigned', due: -1 });
  planned.push({ course: courses[1]!, user: users[1]!, status: 'in_progress', due: -1 });
  planned.push({ course: courses[0]!, user: users[2]!, status: 'in_progress', due: null });
  await sql.query(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, status, due_date)
     SELECT $1, p.course_id, p.user_id, p.status, training_today() + p.due
     FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[]) AS p(course_id, user_id, status, due)`,
    [
      tenant,
      planned.map((p) => p.course),
      planned.map((p) => p.user),
      planned.map((p) => p.status),
      planned.map((p) => p.due),
    ],
  );
  const [clock] = await sql.query<{ today: string }>(`SELECT training_today()::text AS today`);
  today = dateOf(clock!.today)!;
  rows = await readRows();
});

afterAll(() => db?.drop());

describe(`overdue has one meaning (seed ${SEED})`, () => {
  it('training_effective_status() agrees with effectiveStatus() on every row', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) expect(row.sql_effective, JSON.stringify(row)).toBe(tsEffective(row));
  });

  it('due today is not overdue; due yesterday is', () => {
    const todayText = today.toISOString().slice(0, 10);
    const dueToday = rows.filter((row) => row.due_date === todayText && row.status !== 'overdue');
    expect(dueToday.length).toBeGreaterThanOrEqual(2);
    for (const row of dueToday) {
      expect(tsEffective(row)).toBe(row.status);
      expect(row.sql_effective).toBe(row.status);
    }
    const yesterday = rows.filter(
      (row) => row.user_id === users[1] && (row.status === 'assigned' || row.status === 'in_progress'),
    );
    expect(yesterday).toHaveLength(2);
    for (const row of yesterday) expect([tsEffective(row), row.sql_effective]).toEqual(['overdue', 'overdue']);
  });

  it('effectiveStatusWhere() selects exactly the rows whose effective status it names', async () => {
    for (const status of ASSIGNMENT_STATUSES) {
      const selected = await runAsCaller(db.prisma, admin, (tx) =>
        tx.trainingAssignment.findMany({
          where: { tenantId: tenant, ...effectiveStatusWhere(status, today) },
          select: { id: true },
        }),
      );
      const expected = rows.filter((row) => tsEffective(row) === status).map((row) => row.id);
      expect(selected.map((row) => row.id).sort(), status).toEqual(expected.sort());
    }
  });

  it('the counters, get_training_analytics and the analytics statements count the same', async () => {
    const perStatus = countBy(rows, tsEffective);
    const nonCancelled = rows.filter((row) => tsEffective(row) !== 'cancelled');
    const [effective, figures, longestOverdue] = await runAsCaller(db.prisma, admin, async (tx) => [
      await tx.$queryRaw<{ status: string; n: bigint }[]>`
        SELECT status, sum(n)::bigint AS n FROM training_assignment_effective_counts(${tenant}::uuid) GROUP BY status`,
      await computeFigures(
        tx,
        { tenantId: tenant, userId: null },
        new Set(['headline', 'byStatus', 'byCourse'] as const),
      ),
      await overdueIds(tx, { tenantId: tenant, userId: null }, 500),
    ]);
    for (const status of ASSIGNMENT_STATUSES) {
      const counted = effective.filter((row) => row.status === status).reduce((sum, row) => sum + Number(row.n), 0);
      expect(counted, `effective counts: ${status}`).toBe(perStatus.get(status) ?? 0);
    }
    expect(Number(figures.headline!.overdue_count)).toBe(perStatus.get('overdue') ?? 0);
    expect(Number(figures.headline!.in_progress_count)).toBe(perStatus.get('in_progress') ?? 0);
    expect(Number(figures.headline!.total_assignments)).toBe(nonCancelled.length);
    expect(figures.byStatus).toEqual(
      ASSIGNMENT_STATUSES.map((status) => ({ status, count: perStatus.get(status) ?? 0 })),
    );
    const overduePerCourse = countBy(
      rows.filter((row) => tsEffective(row) === 'overdue'),
      (row) => row.course_id,
    );
    for (const course of figures.byCourse!) {
      expect(Number(course.overdue), course.course_id).toBe(overduePerCourse.get(course.course_id) ?? 0);
    }
    const overdue = rows
      .filter((row) => tsEffective(row) === 'overdue')
      // As PostgreSQL orders them: dates and uuids as their text compares byte by byte, no due date last.
      .sort((a, b) => byText(a.due_date ?? '~', b.due_date ?? '~') || byText(a.id, b.id));
    expect(longestOverdue).toEqual(overdue.map((row) => row.id));
  });

  it("one user's figures (read from rows, not counters) agree too", async () => {
    const user = users.find((id) => rows.some((row) => row.user_id === id && tsEffective(row) === 'overdue'))!;
    const mine = rows.filter((row) => row.user_id === user);
    const worker: Caller = { tenantId: tenant, userId: user, role: 'worker' };
    const [figures, longestOverdue] = await runAsCaller(db.prisma, worker, async (tx) => [
      await computeFigures(tx, { tenantId: tenant, userId: user }, new Set(['headline', 'byStatus'] as const)),
      await overdueIds(tx, { tenantId: tenant, userId: user }, 500),
    ]);
    const perStatus = countBy(mine, tsEffective);
    expect(Number(figures.headline!.overdue_count)).toBe(perStatus.get('overdue') ?? 0);
    expect(figures.byStatus).toEqual(
      ASSIGNMENT_STATUSES.map((status) => ({ status, count: perStatus.get(status) ?? 0 })),
    );
    expect(longestOverdue.sort()).toEqual(
      mine
        .filter((row) => tsEffective(row) === 'overdue')
        .map((row) => row.id)
        .sort(),
    );
  });

  it('mark_overdue_training_assignments() stores what effectiveStatus() said, and nothing else changes', async () => {
    const before = new Map(rows.map((row) => [row.id, tsEffective(row)]));
    const changed = rows.filter((row) => tsEffective(row) !== row.status).length;
    expect(changed).toBeGreaterThan(0);
    const [swept] = await runAsCaller(
      db.prisma,
      admin,
      (tx) => tx.$queryRaw<{ swept: bigint }[]>`SELECT mark_overdue_training_assignments() AS swept`,
    );
    expect(Number(swept!.swept)).toBe(changed);
    const after = await readRows();
    for (const row of after) {
      expect(row.status, row.id).toBe(before.get(row.id));
      expect(row.sql_effective, row.id).toBe(row.status);
    }
  });
});
