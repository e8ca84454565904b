// The demo tenant's data, made as a dashboard developer would want to see it: courses, workers and assignments in
// every state — assigned, in progress, completed, failed once and restarted, overdue and cancelled. Everything the
// API can do goes through its GraphQL API; only overdue assignments, whose due dates the API refuses because they
// are in the past, are written directly, as the tenant's integration under row-level security.
import { print, type DocumentNode } from 'graphql';
import { mintToken } from '../core/auth.js';
import type { Database } from '../core/db.js';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  TrainingCoursesDocument,
} from '../generated/operations/graphql.js';
import {
  DEMO_SAFETY_OFFICER,
  DEMO_SERVICE,
  DEMO_TENANT_ID,
  DEMO_USERS,
  DEMO_WORKERS,
  type DemoUser,
} from './demo-tenant.js';
import { seedDemoRisk } from './demo-risk.js';

/** Each demo user's token, by user id. */
export type DemoTokens = Map<string, string>;

export async function mintDemoTokens(secret: string, expiresIn: string): Promise<DemoTokens> {
  const tokens: DemoTokens = new Map();
  for (const person of DEMO_USERS) {
    tokens.set(
      person.id,
      await mintToken({
        secret,
        tenantId: DEMO_TENANT_ID,
        userId: person.id,
        role: person.role,
        name: person.name,
        email: person.email,
        expiresIn,
      }),
    );
  }
  return tokens;
}

