import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_VIOLATION, FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../../src/core/sqlstate.js';
import { onCitus } from '../support/citus.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { expectSqlError, owner, uuid, type Row } from '../support/sql.js';

/**
 * The tables' CHECK constraints, the
 * partial unique index "one active assignment per (tenant, course, user)", and
 * tenancy as a foreign-key invariant. Rows are written as the owner, so what
 * stops a bad row here is the constraint itself, not RLS.
 */

const ONE_ACTIVE = 'training_assignments_one_active_per_user_course';

let db: TestDatabase;
let sql: ReturnType<typeof owner>;

const tenantA = uuid();
const tenantB = uuid();
const adminA = uuid();
const workerA = uuid();
const workerB = uuid();
let courseA: string; // used by valid base rows
let courseB: string;
let completedAssignmentA: string;
let assignmentB: string;

// Valid rows; each case changes one value to make it invalid.
const course = (overrides: Row = {}): Row => ({
  tenant_id: tenantA,
  title: 'Forklift basics',
  category: 'equipment_safety',
  created_by: adminA,
  ...overrides,
});
const assignment = (overrides: Row = {}): Row => ({
  tenant_id: tenantA,
  course_id: courseA,
  user_id: workerA,
  status: 'completed', // not active, so the partial unique index never interferes with a CHECK case
  ...overrides,
});
const completion = (overrides: Row = {}): Row => ({
  tenant_id: tenantA,
  assignment_id: completedAssignmentA,
  course_id: courseA,
  user_id: workerA,
  score: 80,
  // A failed attempt, so "one passed completion per assignment" never interferes with a case
  // (every base completion shares completedAssignmentA).
  passed: false,
  completion_time_minutes: 25,
  ...overrides,
});
const score = (overrides: Row = {}): Row => ({
  tenant_id: tenantA,
  entity_type: 'worker',
  entity_id: workerA,
  score: 50,
  ...overrides,
});
const shift = (overrides: Row = {}): Row => ({
  tenant_id: tenantA,
  zone_id: uuid(),
  user_id: workerA,
  starts_at: '2026-03-02T08:00:00Z',
  ends_at: '2026-03-02T16:00:00Z',
  ...overrides,
});
const profile = (overrides: Row = {}): Row => ({ id: uuid(), tenant_id: tenantA, role: 'worker', ...overrides });

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  for (const [id, tenant, role] of [
    [adminA, tenantA, 'admin'],
    [workerA, tenantA, 'worker'],
    [workerB, tenantB, 'worker'],
  ] as const) {
    await sql.insert('profiles', { id, tenant_id: tenant, role });
  }
  courseA = (await sql.insert('training_courses', course())).id as string;
  courseB = (await sql.insert('training_courses', course({ tenant_id: tenantB, created_by: workerB }))).id as string;
  completedAssignmentA = (await sql.insert('training_assignments', assignment())).id as string;
  assignmentB = (
    await sql.insert('training_assignments', assignment({ tenant_id: tenantB, course_id: courseB, user_id: workerB }))
  ).id as string;
});
afterAll(() => db.drop());

