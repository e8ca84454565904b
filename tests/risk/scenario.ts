import type { TestDatabase } from '../support/database.js';
import { owner, uuid } from '../support/sql.js';

/**
 * A known scenario for risk-based auto-assignment, seeded by the
 * owner (RLS does not apply to it) so every row is exactly as a test needs it:
 * old scores, shifts in and out of the 30-day window, completions that expire
 * today, yesterday or never. `expected` is what one full run must create, worked
 * out by hand from the rules, one line per assignment.
 */

const DAY = 24 * 60 * 60 * 1000;
const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const day = (days: number) => at(days).slice(0, 10);

export interface Scenario {
  tenantId: string;
  adminId: string;
  users: Record<'w1' | 'w2' | 'w3' | 'd1' | 'zA' | 'zB' | 'zC' | 'zD' | 'zE' | 'e1' | 'e2', string>;
  courses: Record<
    | 'worker70'
    | 'worker75'
    | 'worker80'
    | 'driver60'
    | 'zone50'
    | 'equipment50'
    | 'general90'
    | 'disabled'
    | 'noThreshold',
    string
  >;
  entities: { zone: string; equipment: string; ghost: string };
  /** The score row behind each latest score, by entity key (`worker:w2`…). */
  scoreIds: Record<string, string>;
  /** [course key, user key, trigger entity type, trigger entity id, score, threshold] per assignment a full run creates. */
  expected: [string, string, string, string, number, number][];
}

