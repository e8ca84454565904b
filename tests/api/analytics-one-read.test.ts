import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { RECOUNT_FIGURES } from '../support/analytics.js';
import { setupTimeout } from '../support/citus.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * A request for several field groups of a tenant's trainingAnalytics reads the counters once
 * (src/analytics/tenant-figures.ts); one group alone runs its own statement. Both must give the same figures:
 * random data in several tenants (every status, due dates past, today and future or none, passed completions
 * with whole and decimal scores, minutes or none, failed attempts, courses without assignments, an empty
 * tenant), every combination of groups against each group alone, and the counted rows.
 */

const GROUPS = {
  headline:
    'totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime',
  byStatus: 'byStatus { status count }',
  byCategory: 'byCategory { category assignments completed inProgress overdue completionRate averageScore }',
  byCourse:
    'byCourse { course { id title category } assignments completed inProgress overdue completionRate averageScore }',
} as const;
type GroupName = keyof typeof GROUPS;
const NAMES = Object.keys(GROUPS) as GroupName[];
const HEADLINE_FIELDS = GROUPS.headline.split(' ');

/** Every combination of two groups or more. */
const COMBINATIONS = Array.from({ length: 2 ** NAMES.length }, (_, mask) =>
  NAMES.filter((_, index) => mask & (1 << index)),
).filter((names) => names.length > 1);

/** A group's part of an answer, as JSON (byte for byte). */
function part(answer: Record<string, unknown>, name: GroupName): string {
  if (name !== 'headline') return JSON.stringify(answer[name]);
  return JSON.stringify(Object.fromEntries(HEADLINE_FIELDS.map((field) => [field, answer[field]])));
}

async function figures(actor: Actor, names: GroupName[], args = ''): Promise<Record<string, unknown>> {
  const selection = names.map((name) =>
    name === 'byCourse' ? GROUPS.byCourse.replace('byCourse', `byCourse${args}`) : GROUPS[name],
  );
  const data = await ok(
    actor.request<{ trainingAnalytics: Record<string, unknown> }, never>(
      `{ trainingAnalytics { ${selection.join(' ')} } }`,
    ),
  );
  return data.trainingAnalytics;
}

/** A seeded pseudo-random generator (mulberry32): the same data on every run. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}

const CATEGORIES = ['safety_fundamentals', 'hazard_awareness', 'equipment_safety', 'compliance', 'other'];
const STATUSES = ['assigned', 'in_progress', 'overdue', 'completed', 'cancelled'] as const;
const ACTIVE = new Set(['assigned', 'in_progress', 'overdue']);

let server: TestServer;
const statements: string[] = [];
/** Each tenant's admin; the last tenant has nothing, the one before it courses and no assignments. */
const admins: Actor[] = [];