describe('CHECK constraints', () => {
  const builders: Record<string, (overrides?: Row) => Row> = {
    training_courses: course,
    training_assignments: assignment,
    training_completions: completion,
    predictive_scores: score,
    shift_assignments: shift,
    profiles: profile,
  };

  it('accepts the valid base row of every table (so each case below fails only for its one bad value)', async () => {
    for (const [table, build] of Object.entries(builders)) {
      await expect(sql.insert(table, build()), table).resolves.toBeDefined();
    }
  });

  const cases: [description: string, table: string, bad: Row, constraint: string][] = [
    [
      'course category outside the list',
      'training_courses',
      { category: 'fire_drills' },
      'training_courses_category_check',
    ],
    [
      'course difficulty_level outside the list',
      'training_courses',
      { difficulty_level: 'expert' },
      'training_courses_difficulty_level_check',
    ],
    [
      'course entity_type outside the list',
      'training_courses',
      { entity_type: 'vehicle' },
      'training_courses_entity_type_check',
    ],
    [
      'course risk_threshold below 0',
      'training_courses',
      { risk_threshold: -0.01 },
      'training_courses_risk_threshold_check',
    ],
    [
      'course risk_threshold above 100',
      'training_courses',
      { risk_threshold: 100.01 },
      'training_courses_risk_threshold_check',
    ],
    [
      'course duration_minutes of 0',
      'training_courses',
      { duration_minutes: 0 },
      'training_courses_duration_minutes_check',
    ],
    [
      'course duration_minutes below 0',
      'training_courses',
      { duration_minutes: -30 },
      'training_courses_duration_minutes_check',
    ],
    ['course expiry_months of 0', 'training_courses', { expiry_months: 0 }, 'training_courses_expiry_months_check'],
    [
      'assignment status outside the list',
      'training_assignments',
      { status: 'done' },
      'training_assignments_status_check',
    ],
    [
      'assignment assignment_type outside the list',
      'training_assignments',
      { assignment_type: 'random' },
      'training_assignments_assignment_type_check',
    ],
    [
      'assignment trigger_entity_type "general"',
      'training_assignments',
      { trigger_entity_type: 'general' },
      'training_assignments_trigger_entity_type_check',
    ],
    [
      'predictive score entity_type "general" (courses only)',
      'predictive_scores',
      { entity_type: 'general' },
      'predictive_scores_entity_type_check',
    ],
    ['predictive score below 0', 'predictive_scores', { score: -1 }, 'predictive_scores_score_check'],
    ['predictive score above 100', 'predictive_scores', { score: 100.5 }, 'predictive_scores_score_check'],
    ['completion score below 0', 'training_completions', { score: -0.5 }, 'training_completions_score_check'],
    ['completion score above 100', 'training_completions', { score: 101 }, 'training_completions_score_check'],
    [
      'completion_time_minutes of 0',
      'training_completions',
      { completion_time_minutes: 0 },
      'training_completions_completion_time_minutes_check',
    ],
    [
      'completion_time_minutes below 0',
      'training_completions',
      { completion_time_minutes: -10 },
      'training_completions_completion_time_minutes_check',
    ],
    [
      'shift that ends before it starts',
      'shift_assignments',
      { ends_at: '2026-03-02T07:59:59Z' },
      'shift_assignments_ends_after_starts',
    ],
    [
      'shift that ends when it starts',
      'shift_assignments',
      { ends_at: '2026-03-02T08:00:00Z' },
      'shift_assignments_ends_after_starts',
    ],
    ['profile role outside the four roles', 'profiles', { role: 'superuser' }, 'profiles_role_check'],
  ];

  it.each(cases)('rejects a %s (%s) with %s and writes nothing', async (_description, table, bad, constraint) => {
    const before = await sql.count(table);

    await expectSqlError(sql.insert(table, builders[table]!(bad)), { code: CHECK_VIOLATION, constraint });

    expect(await sql.count(table)).toBe(before);
  });

  it.each([
    ['risk_threshold 0', 'training_courses', { risk_threshold: 0 }],
    ['risk_threshold 100', 'training_courses', { risk_threshold: 100 }],
    ['predictive score 0', 'predictive_scores', { score: 0 }],
    ['predictive score 100', 'predictive_scores', { score: 100 }],
    ['completion score 0', 'training_completions', { score: 0 }],
    ['completion score 100', 'training_completions', { score: 100 }],
    ['course entity_type "general"', 'training_courses', { entity_type: 'general' }],
  ] as [string, string, Row][])('accepts the boundary value %s', async (_description, table, edge) => {
    await expect(sql.insert(table, builders[table]!(edge))).resolves.toMatchObject({ tenant_id: tenantA });
  });

  it('rejects an UPDATE to a bad value too, leaving the row unchanged', async () => {
    await expectSqlError(
      sql.query(`UPDATE "training_courses" SET "category" = 'fire_drills' WHERE "id" = $1`, [courseA]),
      {
        code: CHECK_VIOLATION,
        constraint: 'training_courses_category_check',
      },
    );

    const [row] = await sql.query<{ category: string }>('SELECT category FROM "training_courses" WHERE id = $1', [
      courseA,
    ]);
    expect(row?.category).toBe('equipment_safety');
  });
});