function caller(url: string, tokens: DemoTokens) {
  return async function call<Data>(
    as: DemoUser,
    document: DocumentNode | string,
    variables: Record<string, unknown> = {},
  ): Promise<Data> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(as.id)}` },
      body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
    });
    const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
    return body.data!;
  };
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

const COURSES = [
  {
    title: 'Forklift Safety Training',
    category: 'EQUIPMENT_SAFETY',
    difficultyLevel: 'INTERMEDIATE',
    durationMinutes: 45,
    riskThreshold: 60,
    entityType: 'EQUIPMENT',
    autoAssignEnabled: true,
    required: true,
    expiryMonths: 12,
    issuesCertificate: true,
    contentUrl: 'https://lms.demo.example/forklift',
  },
  {
    title: 'Working at Heights',
    category: 'HAZARD_AWARENESS',
    difficultyLevel: 'ADVANCED',
    durationMinutes: 90,
    riskThreshold: 70,
    entityType: 'ZONE',
    autoAssignEnabled: true,
    required: true,
    expiryMonths: 24,
    issuesCertificate: true,
  },
  {
    title: 'Defensive Driving',
    category: 'RISK_MANAGEMENT',
    difficultyLevel: 'INTERMEDIATE',
    durationMinutes: 60,
    riskThreshold: 65,
    entityType: 'DRIVER',
    autoAssignEnabled: true,
    expiryMonths: 36,
  },
  {
    title: 'Fatigue and Alertness',
    category: 'SAFETY_FUNDAMENTALS',
    difficultyLevel: 'BEGINNER',
    durationMinutes: 20,
    riskThreshold: 80,
    entityType: 'GENERAL',
    autoAssignEnabled: true,
  },
  {
    title: 'Fire Evacuation Drill',
    category: 'EMERGENCY_RESPONSE',
    difficultyLevel: 'BEGINNER',
    durationMinutes: 30,
    required: true,
    expiryMonths: 12,
  },
  {
    title: 'Lockout / Tagout',
    category: 'COMPLIANCE',
    difficultyLevel: 'ADVANCED',
    durationMinutes: 75,
    riskThreshold: 55,
    entityType: 'WORKER',
    autoAssignEnabled: true,
    expiryMonths: 12,
    issuesCertificate: true,
  },
];

/** What happens to each assignment made through the API, by (worker + course offset) modulo 5. */
const STAGES = ['assigned', 'in progress', 'completed', 'failed once and restarted', 'cancelled'] as const;

/**
 * Fills the demo tenant through the API at `api.url` (and, for overdue assignments, `api.db`), unless it already
 * has courses. Returns a one-line summary.
 */
export async function seedDemoTenant(api: { url: string; db: Database }, tokens: DemoTokens): Promise<string> {
  const call = caller(api.url, tokens);
  const officer = DEMO_SAFETY_OFFICER;
  // Everyone signs in once, which creates their profile.
  for (const person of DEMO_USERS) await call(person, '{ me { id } }');

  const existing = await call<{ trainingCourses: { totalCount: number } }>(officer, TrainingCoursesDocument, {
    first: 1,
  });
  if (existing.trainingCourses.totalCount > 0) return 'The demo tenant already has courses; not seeding twice.';

  const courseIds: string[] = [];
  for (const input of COURSES) {
    const data = await call<{ createTrainingCourse: { id: string } }>(officer, CreateTrainingCourseDocument, { input });
    courseIds.push(data.createTrainingCourse.id);
  }

  const counts = new Map<string, number>();
  const count = (stage: string) => counts.set(stage, (counts.get(stage) ?? 0) + 1);
  for (const [index, worker] of DEMO_WORKERS.entries()) {
    for (let offset = 0; offset < 3; offset++) {
      const { assignTrainingCourse } = await call<{ assignTrainingCourse: { id: string } }>(
        officer,
        AssignTrainingCourseDocument,
        {
          input: {
            courseId: courseIds[(index + offset) % courseIds.length],
            userId: worker.id,
            dueDate: day(7 + index * 3 + offset),
            assignmentReason: 'Annual safety plan',
          },
        },
      );
      const assignmentId = assignTrainingCourse.id;
      const stage = STAGES[(index + offset) % STAGES.length]!;
      count(stage);
      if (stage === 'assigned') continue;
      if (stage === 'cancelled') {
        await call(officer, CancelTrainingAssignmentDocument, { assignmentId, reason: 'Moved to another site' });
        continue;
      }
      await call(worker, StartTrainingAssignmentDocument, { assignmentId });
      if (stage === 'in progress') continue;
      await call(worker, CompleteTrainingAssignmentDocument, {
        input: {
          assignmentId,
          score: stage === 'completed' ? 78 + index * 3 : 42,
          passed: stage === 'completed',
          completionTimeMinutes: 25 + index * 5,
        },
      });
      if (stage === 'failed once and restarted') await call(worker, StartTrainingAssignmentDocument, { assignmentId });
    }
  }

  // Overdue: assignments carried over from the previous training system with due dates already past (the API
  // accepts only today or later), written the way the README's "write the tables directly" recipe says: as
  // training_app, with the tenant's integration as the caller, so row-level security checks every row. Each
  // worker gets one of the courses not assigned above; every other one has been started.
  const overdue = DEMO_WORKERS.map((worker, index) => ({
    courseId: courseIds[(index + 3) % courseIds.length]!,
    userId: worker.id,
    dueDate: day(-(3 + index * 4)),
    started: index % 2 === 1,
  }));
  await api.db.withConnection(async (connection) => {
    await connection.query('BEGIN');
    try {
      await connection.query('SET LOCAL ROLE training_app');
      await connection.query(`SELECT app_set_local('app.tenant_id', $1, 'app.user_id', $2, 'app.role', 'service')`, [
        DEMO_TENANT_ID,
        DEMO_SERVICE.id,
      ]);
      const created: { id: string; user_id: string }[] = [];
      for (const row of overdue) {
        const rows = await connection.query<{ id: string; user_id: string }>(
          `INSERT INTO training_assignments
             (tenant_id, course_id, user_id, assigned_by, assignment_reason, due_date, status, assigned_at, started_at)
           VALUES ($1, $2, $3, $4, 'Carried over from the previous training system', $5::date,
                   $6, $5::date - 30, CASE WHEN $6 = 'in_progress' THEN $5::date - 10 END)
           RETURNING id::text, user_id::text`,
          [
            DEMO_TENANT_ID,
            row.courseId,
            row.userId,
            DEMO_SAFETY_OFFICER.id,
            row.dueDate,
            row.started ? 'in_progress' : 'assigned',
          ],
        );
        created.push(...rows);
      }
      // As the API does after writing assignments: announced to live subscribers at commit.
      await connection.query('SELECT announce_assignments_created($1::uuid, $2::uuid[], $3::uuid[])', [
        DEMO_TENANT_ID,
        created.map((row) => row.id),
        created.map((row) => row.user_id),
      ]);
      await connection.query('COMMIT');
    } catch (error) {
      await connection.query('ROLLBACK');
      throw error;
    }
  });
  counts.set('overdue', overdue.length);
  const risk = await seedDemoRisk(call);

  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const byStage = [...counts].map(([stage, n]) => `${n} ${stage}`).join(', ');
  return `Seeded tenant ${DEMO_TENANT_ID}: ${courseIds.length} courses, ${DEMO_WORKERS.length} workers, ${total} assignments (${byStage}); ${risk}.`;
}