/** One tenant's courses, workers, assignments and completions, written as the owner (the triggers count them). */
async function seedTenant(
  admin: Actor,
  random: ReturnType<typeof generator>,
  { assignments }: { assignments: boolean },
) {
  const tenantId = admin.tenantId;
  const workers = Array.from({ length: 5 }, () => randomUUID());
  for (const [index, id] of workers.entries()) {
    await server.owner.query(
      `INSERT INTO profiles (id, tenant_id, display_name, email, role) VALUES ($1, $2, $3, $4, 'worker')`,
      [id, tenantId, `Worker ${index}`, `worker${index}@${tenantId}.example`],
    );
  }
  const courses: string[] = [];
  const count = random.int(4, 8);
  for (let index = 0; index < count; index++) {
    const [row] = await server.owner.query<{ id: string }>(
      `INSERT INTO training_courses (tenant_id, title, category, created_by) VALUES ($1, $2, $3, $4) RETURNING id::text`,
      [tenantId, `Course ${index}`, CATEGORIES[random.int(0, CATEGORIES.length - 1)], admin.userId],
    );
    courses.push(row!.id);
  }
  if (!assignments) return;
  // The last course keeps no assignment.
  for (const course of courses.slice(0, -1)) {
    for (const worker of workers) {
      let active = false;
      for (let n = random.int(0, 3); n > 0; n--) {
        let status: (typeof STATUSES)[number] = STATUSES[random.int(0, STATUSES.length - 1)]!;
        if (ACTIVE.has(status) && active) status = random.next() < 0.5 ? 'completed' : 'cancelled';
        active ||= ACTIVE.has(status);
        const due = random.next() < 0.1 ? null : random.int(-20, 20);
        const [assignment] = await server.owner.query<{ id: string }>(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id, status, due_date, started_at, completed_at,
                                            cancelled_at)
           VALUES ($1, $2, $3, $4, training_today() + $5::int,
                   CASE WHEN $4 IN ('in_progress', 'completed') THEN now() END,
                   CASE WHEN $4 = 'completed' THEN now() END, CASE WHEN $4 = 'cancelled' THEN now() END)
           RETURNING id::text`,
          [tenantId, course, worker, status, due],
        );
        const attempts = [...(random.next() < 0.3 ? [false] : []), ...(status === 'completed' ? [true] : [])];
        for (const passed of attempts) {
          // Whole and decimal scores (rounding of the averages), some without minutes or score.
          const score = random.next() < 0.1 ? null : (random.int(3000, 10000) / (random.next() < 0.5 ? 100 : 1)) % 101;
          const minutes = random.next() < 0.2 ? null : random.int(1, 120);
          await server.owner.query(
            `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed,
                                              completion_time_minutes)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [tenantId, assignment!.id, course, worker, score, passed, minutes],
          );
        }
      }
    }
  }
}

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  const random = generator(20261220);
  for (let index = 0; index < 5; index++) {
    const admin = await server.actor('admin');
    await ok(admin.request('{ me { id } }')); // the profile, which the courses name as their author
    admins.push(admin);
    if (index < 4) await seedTenant(admin, random, { assignments: index < 3 });
  }
}, setupTimeout(180_000));

afterAll(() => server?.stop());

