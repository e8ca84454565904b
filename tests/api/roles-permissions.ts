import { expect } from 'vitest';
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
import { dayFromToday, type Actor, type GraphQLResponse } from '../support/server.js';
import {
  ME,
  actors,
  assignmentRow,
  newAssignment,
  newCourse,
  otherWorker,
  server,
  sharedCourseId,
  startAs,
} from './roles-fixtures.js';

/**
 * The permission table (README "Security: tenants and roles"): who may call each operation (PERMISSIONS), and
 * how roles-permission-table.test.ts exercises each one (SCENARIOS).
 */

const EVERYONE = ROLES;
const MANAGERS = ['admin', 'safety_officer'] as const;
const LEARNERS = ['admin', 'safety_officer', 'worker'] as const;
const OVERSEERS = ['admin', 'safety_officer', 'service'] as const;

/** Who may call each operation. A worker's reads are narrowed to their own rows. */
export const PERMISSIONS = {
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
  // risk oversight: escalations and who is qualified now (tests/risk/risk-loop-*.test.ts have the rules)
  riskEscalations: OVERSEERS,
  qualifications: OVERSEERS,
  me: EVERYONE,
  // the people directory: admin and safety officer (tests/api/directory.test.ts has search and tenancy)
  users: MANAGERS,
  // certificates: admin and safety officer revoke (verifyCertificate is public:
  // tests/api/certificates-verification.test.ts)
  revokeCertificate: MANAGERS,
} satisfies Record<string, readonly Role[]>;
export type Operation = keyof typeof PERMISSIONS;

/** Root fields whose permissions are tested with their feature, not here. */
export const TESTED_ELSEWHERE = [
  'health', // public by design (auth-credentials.test.ts)
  'verifyCertificate', // public by design (tests/api/certificates-verification.test.ts)
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

export const SCENARIOS: Record<Operation, (actor: Actor) => Call | Promise<Call>> = {
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
