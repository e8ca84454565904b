import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/core/permissions.js';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  RecordPracticalEvaluationDocument,
  RevokeCertificateDocument,
  QualificationsDocument,
  RiskEscalationsDocument,
  StartTrainingAssignmentDocument,
  SweepOverdueTrainingAssignmentsDocument,
  TrainingAnalyticsDocument,
  TrainingAssignmentsDocument,
  TrainingCompletionsDocument,
  TrainingCourseDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
  UserTrainingAssignmentsDocument,
  UsersDocument,
} from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import {
  dayFromToday,
  errorCode,
  startTestServer,
  type Actor,
  type GraphQLResponse,
  type TestServer,
} from '../support/server.js';

/**
 * The permission table (README "Security: tenants and roles"), operation by operation, for every role, within
 * one tenant. An allowed call succeeds; a refused one answers FORBIDDEN and
 * leaves every training table exactly as it was.
 */

const EVERYONE = ROLES;
const MANAGERS = ['admin', 'safety_officer'] as const;
const LEARNERS = ['admin', 'safety_officer', 'worker'] as const;
const OVERSEERS = ['admin', 'safety_officer', 'service'] as const;

/** Who may call each operation. A worker's reads are narrowed to their own rows. */
const PERMISSIONS = {
  // courses: full for admin and safety officer, read for worker and service
  trainingCourses: EVERYONE,
  trainingCourse: EVERYONE,
  createTrainingCourse: MANAGERS,
  updateTrainingCourse: MANAGERS,
  // assignments: full for admin and safety officer; worker reads and starts/completes their own;
  // service reads (it creates only through risk-based auto-assignment, tested in tests/risk)
  userTrainingAssignments: EVERYONE,
  myTrainingAssignments: EVERYONE,
  trainingAssignments: EVERYONE,
  assignTrainingCourse: MANAGERS,
  startTrainingAssignment: LEARNERS,
  // an integration records results from its own system (source INTEGRATION)
  completeTrainingAssignment: EVERYONE,
  recordPracticalEvaluation: MANAGERS,
  cancelTrainingAssignment: MANAGERS,
  sweepOverdueTrainingAssignments: MANAGERS,
  // completions: full for admin and safety officer, a worker's own, read for service
  trainingCompletions: EVERYONE,
  // analytics: admin and safety officer; a worker their own progress; service no
  trainingAnalytics: LEARNERS,
  // risk oversight: escalations and who is qualified now (tests/risk/risk-loop.test.ts has the rules)
  riskEscalations: OVERSEERS,
  qualifications: OVERSEERS,
  me: EVERYONE,
  // the people directory: admin and safety officer (tests/api/directory.test.ts has search and tenancy)
  users: MANAGERS,
  // certificates: admin and safety officer revoke (verifyCertificate is public, tests/api/certificates.test.ts)
  revokeCertificate: MANAGERS,
} satisfies Record<string, readonly Role[]>;
type Operation = keyof typeof PERMISSIONS;

/** Root fields whose permissions are tested with their feature, not here. */
const TESTED_ELSEWHERE = [
  'health', // public by design (auth.test.ts)
  'verifyCertificate', // public by design (tests/api/certificates.test.ts)
  'autoAssignTraining', // tests/risk/auto-assign.test.ts
  'recordPredictiveScores', // tests/risk/scores.test.ts
  'upsertProfiles', // neighbouring-system feeds (src/users/ingest.ts)
  'recordShiftAssignments',
  'setEquipmentOperators',
  'myNotifications', // every role, own only: tests/notifications/outbox.test.ts
  'markNotificationsRead',
  'updateNotificationPreferences',
  'runRecertification', // admin, safety officer, service: tests/notifications/recertification.test.ts
  // quizzes: the bank and a course's quiz for admins and safety officers, attempts for their assignee
  // (tests/quizzes/permissions.test.ts)
  'questions',
  'question',
  'createQuestion',
  'updateQuestion',
  'importQuestions',
  'setCourseQuiz',
  'startQuizAttempt',
  'saveQuizAnswer',
  'submitQuizAttempt',
  'quizAttempt',
  'regradeQuiz',
  'createLrsCredential', // admin only: tests/xapi/access.test.ts
  'auditEvents', // admin only: tests/audit/trail.test.ts
  // course content: modules, cmi5 import and statistics for admins and safety officers, launches for the
  // assignee (tests/content/permissions.test.ts)
  'addCourseModule',
  'updateCourseModule',
  'removeCourseModule',
  'importCmi5Package',
  'moduleStats',
  'launchModule',
  'moduleProgress',
  'waiveCourseModule',
  'lrsCredentials', // admin only: tests/xapi/credentials.test.ts
  'revokeLrsCredential',
  // the tenant's name and logo: every role reads, admins change (tests/api/tenant-settings.test.ts)
  'tenantSettings',
  'updateTenantSettings',
  'updateMyProfile', // every role, own profile only: tests/api/tenant-settings.test.ts
];