describe('one active assignment per (tenant, course, user)', () => {
  /** A fresh worker, so each case starts with no assignment of courseA. */
  async function newWorker(): Promise<string> {
    return (await sql.insert('profiles', profile())).id as string;
  }
  const activeOf = (user: string) =>
    sql.count(
      'training_assignments',
      `user_id = $1 AND course_id = $2 AND status IN ('assigned', 'in_progress', 'overdue')`,
      [user, courseA],
    );

  it.each([
    ['assigned', 'assigned'],
    ['in_progress', 'assigned'],
    ['overdue', 'assigned'],
    ['assigned', 'in_progress'],
    ['assigned', 'overdue'],
  ])('refuses a second active assignment while one is %s (new one %s)', async (existing, second) => {
    const user = await newWorker();
    await sql.insert('training_assignments', assignment({ user_id: user, status: existing }));

    await expectSqlError(sql.insert('training_assignments', assignment({ user_id: user, status: second })), {
      code: UNIQUE_VIOLATION,
      constraint: ONE_ACTIVE,
    });

    expect(await activeOf(user)).toBe(1);
  });

  it.each(['cancelled', 'completed'])('allows a new active assignment once the previous one is %s', async (ended) => {
    const user = await newWorker();
    const first = await sql.insert('training_assignments', assignment({ user_id: user, status: 'assigned' }));
    await sql.query('UPDATE "training_assignments" SET "status" = $1 WHERE "id" = $2', [ended, first.id]);

    await expect(
      sql.insert('training_assignments', assignment({ user_id: user, status: 'assigned' })),
    ).resolves.toBeDefined();

    expect(await activeOf(user)).toBe(1);
  });

  it('allows the same course actively assigned to different users, and in different tenants', async () => {
    const [one, two] = [await newWorker(), await newWorker()];
    await sql.insert('training_assignments', assignment({ user_id: one, status: 'assigned' }));
    await expect(
      sql.insert('training_assignments', assignment({ user_id: two, status: 'assigned' })),
    ).resolves.toBeDefined();
    await expect(
      sql.insert(
        'training_assignments',
        assignment({ tenant_id: tenantB, course_id: courseB, user_id: workerB, status: 'assigned' }),
      ),
    ).resolves.toBeDefined();
  });

  it('refuses to reactivate a cancelled assignment while another one is active', async () => {
    const user = await newWorker();
    const cancelled = await sql.insert('training_assignments', assignment({ user_id: user, status: 'cancelled' }));
    await sql.insert('training_assignments', assignment({ user_id: user, status: 'assigned' }));

    await expectSqlError(
      sql.query(`UPDATE "training_assignments" SET "status" = 'assigned' WHERE "id" = $1`, [cancelled.id]),
      { code: UNIQUE_VIOLATION, constraint: ONE_ACTIVE },
    );
    expect(await activeOf(user)).toBe(1);
  });
});

describe('no row can point into another tenant (composite foreign keys)', () => {
  const cases: [description: string, table: string, row: () => Row, constraint: string][] = [
    [
      'an assignment of another tenant’s course',
      'training_assignments',
      () => assignment({ course_id: courseB }),
      'training_assignments_tenant_id_course_id_fkey',
    ],
    [
      'an assignment for another tenant’s user',
      'training_assignments',
      () => assignment({ user_id: workerB }),
      'training_assignments_tenant_id_user_id_fkey',
    ],
    [
      'a completion of another tenant’s course',
      'training_completions',
      () => completion({ course_id: courseB }),
      'training_completions_tenant_id_course_id_fkey',
    ],
    [
      'a completion by another tenant’s user',
      'training_completions',
      () => completion({ user_id: workerB }),
      'training_completions_tenant_id_user_id_fkey',
    ],
    [
      'a completion of another tenant’s assignment',
      'training_completions',
      () => completion({ assignment_id: assignmentB }),
      'training_completions_tenant_id_assignment_id_fkey',
    ],
    [
      'a shift for another tenant’s user',
      'shift_assignments',
      () => shift({ user_id: workerB }),
      'shift_assignments_tenant_id_user_id_fkey',
    ],
    [
      'an equipment operator from another tenant',
      'equipment_operators',
      () => ({ tenant_id: tenantA, equipment_id: uuid(), user_id: workerB }),
      'equipment_operators_tenant_id_user_id_fkey',
    ],
  ];

  it.each(cases)('refuses %s (%s, %s) and writes nothing', async (_description, table, row, constraint) => {
    const before = await sql.count(table);

    await expectSqlError(sql.insert(table, row()), { code: FOREIGN_KEY_VIOLATION, constraint });

    expect(await sql.count(table)).toBe(before);
  });

  it('refuses to move an assignment into another tenant while its course and user stay behind', async () => {
    await expectSqlError(
      sql.query('UPDATE "training_assignments" SET "tenant_id" = $1 WHERE "id" = $2', [tenantB, completedAssignmentA]),
      // Citus refuses any change of the distribution column first.
      onCitus
        ? { code: '0A000', message: /modifying the partition value of rows is not allowed/ }
        : { code: FOREIGN_KEY_VIOLATION },
    );
    expect(await sql.count('training_assignments', 'id = $1 AND tenant_id = $2', [completedAssignmentA, tenantA])).toBe(
      1,
    );
  });
});