describe('trainingAnalytics: several groups from one read of the counters', () => {
  it('gives, for every combination of groups, what each group alone gives, in every tenant', async () => {
    for (const admin of admins) {
      const alone = Object.fromEntries(
        await Promise.all(NAMES.map(async (name) => [name, part(await figures(admin, [name]), name)] as const)),
      );
      for (const names of COMBINATIONS) {
        const answer = await figures(admin, names);
        for (const name of names)
          expect({ tenant: admin.tenantId, names, [name]: part(answer, name) }).toEqual({
            tenant: admin.tenantId,
            names,
            [name]: alone[name],
          });
      }
    }
  });

  it('counts what a recount of the rows counts', async () => {
    for (const admin of admins) {
      const answer = await figures(admin, NAMES);
      const [recount] = await server.owner.query<Record<string, number>>(RECOUNT_FIGURES, [admin.tenantId]);
      expect(Object.fromEntries(HEADLINE_FIELDS.map((field) => [field, answer[field]]))).toEqual({
        totalCourses: recount!.total_courses,
        totalAssignments: recount!.total_assignments,
        completedCount: recount!.completed_count,
        inProgressCount: recount!.in_progress_count,
        overdueCount: recount!.overdue_count,
        completionRate: recount!.completion_rate,
        avgCompletionTime: recount!.avg_completion_time,
      });
      const byStatus = await server.owner.query<{ status: string; count: number }>(
        `SELECT upper(s) AS status, count(a.id)::int AS count
         FROM unnest(ARRAY['assigned', 'in_progress', 'completed', 'overdue', 'cancelled']) WITH ORDINALITY AS x(s, i)
         LEFT JOIN training_assignments a ON a.tenant_id = $1 AND training_effective_status(a.status, a.due_date) = x.s
         GROUP BY x.s, x.i ORDER BY x.i`,
        [admin.tenantId],
      );
      expect(answer.byStatus).toEqual(byStatus);
      const courses = await server.owner.query<{ id: string; title: string; category: string; assignments: number }>(
        `SELECT c.id::text, c.title, upper(c.category) AS category,
                count(a.id) FILTER (WHERE training_effective_status(a.status, a.due_date) <> 'cancelled')::int AS assignments
         FROM training_courses c LEFT JOIN training_assignments a ON a.tenant_id = c.tenant_id AND a.course_id = c.id
         WHERE c.tenant_id = $1 GROUP BY c.id, c.title, c.category ORDER BY 4 DESC, c.id`,
        [admin.tenantId],
      );
      expect(
        (answer.byCourse as { course: object; assignments: number }[]).map((row) => ({
          ...row.course,
          assignments: row.assignments,
        })),
      ).toEqual(courses);
    }
  });

  it("honours byCourse's courseId and first, and a course selection the read cannot answer", async () => {
    const admin = admins[0]!;
    const all = (await figures(admin, ['byCourse'])).byCourse as { course: { id: string } }[];
    const one = all[2]!.course.id;
    for (const args of ['(first: 2)', `(courseId: "${one}")`, '(first: 0)']) {
      expect(part(await figures(admin, NAMES, args), 'byCourse')).toBe(
        part(await figures(admin, ['byCourse'], args), 'byCourse'),
      );
    }
    const more = 'course { id title description createdBy { id } }';
    const query = (names: string) => `{ trainingAnalytics { ${names} byCourse { ${more} assignments } } }`;
    const [several, alone] = await Promise.all([
      ok(admin.request(query('totalCourses byStatus { count }'))),
      ok(admin.request(query(''))),
    ]);
    expect((several as { trainingAnalytics: { byCourse: unknown } }).trainingAnalytics.byCourse).toEqual(
      (alone as { trainingAnalytics: { byCourse: unknown } }).trainingAnalytics.byCourse,
    );
  });

  it('reads the counters once for a dashboard, and its course titles with them', async () => {
    const admin = admins[0]!;
    const counters = /training_assignment_due_counts|training_assignment_effective_counts|get_training_analytics/;
    const dashboard = `{ trainingAnalytics { ${NAMES.map((name) => GROUPS[name]).join(' ')}
                         overdueAssignments(first: 20) { id dueDate } } }`;
    await ok(admin.request(dashboard));
    statements.length = 0;
    await ok(admin.request(dashboard));
    const reads = statements.filter((sql) => counters.test(sql));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/GROUPING SETS/);
    // No other statement loads the courses byCourse names.
    expect(statements.filter((sql) => /training_courses/.test(sql))).toEqual(reads);

    // One group alone: its own statement, as before.
    statements.length = 0;
    await ok(admin.request(`{ trainingAnalytics { ${GROUPS.headline} } }`));
    expect(statements.filter((sql) => counters.test(sql))).toEqual([expect.stringMatching(/get_training_analytics/)]);
  });

  it("leaves a worker's figures to their own rows, whatever the groups", async () => {
    const admin = admins[0]!;
    const [row] = await server.owner.query<{ id: string }>(
      `SELECT user_id::text AS id FROM training_assignments WHERE tenant_id = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
      [admin.tenantId],
    );
    const worker = await server.actor('worker', { tenantId: admin.tenantId, userId: row!.id });
    statements.length = 0;
    const answer = await figures(worker, NAMES);
    expect(statements.some((sql) => /GROUPING SETS/.test(sql))).toBe(false);
    expect(answer.totalAssignments).toBeGreaterThan(0);
    for (const name of NAMES) expect(part(answer, name)).toBe(part(await figures(worker, [name]), name));
  });

  it("gives a safety officer the admin's figures", async () => {
    const admin = admins[1]!;
    const officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
    expect(await figures(officer, NAMES)).toEqual(await figures(admin, NAMES));
  });
});