let server: TestServer;
const actors = {} as Record<Role, Actor>;
/** The worker in `actors` is this tenant's first worker; this is a second one. */
let otherWorker: Actor;
let sharedCourseId: string;
let otherWorkersAssignmentId: string;

beforeAll(async () => {
  server = await startTestServer();
  actors.admin = await server.actor('admin');
  const tenantId = actors.admin.tenantId;
  actors.safety_officer = await server.actor('safety_officer', { tenantId });
  actors.worker = await server.actor('worker', { tenantId, name: 'Wanda Worker' });
  actors.service = await server.actor('service', { tenantId });
  otherWorker = await server.actor('worker', { tenantId, name: 'Otto Other' });
  // Profiles are created on first use: everyone signs in once.
  for (const actor of [...Object.values(actors), otherWorker]) {
    expect((await actor.request(ME)).errors).toBeUndefined();
  }

  sharedCourseId = await newCourse('Shared course');
  // The worker has a passed completion; the other worker an open assignment.
  const done = await newAssignment(actors.worker);
  await startAs(actors.worker, done);
  const completed = await actors.worker.request(CompleteTrainingAssignmentDocument, {
    input: { assignmentId: done, score: 88, passed: true, completionTimeMinutes: 25 },
  });
  expect(completed.errors).toBeUndefined();
  otherWorkersAssignmentId = await newAssignment(otherWorker);
});
afterAll(() => server.stop());

const ME = '{ me { id } }';