/** Seeds the scenario in a fresh tenant; `otherTenantId` gets a profile whose id a score of this tenant names. */
export async function seedScenario(db: TestDatabase, otherTenantId: string): Promise<Scenario> {
  const sql = owner(db);
  const tenantId = uuid();
  const adminId = uuid();
  const keys = ['w1', 'w2', 'w3', 'd1', 'zA', 'zB', 'zC', 'zD', 'zE', 'e1', 'e2'] as const;
  const users = Object.fromEntries(keys.map((key) => [key, uuid()])) as Scenario['users'];
  await sql.insert('profiles', { id: adminId, tenant_id: tenantId, role: 'admin', display_name: 'admin' });
  for (const key of keys) {
    await sql.insert('profiles', { id: users[key], tenant_id: tenantId, role: 'worker', display_name: key });
  }
  // A worker of the other tenant: this tenant's score about that id must reach nobody.
  const ghost = uuid();
  await sql.insert('profiles', { id: ghost, tenant_id: otherTenantId, role: 'worker', display_name: 'ghost' });

  const course = async (title: string, fields: Record<string, unknown>) =>
    (
      await sql.insert('training_courses', {
        tenant_id: tenantId,
        title,
        category: 'risk_management',
        created_by: adminId,
        auto_assign_enabled: true,
        ...fields,
      })
    ).id as string;
  const courses: Scenario['courses'] = {
    worker70: await course('Worker 70', { entity_type: 'worker', risk_threshold: 70 }),
    worker75: await course('Worker 75', { entity_type: 'worker', risk_threshold: 75 }),
    worker80: await course('Worker 80', { entity_type: 'worker', risk_threshold: 80 }),
    driver60: await course('Driver 60', { entity_type: 'driver', risk_threshold: 60 }),
    zone50: await course('Zone 50', { entity_type: 'zone', risk_threshold: 50 }),
    equipment50: await course('Equipment 50', { entity_type: 'equipment', risk_threshold: 50 }),
    general90: await course('General 90', { entity_type: 'general', risk_threshold: 90 }),
    disabled: await course('Not auto-assigned', {
      entity_type: 'worker',
      risk_threshold: 10,
      auto_assign_enabled: false,
    }),
    noThreshold: await course('No threshold', { entity_type: 'worker', risk_threshold: null }),
  };

  const zone = uuid();
  const equipment = uuid();
  const scoreIds: Record<string, string> = {};
  const score = async (key: string, entityType: string, entityId: string, value: number, computedDaysAgo = 0) => {
    const row = await sql.insert('predictive_scores', {
      tenant_id: tenantId,
      entity_type: entityType,
      entity_id: entityId,
      score: value,
      computed_at: at(-computedDaysAgo),
    });
    scoreIds[key] = row.id as string;
  };
  // w1 scored 95 two days ago, 75 now: only the latest counts (General 90 must not match).
  await score('worker:w1:old', 'worker', users.w1, 95, 2);
  await score('worker:w1', 'worker', users.w1, 75);
  await score('worker:w2', 'worker', users.w2, 95);
  await score('worker:w3', 'worker', users.w3, 20);
  await score('worker:ghost', 'worker', ghost, 99);
  await score('driver:d1', 'driver', users.d1, 65.5);
  await score('zone', 'zone', zone, 55);
  await score('equipment', 'equipment', equipment, 92);

  const shift = (user: string, startDays: number, endDays: number) =>
    sql.insert('shift_assignments', {
      tenant_id: tenantId,
      zone_id: zone,
      user_id: users[user as keyof Scenario['users']],
      starts_at: at(startDays),
      ends_at: at(endDays),
    });
  await shift('zA', -10.5, -10); // ended 10 days ago: inside the window
  await shift('zB', 3, 3.5); // in the future
  await shift('zC', -40.5, -40); // ended 40 days ago: outside
  await shift('zD', -0.1, 0.2); // under way
  await shift('zE', -1, -0.9);
  // Shifts in another zone reach nobody through this zone's score.
  await sql.insert('shift_assignments', {
    tenant_id: tenantId,
    zone_id: uuid(),
    user_id: users.zC,
    starts_at: at(-1),
    ends_at: at(-0.9),
  });
  for (const user of [users.e1, users.e2, users.w2]) {
    await sql.insert('equipment_operators', { tenant_id: tenantId, equipment_id: equipment, user_id: user });
  }

  /** An earlier assignment (and optionally its completion) of `courseKey` for `userKey`. */
  const history = async (
    courseKey: keyof Scenario['courses'],
    userKey: keyof Scenario['users'],
    status: string,
    completion?: { passed: boolean; expiresAt: string | null },
  ) => {
    const assignment = await sql.insert('training_assignments', {
      tenant_id: tenantId,
      course_id: courses[courseKey],
      user_id: users[userKey],
      assigned_by: adminId,
      status,
      due_date: day(30),
      started_at: status === 'assigned' ? null : at(-3),
      completed_at: status === 'completed' ? at(-2) : null,
    });
    if (completion) {
      await sql.insert('training_completions', {
        tenant_id: tenantId,
        assignment_id: assignment.id,
        course_id: courses[courseKey],
        user_id: users[userKey],
        passed: completion.passed,
        score: completion.passed ? 90 : 30,
        expires_at: completion.expiresAt,
        completed_at: at(-2),
      });
    }
  };
  await history('worker70', 'w2', 'completed', { passed: true, expiresAt: day(100) }); // current: skip
  await history('worker70', 'w1', 'completed', { passed: true, expiresAt: day(-1) }); // expired yesterday: assign
  await history('equipment50', 'e1', 'in_progress'); // active: skip
  await history('equipment50', 'e2', 'cancelled'); // cancelled: assign again
  await history('zone50', 'zA', 'cancelled', { passed: false, expiresAt: null }); // failed attempt: assign
  await history('zone50', 'zB', 'completed', { passed: true, expiresAt: day(0) }); // expires today: still current
  await history('zone50', 'zE', 'completed', { passed: true, expiresAt: null }); // never expires: skip

  const expected: Scenario['expected'] = [
    ['worker70', 'w1', 'worker', users.w1, 75, 70],
    ['worker75', 'w1', 'worker', users.w1, 75, 75], // threshold equal to the score
    ['worker75', 'w2', 'worker', users.w2, 95, 75],
    ['worker80', 'w2', 'worker', users.w2, 95, 80],
    // w2 is reached by the worker score (95) and as an operator (92): one assignment, the higher trigger.
    ['general90', 'w2', 'worker', users.w2, 95, 90],
    ['equipment50', 'w2', 'equipment', equipment, 92, 50],
    ['driver60', 'd1', 'driver', users.d1, 65.5, 60],
    ['zone50', 'zA', 'zone', zone, 55, 50],
    ['zone50', 'zD', 'zone', zone, 55, 50],
    ['equipment50', 'e2', 'equipment', equipment, 92, 50],
    ['general90', 'e1', 'equipment', equipment, 92, 90],
    ['general90', 'e2', 'equipment', equipment, 92, 90],
  ];
  return { tenantId, adminId, users, courses, entities: { zone, equipment, ghost }, scoreIds, expected };
}

/** Every (course, user) pair in the scenario's terms, for readable comparisons. */
export function describeRows(
  scenario: Scenario,
  rows: { courseId: string; userId: string; entityType: string; entityId: string; score: number; threshold: number }[],
): [string, string, string, string, number, number][] {
  const courseKey = new Map(Object.entries(scenario.courses).map(([key, id]) => [id, key]));
  const userKey = new Map(Object.entries(scenario.users).map(([key, id]) => [id, key]));
  return rows
    .map(
      (row) =>
        [
          courseKey.get(row.courseId) ?? row.courseId,
          userKey.get(row.userId) ?? row.userId,
          row.entityType,
          row.entityId,
          row.score,
          row.threshold,
        ] as [string, string, string, string, number, number],
    )
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
}