async function newCourse(
  title = `Course ${Math.random().toString(36).slice(2)}`,
  requirements: { practicalEvaluation?: boolean } = {},
): Promise<string> {
  const response = await actors.admin.request(CreateTrainingCourseDocument, {
    input: { title, category: 'SAFETY_FUNDAMENTALS', requirements },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse.id;
}

/** A fresh course assigned (by the admin) to `learner`; returns the assignment id. */
async function newAssignment(learner: Actor, requirements: { practicalEvaluation?: boolean } = {}): Promise<string> {
  const response = await actors.admin.request(AssignTrainingCourseDocument, {
    input: { courseId: await newCourse(undefined, requirements), userId: learner.userId, dueDate: dayFromToday(14) },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.assignTrainingCourse.id;
}

async function startAs(actor: Actor, assignmentId: string): Promise<void> {
  const response = await actor.request(StartTrainingAssignmentDocument, { assignmentId });
  expect(response.errors).toBeUndefined();
}

/** Every row of every training table, fingerprinted: any insert, update or delete changes it. */
const trainingTables = () =>
  server.owner.fingerprints([
    'training_courses',
    'training_assignments',
    'training_completions',
    'certificates',
    'training_evidence',
  ]);

const assignmentRow = async (id: string) =>
  (await server.owner.query('SELECT * FROM training_assignments WHERE id = $1', [id]))[0];

/**
 * How each operation is exercised: `prepare` arranges what the call needs
 * (before the tables are fingerprinted) and returns the call and what an
 * allowed call must have done.
 */
interface Call {
  send(): Promise<GraphQLResponse<unknown>>;
  succeeded(data: unknown): void | Promise<void>;
}
const call = <Data>(
  send: () => Promise<GraphQLResponse<Data>>,
  succeeded: (data: Data) => void | Promise<void>,
): Call => ({ send, succeeded: (data) => succeeded(data as Data) });

const SCENARIOS: Record<Operation, (actor: Actor) => Call | Promise<Call>> = {
  trainingCourses: (actor) =>
    call(
      () => actor.request(TrainingCoursesDocument, {}),
      (data) => expect(data.trainingCourses.nodes.map((course) => course.id)).toContain(sharedCourseId),
    ),
  trainingCourse: (actor) =>
    call(
      () => actor.request(TrainingCourseDocument, { id: sharedCourseId }),
      (data) => expect(data.trainingCourse?.id).toBe(sharedCourseId),
    ),
  userTrainingAssignments: (actor) =>
    // The worker's own assignments: every role may read them (the worker as their own).
    call(
      () => actor.request(UserTrainingAssignmentsDocument, { userId: actors.worker.userId }),
      (data) => {
        expect(data.userTrainingAssignments.totalCount).toBeGreaterThan(0);
        for (const node of data.userTrainingAssignments.nodes) expect(node.user.id).toBe(actors.worker.userId);
      },
    ),
  myTrainingAssignments: (actor) =>
    call(
      () => actor.request(MyTrainingAssignmentsDocument, {}),
      (data) => {
        if (actor.role === 'worker') expect(data.myTrainingAssignments.totalCount).toBeGreaterThan(0);
        for (const node of data.myTrainingAssignments.nodes) expect(node.user.id).toBe(actor.userId);
      },
    ),
  trainingAssignments: (actor) =>
    call(
      () => actor.request(TrainingAssignmentsDocument, {}),
      (data) => {
        const users = new Set(data.trainingAssignments.nodes.map((node) => node.user.id));
        if (actor.role === 'worker') expect([...users]).toEqual([actor.userId]);
        else expect(users).toContain(otherWorker.userId);
      },
    ),
  trainingCompletions: (actor) =>
    call(
      () => actor.request(TrainingCompletionsDocument, {}),
      (data) => {
        expect(data.trainingCompletions.totalCount).toBeGreaterThan(0);
        for (const node of data.trainingCompletions.nodes) expect(node.user.id).toBe(actors.worker.userId);
      },
    ),
  users: (actor) =>
    call(
      () => actor.request(UsersDocument, {}),
      (data) => expect(data.users.nodes.map((user) => user.id)).toContain(actor.userId),
    ),
  trainingAnalytics: (actor) =>
    call(
      () => actor.request(TrainingAnalyticsDocument, {}),
      async (data) => {
        expect(data.trainingAnalytics.totalCourses).toBeGreaterThan(0);
        // A worker's figures are their own progress; the others' the whole tenant's.
        const whose = actor.role === 'worker' ? 'AND user_id = $1' : 'AND $1::uuid IS NOT NULL';
        const [expected] = await server.owner.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM training_assignments WHERE status <> 'cancelled' ${whose}`,
          [actor.userId],
        );
        expect(data.trainingAnalytics.totalAssignments).toBe(expected!.n);
      },
    ),
  riskEscalations: (actor) =>
    call(
      () => actor.request(RiskEscalationsDocument, {}),
      (data) => expect(data.riskEscalations.totalCount).toBe(0),
    ),
  qualifications: (actor) =>
    call(
      () => actor.request(QualificationsDocument, { zoneId: '00000000-0000-4000-8000-000000000001' }),
      (data) => expect(data.qualifications).toEqual([]),
    ),
  me: (actor) =>
    call(
      () => actor.request<{ me: { id: string } }, Record<string, never>>(ME),
      (data) => expect(data.me.id).toBe(actor.userId),
    ),
  createTrainingCourse: (actor) =>
    call(
      () =>
        actor.request(CreateTrainingCourseDocument, {
          input: { title: `Created by ${actor.role}`, category: 'COMPLIANCE' },
        }),
      (data) => expect(data.createTrainingCourse.createdBy.id).toBe(actor.userId),
    ),
  updateTrainingCourse: async (actor) => {
    const id = await newCourse();
    return call(
      () => actor.request(UpdateTrainingCourseDocument, { id, input: { description: `Edited by ${actor.role}` } }),
      (data) => expect(data.updateTrainingCourse.description).toBe(`Edited by ${actor.role}`),
    );
  },
  assignTrainingCourse: async (actor) => {
    const courseId = await newCourse();
    return call(
      () =>
        actor.request(AssignTrainingCourseDocument, {
          input: { courseId, userId: actors.worker.userId, dueDate: dayFromToday(7), assignmentReason: 'Induction' },
        }),
      (data) =>
        expect(data.assignTrainingCourse).toMatchObject({
          status: 'ASSIGNED',
          assignmentType: 'MANUAL',
          user: { id: actors.worker.userId },
          assignedBy: { id: actor.userId },
        }),
    );
  },
  startTrainingAssignment: async (actor) => {
    // The worker's own assignment: a worker may start it, admin and officer too.
    const assignmentId = await newAssignment(actors.worker);
    return call(
      () => actor.request(StartTrainingAssignmentDocument, { assignmentId }),
      (data) => {
        expect(data.startTrainingAssignment.status).toBe('IN_PROGRESS');
        expect(data.startTrainingAssignment.startedAt).toEqual(expect.any(String));
      },
    );
  },
  completeTrainingAssignment: async (actor) => {
    const assignmentId = await newAssignment(actors.worker);
    await startAs(actors.worker, assignmentId);
    return call(
      () =>
        actor.request(CompleteTrainingAssignmentDocument, {
          input: { assignmentId, score: 91, passed: true, completionTimeMinutes: 30 },
        }),
      (data) => {
        expect(data.completeTrainingAssignment.status).toBe('COMPLETED');
        expect(data.completeTrainingAssignment.completion).toMatchObject({
          score: 91,
          passed: true,
          source: actor.role === 'service' ? 'INTEGRATION' : 'SELF_REPORT',
        });
      },
    );
  },
  recordPracticalEvaluation: async (actor) => {
    // The evaluator watches the worker on the floor: the assignment need not be started here.
    const assignmentId = await newAssignment(actors.worker, { practicalEvaluation: true });
    return call(
      () =>
        actor.request(RecordPracticalEvaluationDocument, {
          input: { assignmentId, passed: true, score: 84, notes: 'Safe reversing' },
        }),
      (data) => {
        expect(data.recordPracticalEvaluation.status).toBe('COMPLETED');
        expect(data.recordPracticalEvaluation.completion).toMatchObject({ source: 'PRACTICAL_EVALUATION', score: 84 });
      },
    );
  },
  cancelTrainingAssignment: async (actor) => {
    const assignmentId = await newAssignment(actors.worker);
    return call(
      () => actor.request(CancelTrainingAssignmentDocument, { assignmentId, reason: 'Left the site' }),
      (data) =>
        expect(data.cancelTrainingAssignment).toMatchObject({
          status: 'CANCELLED',
          cancelReason: 'Left the site',
          cancelledBy: { id: actor.userId },
        }),
    );
  },
  revokeCertificate: async (actor) => {
    // The worker passes a fresh certifying course; its certificate is the one to revoke.
    const course = await actors.admin.request(CreateTrainingCourseDocument, {
      input: { title: `Certified ${Math.random()}`, category: 'COMPLIANCE', issuesCertificate: true },
    });
    const assign = await actors.admin.request(AssignTrainingCourseDocument, {
      input: { courseId: course.data!.createTrainingCourse.id, userId: actors.worker.userId },
    });
    const assignmentId = assign.data!.assignTrainingCourse.id;
    await startAs(actors.worker, assignmentId);
    await actors.worker.request(CompleteTrainingAssignmentDocument, { input: { assignmentId, passed: true } });
    const [row] = await server.owner.query<{ code: string }>(
      'SELECT c.code FROM certificates c JOIN training_completions tc ON tc.id = c.completion_id WHERE tc.assignment_id = $1',
      [assignmentId],
    );
    return call(
      () => actor.request(RevokeCertificateDocument, { code: row!.code, reason: 'Issued in error' }),
      (data) => expect(data.revokeCertificate).toMatchObject({ status: 'REVOKED', revokeReason: 'Issued in error' }),
    );
  },
  sweepOverdueTrainingAssignments: async (actor) => {
    // An assignment whose due date has passed but whose stored status is still `assigned`.
    const assignmentId = await newAssignment(actors.worker);
    await server.owner.query(`UPDATE training_assignments SET due_date = current_date - 3 WHERE id = $1`, [
      assignmentId,
    ]);
    return call(
      () => actor.request(SweepOverdueTrainingAssignmentsDocument, {}),
      async (data) => {
        expect(data.sweepOverdueTrainingAssignments).toBeGreaterThanOrEqual(1);
        expect((await assignmentRow(assignmentId))?.status).toBe('overdue');
      },
    );
  },
};

describe('the permission table', () => {
  const cases = (Object.keys(PERMISSIONS) as Operation[]).flatMap((operation) =>
    ROLES.map((role): [Operation, Role] => [operation, role]),
  );
  const allowed = ([operation, role]: [Operation, Role]) => (PERMISSIONS[operation] as readonly Role[]).includes(role);

  it.each(cases.filter(allowed))('%s: %s may', async (operation, role) => {
    const { send, succeeded } = await SCENARIOS[operation](actors[role]);

    const response = await send();

    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    await succeeded(response.data);
  });

  it.each(cases.filter((c) => !allowed(c)))(
    '%s: %s is refused with FORBIDDEN and nothing changes',
    async (operation, role) => {
      const { send } = await SCENARIOS[operation](actors[role]);
      const before = await trainingTables();

      const response = await send();

      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(response.errors![0]!.path).toEqual([operation]);
      expect((response.data as Record<string, unknown> | null | undefined)?.[operation] ?? null).toBeNull();
      expect(await trainingTables()).toEqual(before);
    },
  );

  it('covers every Query and Mutation field of the schema', () => {
    const rootFields = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
      Object.keys(type.getFields()),
    );
    const untested = rootFields.filter(
      (field) => !field.startsWith('_') && !(field in PERMISSIONS) && !TESTED_ELSEWHERE.includes(field),
    );
    const stale = Object.keys(PERMISSIONS).filter((operation) => !rootFields.includes(operation));

    expect(untested, 'a new operation needs a row in PERMISSIONS and SCENARIOS').toEqual([]);
    expect(stale, 'PERMISSIONS names operations the schema no longer has').toEqual([]);
  });
});

describe("a worker and another user's training", () => {
  it.each<[string, (worker: Actor) => Promise<GraphQLResponse<unknown>>]>([
    [
      'userTrainingAssignments(userId: other)',
      (worker) => worker.request(UserTrainingAssignmentsDocument, { userId: otherWorker.userId }),
    ],
    [
      'trainingAssignments(filter: { userId: other })',
      (worker) => worker.request(TrainingAssignmentsDocument, { filter: { userId: otherWorker.userId } }),
    ],
    [
      'trainingCompletions(filter: { userId: other })',
      (worker) => worker.request(TrainingCompletionsDocument, { filter: { userId: otherWorker.userId } }),
    ],
  ])('%s is FORBIDDEN', async (_operation, send) => {
    const response = await send(actors.worker);

    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(JSON.stringify(response)).not.toContain(otherWorkersAssignmentId);
  });

  it("starting another worker's assignment is refused as NOT_FOUND (RLS hides it) and changes nothing", async () => {
    const before = await assignmentRow(otherWorkersAssignmentId);

    const response = await actors.worker.request(StartTrainingAssignmentDocument, {
      assignmentId: otherWorkersAssignmentId,
    });

    expect(errorCode(response)).toBe('NOT_FOUND');
    expect(await assignmentRow(otherWorkersAssignmentId)).toEqual(before);
    expect(before?.status).toBe('assigned');
  });

  it("completing another worker's started assignment is refused as NOT_FOUND and records nothing", async () => {
    const assignmentId = await newAssignment(otherWorker);
    await startAs(otherWorker, assignmentId);
    const before = await trainingTables();

    const response = await actors.worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId, score: 100, passed: true, completionTimeMinutes: 5 },
    });

    expect(errorCode(response)).toBe('NOT_FOUND');
    expect(await trainingTables()).toEqual(before);
    expect((await assignmentRow(assignmentId))?.status).toBe('in_progress');
  });

  it('sees only their own rows in the tenant-wide lists', async () => {
    const assignments = await actors.worker.request(TrainingAssignmentsDocument, {});
    const completions = await actors.worker.request(TrainingCompletionsDocument, {});

    expect(assignments.data?.trainingAssignments.nodes.length).toBeGreaterThan(0);
    expect(assignments.data?.trainingAssignments.nodes.every((a) => a.user.id === actors.worker.userId)).toBe(true);
    expect(assignments.data?.trainingAssignments.totalCount).toBe(assignments.data?.trainingAssignments.nodes.length);
    expect(completions.data?.trainingCompletions.nodes.every((c) => c.user.id === actors.worker.userId)).toBe(true);
  });
});
