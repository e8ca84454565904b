import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  getNamedType,
  print,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  MeDocument,
  MyTrainingAssignmentsDocument,
  RecordPracticalEvaluationDocument,
  StartTrainingAssignmentDocument,
  SweepOverdueTrainingAssignmentsDocument,
  TrainingAnalyticsDocument,
  TrainingAssignmentsDocument,
  TrainingCompletionsDocument,
  TrainingCourseDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
  UserTrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { estimateCost } from '../../src/core/query-cost.js';
import { schema } from '../../src/schema.js';
import { createLaunchToken } from '../../src/xapi/index.js';
import {
  dayFromToday,
  errorCode,
  ok,
  startTestServer,
  type Actor,
  type GraphQLResponse,
  type TestServer,
} from '../support/server.js';
import { setupTimeout } from '../support/citus.js';
import { fingerprints, TENANT_TABLES } from '../support/sql.js';
import { insertNeighbours } from '../support/tenant-rows.js';
import { assignCourse, completeAssignment, createCourse, startAssignment } from '../support/training.js';
import { credentialOf, multipart, MULTIPART, withAttachment } from '../support/xapi.js';

/**
 * No role ever reads or writes another tenant's rows.
 *
 * Tenant B is built through B's own API calls (plus the neighbouring systems'
 * tables, written as their owners would). Tenant A's four kinds of caller then
 * throw every query and mutation of the schema at the API, with id arguments
 * drawn from B's ids, A's ids and random uuids. After every single response:
 *   - its raw text (and every base64 cursor in it, decoded) holds none of B's
 *     ids, course titles or people's names;
 *   - B's rows in every table are byte-for-byte what they were (owner SQL md5).
 *
 * The property runs with a fixed seed (TENANCY_SEED / TENANCY_RUNS override it);
 * a failure names the seed, the step, the request and the offending text.
 */

const SEED = Number(process.env.TENANCY_SEED ?? 20261125);
const RUNS = Number(process.env.TENANCY_RUNS ?? 60);
const MAX_STEPS = 12;

type IdKind =
  | 'tenant'
  | 'user'
  | 'course'
  | 'assignment'
  | 'completion'
  | 'zone'
  | 'equipment'
  | 'shift'
  | 'notification'
  | 'certificate'
  | 'question'
  | 'attempt'
  | 'module'
  | 'content';
/** The kinds an unhinted ID argument or a cursor draws from (a certificate is named by its code, not an ID). */
const ID_KINDS: IdKind[] = ['tenant', 'user', 'course', 'assignment', 'completion', 'zone', 'equipment', 'shift'];
const emptyPools = (): Pools => ({
  tenant: [],
  user: [],
  course: [],
  assignment: [],
  completion: [],
  zone: [],
  equipment: [],
  shift: [],
  notification: [],
  certificate: [],
  question: [],
  attempt: [],
  module: [],
  content: [],
});
type Pools = Record<IdKind, string[]>;
/** `dual`: a worker of A who is the same person (same token subject) as a worker of B. */
type ActorName = 'admin' | 'officer' | 'worker' | 'service' | 'dual';

let server: TestServer;
let dualUserId: string;
/** Tenant B: the victim. */
const b = {
  ids: emptyPools(),
  /** Every string of B's that must never appear in an answer to A (lower case). */
  secrets: [] as string[],
  titles: [] as string[],
  baseline: {} as Record<string, string>,
};
/** Tenant A: the callers. Its id pools grow with whatever A creates during the run. */
const a = {
  ids: emptyPools(),
  actors: {} as Record<ActorName, Actor>,
};

// ---------------------------------------------------------------- helpers

/** A fingerprint of every row a tenant has, per table, as the owner (no RLS). */
const checksums = (tenantId: string) => server.owner.fingerprints(TENANT_TABLES, tenantId);

async function expectTenantBUnchanged(): Promise<void> {
  expect(await checksums(b.ids.tenant[0]!)).toEqual(b.baseline);
}

/** What of B's is in this text, if anything: checks the text itself and every base64 string in it, decoded. */
function leakIn(text: string): string | undefined {
  const haystacks = [text.toLowerCase()];
  for (const match of text.matchAll(/"([A-Za-z0-9+/_-]{16,}={0,2})"/g)) {
    const decoded = Buffer.from(match[1]!, 'base64').toString('latin1');
    if (decoded) haystacks.push(decoded.toLowerCase());
  }
  for (const secret of b.secrets) {
    for (const haystack of haystacks) if (haystack.includes(secret)) return secret;
  }
  return undefined;
}

/** Sends a request as `actor` and returns the raw response text with its parsed body. */
async function raw(actor: Actor, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${actor.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as GraphQLResponse<Record<string, unknown>> };
}

const SIGN_IN = '{ me { id } }';
/** What only a compiled page read sends, or a plain page's (core/plain-pages: PostgreSQL writes the JSON text). */
const COMPILED_PAGE = /json_agg\(json_build_object\(|\)::text AS nodes/;
let compiledPageReads = 0;
const ENTITIES_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ __typename ... on Course { id title } ... on Assignment { id } ... on Completion { id } } }`;

// ---------------------------------------------------------------- arrange

beforeAll(async () => {
  const t0 = Date.now();
  // Counts the one-statement page reads (src/core/json-page-sql.ts, plain pages): the property must run through them too.
  server = await startTestServer({}, { onQuery: (sql) => void (COMPILED_PAGE.test(sql) && compiledPageReads++) });
  if (process.env.TENANCY_VERBOSE) console.warn(`server started in ${Date.now() - t0} ms`);
  const suffix = randomUUID().slice(0, 8);

  // ---- Tenant B, through B's own API calls.
  const bAdmin = await server.actor('admin', { name: `Bravo Admin Beatrix ${suffix}` });
  const bTenant = bAdmin.tenantId;
  const bWorker1 = await server.actor('worker', { tenantId: bTenant, name: `Bravo Worker Bartholomew ${suffix}` });
  const bWorker2 = await server.actor('worker', { tenantId: bTenant, name: `Bravo Worker Brunhilde ${suffix}` });
  // A person who works for both tenants: one identity-provider subject, a profile in each.
  const bDual = await server.actor('worker', { tenantId: bTenant, name: `Bravo Dual Dagmar ${suffix}` });
  for (const actor of [bAdmin, bWorker1, bWorker2, bDual]) await ok(actor.request(SIGN_IN)); // profiles on first use

  const bCourses = [
    await createCourse(bAdmin, {
      title: `Bravo Confined Space Entry ${suffix}`,
      description: `Bravo-only confined space description ${suffix}`,
      category: 'SAFETY_FUNDAMENTALS',
      // The dual person's passed completion of it gets a certificate.
      expiryMonths: 24,
      issuesCertificate: true,
    }),
    await createCourse(bAdmin, {
      title: `Bravo Crane Signalling ${suffix}`,
      category: 'EQUIPMENT_SAFETY',
      autoAssignEnabled: true,
      riskThreshold: 50,
      entityType: 'WORKER',
      expiryMonths: 12,
      issuesCertificate: true,
    }),
    await createCourse(bAdmin, {
      title: `Bravo Chemical Spill Drill ${suffix}`,
      category: 'EMERGENCY_RESPONSE',
      autoAssignEnabled: true,
      riskThreshold: 10,
      entityType: 'GENERAL',
    }),
    await createCourse(bAdmin, {
      title: `Bravo Night Shift Fatigue ${suffix}`,
      category: 'RISK_MANAGEMENT',
      required: true,
    }),
  ];
  const [bc1, bc2, bc3, bc4] = bCourses as [string, string, string, string];

  const assign = (courseId: string, userId: string, dueDate = dayFromToday(10)) =>
    assignCourse(bAdmin, courseId, userId, dueDate);
  const complete = (worker: Actor, assignmentId: string, passed: boolean) =>
    completeAssignment(worker, assignmentId, { passed, score: passed ? 88 : 35, completionTimeMinutes: 42 });

  const assigned = await assign(bc1, bWorker1.userId);
  const inProgress = await assign(bc2, bWorker1.userId);
  await startAssignment(bWorker1, inProgress);
  const completed = await assign(bc3, bWorker2.userId);
  await startAssignment(bWorker2, completed);
  const passedCompletion = await complete(bWorker2, completed, true);
  const cancelled = await assign(bc1, bWorker2.userId);
  await ok(bAdmin.request(CancelTrainingAssignmentDocument, { assignmentId: cancelled, reason: 'Bravo reorg' }));
  const retry = await assign(bc2, bWorker2.userId);
  await startAssignment(bWorker2, retry);
  const failedCompletion = await complete(bWorker2, retry, false);
  // Past due dates: the API refuses them, so they are moved as the owner. One is
  // stored as overdue (as if swept); two are left for a sweep: A's sweep must not take them.
  const sweptOverdue = await assign(bc4, bWorker1.userId, dayFromToday(5));
  const lateInProgress = await assign(bc4, bWorker2.userId, dayFromToday(5));
  await startAssignment(bWorker2, lateInProgress);
  const lateAssigned = await assign(bc3, bWorker1.userId, dayFromToday(5));
  await server.owner.query(
    `UPDATE training_assignments SET due_date = training_today() - 3 WHERE id = ANY($1::uuid[])`,
    [[sweptOverdue, lateInProgress, lateAssigned]],
  );
  await server.owner.query(`UPDATE training_assignments SET status = 'overdue' WHERE id = $1`, [sweptOverdue]);
  // The dual person's training in B: one passed, one still assigned.
  const dualDone = await assign(bc1, bDual.userId);
  await startAssignment(bDual, dualDone);
  const dualCompletion = await complete(bDual, dualDone, true);
  const dualAssigned = await assign(bc2, bDual.userId);
  // A course completed on a practical evaluation: B's failed evaluation of it is an evidence row of B's.
  const bc5 = await createCourse(bAdmin, {
    title: `Bravo Reach Truck ${suffix}`,
    category: 'EQUIPMENT_SAFETY',
    requirements: { practicalEvaluation: true },
  });
  bCourses.push(bc5);
  const evaluated = await assign(bc5, bWorker1.userId);
  await ok(
    bAdmin.request(RecordPracticalEvaluationDocument, {
      input: { assignmentId: evaluated, passed: false, score: 40, notes: `Bravo evaluation notes ${suffix}` },
    }),
  );

  // Neighbouring systems' rows for B (risk scores, shifts, equipment operators).
  const bZone = randomUUID();
  const bEquipment = randomUUID();
  const scores = await server.owner.query<{ id: string }>(
    `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score) VALUES
       ($1, 'worker', $2, 91), ($1, 'worker', $3, 64), ($1, 'zone', $4, 80), ($1, 'equipment', $5, 72)
     RETURNING id`,
    [bTenant, bWorker1.userId, bWorker2.userId, bZone, bEquipment],
  );
  const shifts = await server.owner.query<{ id: string }>(
    `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
     VALUES ($1, $2, $3, now() - interval '1 day', now() + interval '1 day') RETURNING id`,
    [bTenant, bZone, bWorker1.userId],
  );
  const operators = await server.owner.query<{ id: string }>(
    `INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) VALUES ($1, $2, $3) RETURNING id`,
    [bTenant, bEquipment, bWorker2.userId],
  );
  // B's rows in the other tenant tables, so that a change to any of them shows in B's checksums:
  // notifications (every assignment above wrote one), the certificate of the dual person's passed
  // completion, preferences, an escalation of the passed completion, a scheduler run, the tenant's name;
  // the counters are the triggers'.
  await ok(
    bWorker1.request(`mutation { updateNotificationPreferences(input: { emailOptOut: [DUE_SOON] }) { emailOptOut } }`),
  );
  await ok(bAdmin.request(`mutation { updateTenantSettings(input: { name: "Bravo Corp ${suffix}" }) { name } }`));
  const escalations = await server.owner.query<{ id: string }>(
    `INSERT INTO risk_escalations (tenant_id, completion_id, assignment_id, course_id, user_id, entity_type, entity_id,
                                   score_before, score_now, threshold, completed_at)
     SELECT tenant_id, id, assignment_id, course_id, user_id, 'worker', user_id, 64, 61, 10, completed_at
     FROM training_completions WHERE id = $1 RETURNING id`,
    [passedCompletion],
  );
  await server.owner.query(
    `INSERT INTO scheduled_job_runs (job, tenant_id, slot, instance, affected, finished_at)
     VALUES ('overdue_sweep', $1, date_trunc('hour', now()), 'tenancy-test', 1, now())`,
    [bTenant],
  );
  const bNotifications = await server.owner.query<{ id: string }>(
    `SELECT id FROM notifications WHERE tenant_id = $1 ORDER BY created_at, id`,
    [bTenant],
  );
  // B's quiz: a question bank of one, the quiz of bc2, and bWorker1's attempt at it with an answer saved.
  const bQuestion = await ok(
    bAdmin.request(
      `mutation { createQuestion(input: { kind: SINGLE_CHOICE, text: "Bravo crane signal for stop ${suffix}",
         tags: ["bravo"], choices: [{ text: "Bravo fist ${suffix}", credit: 100, feedback: "Bravo right ${suffix}" },
         { text: "Bravo wave ${suffix}" }] }) { id } }`,
    ),
  );
  await ok(
    bAdmin.request(
      `mutation { setCourseQuiz(courseId: "${bc2}", input: { tags: ["bravo"], questionCount: 1, passMark: 80 }) { passMark } }`,
    ),
  );
  const bAttempt = await ok(
    bWorker1.request(
      `mutation { startQuizAttempt(assignmentId: "${inProgress}") { id questions { id choices { id } } } }`,
    ),
  );
  const { id: bAttemptId, questions: bShown } = (
    bAttempt as { startQuizAttempt: { id: string; questions: { id: string; choices: { id: string }[] }[] } }
  ).startQuizAttempt;
  await ok(
    bWorker1.request(
      `mutation { saveQuizAnswer(attemptId: "${bAttemptId}", questionId: "${bShown[0]!.id}",
         answer: { choiceIds: ["${bShown[0]!.choices[0]!.id}"] }) }`,
    ),
  );
  // A mutation of B's sent with an Idempotency-Key: B has a kept response too.
  const bKey = `bravo-key-${suffix}`;
  await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bAdmin.token}`, 'idempotency-key': bKey },
    body: JSON.stringify({
      query: `mutation { createTrainingCourse(input: { title: "Bravo keyed ${suffix}", category: OTHER }) { id } }`,
    }),
  });
  // B's learning records: a statement with an attachment (its activity too), a state document, a launch token.
  const bLrs = await credentialOf(server, bAdmin);
  const bScan = Buffer.from(`Bravo scan ${suffix}`);
  await bLrs.send('statements', {
    method: 'POST',
    body: multipart(withAttachment(bScan), [bScan]),
    headers: MULTIPART,
  });
  const bState = `activities/state?activityId=${encodeURIComponent('https://example.com/bravo')}&stateId=s&agent=`;
  await bLrs.send(bState + encodeURIComponent(JSON.stringify({ mbox: 'mailto:bravo@example.com' })), {
    method: 'PUT',
    body: { bravo: suffix },
  });
  await runAsCaller(server.db.prisma, { tenantId: bTenant, userId: bAdmin.userId, role: 'admin' }, (tx) =>
    createLaunchToken(tx, bTenant, {
      actor: { mbox: 'mailto:bravo@example.com' },
      registration: randomUUID(),
      activityId: 'https://example.com/bravo',
    }),
  );
  const bCodes = await server.owner.query<{ code: string }>(`SELECT code FROM certificates WHERE tenant_id = $1`, [
    bTenant,
  ]);
  // B's content: an uploaded video, bc2's module playing it, bWorker1's progress through it.
  const [bContent] = await server.owner.query<{ id: string }>(
    `INSERT INTO content_files (tenant_id, content_type, size, file_name, created_by)
     VALUES ($1, 'video/mp4', 2048, 'bravo-${suffix}.mp4', $2) RETURNING id`,
    [bTenant, bAdmin.userId],
  );
  const [bModule] = await server.owner.query<{ id: string }>(
    `INSERT INTO course_modules (tenant_id, course_id, title, kind, content_id)
     VALUES ($1, $2, 'Bravo video ${suffix}', 'video', $3) RETURNING id`,
    [bTenant, bc2, bContent!.id],
  );
  await server.owner.query(
    `INSERT INTO module_progress (tenant_id, assignment_id, module_id, user_id, seconds_spent)
     VALUES ($1, $2, $3, $4, 42)`,
    [bTenant, inProgress, bModule!.id, bWorker1.userId],
  );

  b.ids = {
    tenant: [bTenant],
    user: [bAdmin.userId, bWorker1.userId, bWorker2.userId],
    course: bCourses,
    assignment: [
      assigned,
      inProgress,
      completed,
      cancelled,
      retry,
      sweptOverdue,
      lateInProgress,
      lateAssigned,
      dualDone,
      dualAssigned,
      evaluated,
    ],
    completion: [passedCompletion, failedCompletion, dualCompletion],
    zone: [bZone],
    equipment: [bEquipment],
    shift: shifts.map((row) => row.id),
    notification: bNotifications.map((row) => row.id),
    certificate: bCodes.map((row) => row.code),
    question: [(bQuestion as { createQuestion: { id: string } }).createQuestion.id],
    attempt: [bAttemptId],
    module: [bModule!.id],
    content: [bContent!.id],
  };
  // The dual person's id is legitimately A's too (it is not one of B's secrets); their
  // B training (assignments, completion, B display name) is.
  const courseRows = await server.owner.query<{ title: string; description: string | null }>(
    `SELECT title, description FROM training_courses WHERE tenant_id = $1`,
    [bTenant],
  );
  b.titles = courseRows.map((row) => row.title);
  b.secrets = [
    ...Object.values(b.ids).flat(),
    ...[...scores, ...shifts, ...operators, ...escalations].map((row) => row.id),
    bZone,
    bEquipment,
    ...b.titles,
    ...courseRows.flatMap((row) => (row.description ? [row.description] : [])),
    `Bravo Admin Beatrix ${suffix}`,
    `Bravo Worker Bartholomew ${suffix}`,
    `Bravo Worker Brunhilde ${suffix}`,
    `Bravo Dual Dagmar ${suffix}`,
    `Bravo evaluation notes ${suffix}`,
    `Bravo crane signal for stop ${suffix}`,
    `Bravo fist ${suffix}`,
    `Bravo right ${suffix}`,
    `Bravo video ${suffix}`,
    bKey,
  ].map((secret) => secret.toLowerCase());
  dualUserId = bDual.userId;

  // ---- Tenant A: four kinds of caller and some data of its own.
  const aAdmin = await server.actor('admin', { name: 'Alpha Admin' });
  const aTenant = aAdmin.tenantId;
  a.actors = {
    admin: aAdmin,
    officer: await server.actor('safety_officer', { tenantId: aTenant, name: 'Alpha Officer' }),
    worker: await server.actor('worker', { tenantId: aTenant, name: 'Alpha Worker' }),
    service: await server.actor('service', { tenantId: aTenant, name: 'Alpha Integration' }),
    dual: await server.actor('worker', { tenantId: aTenant, userId: bDual.userId, name: 'Alpha Dual' }),
  };
  for (const actor of Object.values(a.actors)) await ok(actor.request(SIGN_IN)); // the service may not read progress
  const ac1 = await createCourse(aAdmin, { title: 'Alpha Ladder Basics', category: 'SAFETY_FUNDAMENTALS' });
  const ac2 = await createCourse(aAdmin, {
    title: 'Alpha Forklift',
    category: 'EQUIPMENT_SAFETY',
    autoAssignEnabled: true,
    riskThreshold: 50,
    entityType: 'WORKER',
  });
  const aAssign = (courseId: string, userId: string) => assignCourse(aAdmin, courseId, userId);
  const aw = a.actors.worker;
  const aAssigned = await aAssign(ac1, aw.userId);
  const aDone = await aAssign(ac2, aw.userId);
  await startAssignment(aw, aDone);
  const aCompletion = await completeAssignment(aw, aDone, { score: 75, completionTimeMinutes: 20 });
  // One of A's own assignments is past due and not yet swept.
  const aLate = await aAssign(ac1, a.actors.officer.userId);
  const aDual = await aAssign(ac2, a.actors.dual.userId);
  await server.owner.query(`UPDATE training_assignments SET due_date = training_today() - 2 WHERE id = $1`, [aLate]);
  const aNeighbours = await insertNeighbours(server.owner, aTenant, aw.userId, { worker: 95, zone: 70, equipment: 60 });
  a.ids = {
    tenant: [aTenant],
    user: Object.values(a.actors).map((actor) => actor.userId),
    course: [ac1, ac2],
    assignment: [aAssigned, aDone, aLate, aDual],
    completion: [aCompletion],
    zone: [aNeighbours.zone],
    equipment: [aNeighbours.equipment],
    shift: [aNeighbours.shift],
    notification: (
      await server.owner.query<{ id: string }>(`SELECT id FROM notifications WHERE tenant_id = $1`, [aTenant])
    ).map((row) => row.id),
    certificate: [],
    question: [],
    attempt: [],
    module: [],
    content: [],
  };

  b.baseline = await checksums(bTenant);
  if (process.env.TENANCY_VERBOSE) console.warn(`arranged in ${Date.now() - t0} ms`);
}, setupTimeout(120_000));

afterAll(() => server?.stop());

// ---------------------------------------------------------------- examples

describe('tenant A against tenant B: examples', () => {
  it("A's admin cannot update B's course: NOT_FOUND, and the course is unchanged", async () => {
    const admin = a.actors.admin;
    for (const id of b.ids.course) {
      const response = await admin.request(UpdateTrainingCourseDocument, {
        id,
        input: { title: 'Hijacked by A', autoAssignEnabled: false, description: null },
      });
      expect(errorCode(response)).toBe('NOT_FOUND');
      expect(response.data ?? null).toBeNull();
    }
    // The same call on A's own course works (the refusal above is about tenancy, not the input).
    const own = await ok(
      admin.request(UpdateTrainingCourseDocument, { id: a.ids.course[0]!, input: { description: 'Updated by A' } }),
    );
    expect(own.updateTrainingCourse.description).toBe('Updated by A');
    await expectTenantBUnchanged();
  });

  it("A's admin cannot assign B's course to A's user, nor A's course to B's user: NOT_FOUND, nothing written", async () => {
    const admin = a.actors.admin;
    const before = await server.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM training_assignments');
    const attempts = [
      ...b.ids.course.map((courseId) => ({ courseId, userId: a.actors.worker.userId })),
      ...b.ids.user.map((userId) => ({ courseId: a.ids.course[0]!, userId })),
      { courseId: b.ids.course[0]!, userId: b.ids.user[1]! },
    ];
    for (const input of attempts) {
      const response = await admin.request(AssignTrainingCourseDocument, {
        input: { ...input, dueDate: dayFromToday(3), assignmentReason: 'cross-tenant attempt' },
      });
      expect(errorCode(response), JSON.stringify(input)).toBe('NOT_FOUND');
      expect(response.data ?? null).toBeNull();
    }
    const after = await server.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM training_assignments');
    expect(after[0]!.n).toBe(before[0]!.n);
    await expectTenantBUnchanged();
  });

  it("A's admin cannot cancel, start or complete B's assignments, nor can A's worker: NOT_FOUND", async () => {
    for (const assignmentId of b.ids.assignment) {
      const cancel = await a.actors.admin.request(CancelTrainingAssignmentDocument, { assignmentId, reason: 'A' });
      expect(errorCode(cancel)).toBe('NOT_FOUND');
      for (const actor of [a.actors.admin, a.actors.worker]) {
        expect(errorCode(await actor.request(StartTrainingAssignmentDocument, { assignmentId }))).toBe('NOT_FOUND');
        const complete = await actor.request(CompleteTrainingAssignmentDocument, {
          input: { assignmentId, score: 100, passed: true, completionTimeMinutes: 1 },
        });
        expect(errorCode(complete)).toBe('NOT_FOUND');
      }
    }
    await expectTenantBUnchanged();
  });

  it("A's worker lists assignments and completions and never sees B's", async () => {
    const worker = a.actors.worker;
    const mine = await ok(worker.request(MyTrainingAssignmentsDocument, { first: 100 }));
    const all = await ok(worker.request(TrainingAssignmentsDocument, { first: 100 }));
    const completions = await ok(worker.request(TrainingCompletionsDocument, { first: 100 }));
    const me = await ok(worker.request(MeDocument));
    expect(mine.myTrainingAssignments.nodes.length).toBeGreaterThan(0);
    for (const node of [...mine.myTrainingAssignments.nodes, ...all.trainingAssignments.nodes]) {
      expect(node.user.id).toBe(worker.userId);
      expect(a.ids.course).toContain(node.course.id);
    }
    expect(completions.trainingCompletions.nodes.map((node) => node.user.id)).toEqual([worker.userId]);
    expect(me.me.trainingAssignments.totalCount).toBe(mine.myTrainingAssignments.totalCount);
    // Asking for B's user by id: a worker may only read their own, so FORBIDDEN (not an empty B list).
    expect(errorCode(await worker.request(UserTrainingAssignmentsDocument, { userId: b.ids.user[1]! }))).toBe(
      'FORBIDDEN',
    );
    // Filters naming B's course or assignment match nothing.
    const byCourse = await ok(worker.request(TrainingAssignmentsDocument, { filter: { courseId: b.ids.course[1]! } }));
    expect(byCourse.trainingAssignments.totalCount).toBe(0);
    const byAssignment = await ok(
      worker.request(TrainingCompletionsDocument, { filter: { assignmentId: b.ids.assignment[2]! } }),
    );
    expect(byAssignment.trainingCompletions.totalCount).toBe(0);
    for (const response of [mine, all, completions, me]) expect(leakIn(JSON.stringify(response))).toBeUndefined();
  });

  it("A's admin filtering by B's user, course or assignment ids gets empty lists; B's course by id is null", async () => {
    const admin = a.actors.admin;
    for (const userId of b.ids.user) {
      const byUser = await ok(admin.request(UserTrainingAssignmentsDocument, { userId }));
      expect(byUser.userTrainingAssignments.totalCount).toBe(0);
      const filtered = await ok(admin.request(TrainingAssignmentsDocument, { filter: { userId } }));
      expect(filtered.trainingAssignments.totalCount).toBe(0);
      const completions = await ok(admin.request(TrainingCompletionsDocument, { filter: { userId } }));
      expect(completions.trainingCompletions.totalCount).toBe(0);
    }
    for (const courseId of b.ids.course) {
      expect((await ok(admin.request(TrainingCourseDocument, { id: courseId }))).trainingCourse).toBeNull();
      const filtered = await ok(admin.request(TrainingAssignmentsDocument, { filter: { courseId } }));
      expect(filtered.trainingAssignments.totalCount).toBe(0);
    }
    for (const title of b.titles) {
      const search = await ok(admin.request(TrainingCoursesDocument, { filter: { search: title } }));
      expect(search.trainingCourses.totalCount).toBe(0);
    }
    const bravo = await ok(admin.request(TrainingCoursesDocument, { filter: { search: 'bravo' } }));
    expect(bravo.trainingCourses.totalCount).toBe(0);
    // Paging from a cursor that names one of B's rows yields nothing of B's either.
    const cursor = Buffer.from(`GPC:S:${b.ids.assignment[0]}`).toString('base64');
    const paged = await raw(admin, `query($after: String) { trainingAssignments(after: $after) { nodes { id } } }`, {
      after: cursor,
    });
    expect(leakIn(paged.text)).toBeUndefined();
  });

  it('trainingAnalytics for A counts none of B\u2019s rows', async () => {
    const analytics = (await ok(a.actors.admin.request(TrainingAnalyticsDocument))).trainingAnalytics;
    const [expected] = await server.owner.query<Record<string, string>>(
      `SELECT total_courses::int, total_assignments::int, completed_count::int, in_progress_count::int,
              overdue_count::int, completion_rate::float8, avg_completion_time::float8
       FROM get_training_analytics($1)`,
      [a.ids.tenant[0]],
    );
    const [counts] = await server.owner.query<{ courses: number; assignments: number }>(
      `SELECT (SELECT count(*)::int FROM training_courses WHERE tenant_id = $1) AS courses,
              (SELECT count(*)::int FROM training_assignments WHERE tenant_id = $1) AS assignments`,
      [a.ids.tenant[0]],
    );
    expect(analytics).toMatchObject({
      totalCourses: counts!.courses,
      totalAssignments: expected!.total_assignments,
      completedCount: expected!.completed_count,
      inProgressCount: expected!.in_progress_count,
      overdueCount: expected!.overdue_count,
      completionRate: expected!.completion_rate,
      avgCompletionTime: expected!.avg_completion_time,
    });
    // Hand-checked against the arrangement: B's 4 courses and 8 assignments are not in A's figures.
    expect(analytics.totalCourses).toBe(2);
    expect(analytics.avgCompletionTime).toBe(20); // A's one passed completion; B's took 42 minutes
    expect(analytics.byStatus.reduce((sum, row) => sum + row.count, 0)).toBe(counts!.assignments);
    expect(analytics.byCourse.map((row) => row.course.id).sort()).toEqual([...a.ids.course].sort());
    expect(analytics.byCategory.map((row) => row.category).sort()).toEqual(['EQUIPMENT_SAFETY', 'SAFETY_FUNDAMENTALS']);
    for (const row of analytics.overdueAssignments) expect(a.ids.assignment).toContain(row.id);
    expect(leakIn(JSON.stringify(analytics))).toBeUndefined();
    // A worker's own progress neither.
    const own = (await ok(a.actors.worker.request(TrainingAnalyticsDocument))).trainingAnalytics;
    expect(own).toMatchObject({ totalAssignments: 2, completedCount: 1, avgCompletionTime: 20 });
  });

  it("federation _entities with B's Course/Assignment/Completion ids resolves each to null for A", async () => {
    const representations = [
      ...b.ids.course.map((id) => ({ __typename: 'Course', id })),
      ...b.ids.assignment.map((id) => ({ __typename: 'Assignment', id })),
      ...b.ids.completion.map((id) => ({ __typename: 'Completion', id })),
    ];
    for (const actor of Object.values(a.actors)) {
      const response = await raw(actor, ENTITIES_QUERY, { r: representations });
      expect(response.body.errors, response.text).toBeUndefined();
      expect(response.body.data?._entities).toEqual(representations.map(() => null));
      expect(leakIn(response.text)).toBeUndefined();
    }
    // Control: the same query resolves A's own course for A's admin.
    const control = await raw(a.actors.admin, ENTITIES_QUERY, {
      r: [{ __typename: 'Course', id: a.ids.course[0] }],
    });
    expect(control.body.data?._entities).toEqual([
      { __typename: 'Course', id: a.ids.course[0], title: 'Alpha Ladder Basics' },
    ]);
    await expectTenantBUnchanged();
  });

  it('federation _entities, any mix of representations: B never resolves for A, and a malformed id is BAD_USER_INPUT with nothing resolved', async () => {
    const typenames = ['Course', 'Assignment', 'Completion'] as const;
    const bId = fc.constantFrom(...b.ids.course, ...b.ids.assignment, ...b.ids.completion);
    const aId = fc.constantFrom(...a.ids.course, ...a.ids.assignment, ...a.ids.completion);
    const hostileId = fc.oneof(
      fc.constant<unknown>(null),
      fc.integer(),
      fc.string({ maxLength: 40 }),
      fc.constantFrom(...b.ids.course).map((id): unknown => ({ not: id })),
      fc.constantFrom(...b.ids.course).map((id): unknown => ({ in: [id] })),
      fc.constantFrom(...b.ids.course).map((id): unknown => ({ equals: id, mode: 'insensitive' })),
    );
    const representation = fc.record({
      __typename: fc.constantFrom(...typenames),
      id: fc.oneof({ weight: 3, arbitrary: bId }, { weight: 1, arbitrary: aId }, { weight: 1, arbitrary: hostileId }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.values(a.actors)),
        fc.array(representation, { minLength: 1, maxLength: 8 }),
        async (actor, r) => {
          const response = await raw(actor, ENTITIES_QUERY, { r });
          expect(leakIn(response.text)).toBeUndefined();
          const malformed = r.findIndex(
            ({ id }) =>
              typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id),
          );
          if (malformed >= 0) {
            expect(
              response.body.errors?.map((error) => error.extensions?.code),
              response.text,
            ).toEqual(['BAD_USER_INPUT']);
            expect(response.body.data).toBeUndefined();
            return;
          }
          const entities = (response.body.data?._entities ?? []) as ({ id: string } | null)[];
          // B's ids resolve to null; nothing ever resolves to an id that was not asked for.
          r.forEach(({ id }, index) => {
            if (!aId || (b.ids.course as string[]).concat(b.ids.assignment, b.ids.completion).includes(id as string)) {
              expect(entities[index] ?? null).toBeNull();
            } else if (entities[index]) {
              expect(entities[index]!.id).toBe(id);
            }
          });
        },
      ),
      { seed: SEED, numRuns: Math.min(RUNS, 30) },
    );
    await expectTenantBUnchanged();
  });

  it("A's overdue sweep stores OVERDUE on A's past-due assignment only, never on B's", async () => {
    const swept = await ok(a.actors.officer.request(SweepOverdueTrainingAssignmentsDocument));
    expect(swept.sweepOverdueTrainingAssignments).toBe(1);
    const stored = await server.owner.query<{ status: string }>(
      `SELECT status FROM training_assignments WHERE tenant_id = $1 AND due_date < training_today() ORDER BY status`,
      [b.ids.tenant[0]],
    );
    // B's two unswept past-due rows are still stored as assigned / in_progress.
    expect(stored.map((row) => row.status)).toEqual(['assigned', 'in_progress', 'overdue']);
    await expectTenantBUnchanged();
  });

  it("the same person in both tenants sees, as A's worker, only A's training; B's profile is untouched", async () => {
    const dual = a.actors.dual;
    const me = await raw(
      dual,
      `{ me { id trainingAssignments { totalCount nodes { id course { title } } }
      trainingCompletions { totalCount nodes { id } } trainingProgress { totalAssignments completedCount } } }`,
    );
    expect(me.body.errors, me.text).toBeUndefined();
    expect(leakIn(me.text), me.text).toBeUndefined();
    expect(me.body.data).toMatchObject({
      me: {
        id: dualUserId,
        trainingAssignments: { totalCount: 1, nodes: [{ course: { title: 'Alpha Forklift' } }] },
        trainingCompletions: { totalCount: 0 },
        trainingProgress: { totalAssignments: 1, completedCount: 0 },
      },
    });
    for (const document of [MyTrainingAssignmentsDocument, TrainingAssignmentsDocument, TrainingCompletionsDocument]) {
      const response = await raw(dual, print(document), { first: 50 });
      expect(response.body.errors, response.text).toBeUndefined();
      expect(leakIn(response.text), response.text).toBeUndefined();
    }
    const analytics = await raw(dual, print(TrainingAnalyticsDocument));
    expect(leakIn(analytics.text), analytics.text).toBeUndefined();
    // A's admin sees the person's A training only, by user id and by filter.
    const byUser = await ok(a.actors.admin.request(UserTrainingAssignmentsDocument, { userId: dualUserId }));
    expect(byUser.userTrainingAssignments.nodes.map((node) => node.course.title)).toEqual(['Alpha Forklift']);
    const completions = await raw(a.actors.admin, print(TrainingCompletionsDocument), {
      filter: { userId: dualUserId },
    });
    expect(leakIn(completions.text), completions.text).toBeUndefined();
    // B's own view of the person is intact (B's admin still sees their two B assignments).
    const bAdmin = await server.actor('admin', { tenantId: b.ids.tenant[0]!, userId: b.ids.user[0]! });
    const fromB = await ok(bAdmin.request(UserTrainingAssignmentsDocument, { userId: dualUserId }));
    expect(fromB.userTrainingAssignments.totalCount).toBe(2);
    await expectTenantBUnchanged();
  });
});

// ---------------------------------------------------------------- the property

/** A reference to an id, resolved when the step runs (A's pools grow as A creates things). */
class IdRef {
  constructor(
    readonly from: 'A' | 'A-recent' | 'B' | 'random',
    readonly kind: IdKind,
    readonly pick: number,
    readonly form: 'plain' | 'upper' | 'cursor',
    readonly uuid = '',
  ) {}
  resolve(): string {
    const pool = this.from === 'B' ? b.ids[this.kind] : a.ids[this.kind];
    // A-recent: one of the last three A learned, so "assign, start, complete" chains happen.
    const index =
      this.from === 'A-recent' ? pool.length - 1 - (this.pick % Math.min(3, pool.length)) : this.pick % pool.length;
    const id = this.from === 'random' ? this.uuid : (pool[index] ?? randomUUID());
    if (this.form === 'upper') return id.toUpperCase();
    if (this.form === 'cursor') return Buffer.from(`GPC:S:${id}`).toString('base64');
    return id;
  }
  [fc.toStringMethod](): string {
    return this.from === 'random'
      ? `random(${this.uuid})`
      : `${this.from}.${this.kind}[${this.pick}]${this.form === 'plain' ? '' : `.${this.form}`}`;
  }
}

function idArb(
  kind: IdKind | 'entity' | 'any',
  form: fc.Arbitrary<IdRef['form']> = fc.constantFrom('plain', 'plain', 'plain', 'upper'),
) {
  const anyKind = fc.constantFrom(...ID_KINDS);
  const kindArb =
    kind === 'any'
      ? anyKind
      : kind === 'entity'
        ? fc.constantFrom<IdKind>('user', 'zone', 'equipment')
        : fc.constant(kind);
  const ref = (from: 'A' | 'A-recent' | 'B', kinds: fc.Arbitrary<IdKind>) =>
    fc.tuple(kinds, fc.nat(), form).map(([k, pick, f]) => new IdRef(from, k, pick, f));
  return fc.oneof(
    { weight: 4, arbitrary: ref('B', kindArb) },
    { weight: 2, arbitrary: ref('A', kindArb) },
    { weight: 2, arbitrary: ref('A-recent', kindArb) },
    { weight: 1, arbitrary: ref('B', anyKind) },
    { weight: 1, arbitrary: fc.tuple(fc.uuid(), form).map(([uuid, f]) => new IdRef('random', 'user', 0, f, uuid)) },
  );
}

const ID_HINTS: Record<string, IdKind | 'entity'> = {
  courseId: 'course',
  userId: 'user',
  userIds: 'user',
  assignmentId: 'assignment',
  completionId: 'completion',
  entityId: 'entity',
  zoneId: 'zone',
  equipmentId: 'equipment',
  tenantId: 'tenant',
  questionId: 'question',
  attemptId: 'attempt',
  moduleId: 'module',
  contentId: 'content',
};
const ID_HINTS_BY_FIELD: Record<string, IdKind> = {
  trainingCourse: 'course',
  updateTrainingCourse: 'course',
  upsertProfiles: 'user',
  recordShiftAssignments: 'shift',
  markNotificationsRead: 'notification',
  question: 'question',
  updateQuestion: 'question',
  quizAttempt: 'attempt',
  updateCourseModule: 'module',
  removeCourseModule: 'module',
};

const shortText = fc.oneof(
  fc.constantFrom('Alpha drill', 'Ladders', '  ', ''),
  fc.string({ maxLength: 12 }).map((s) => `Alpha ${s}`),
);

/** An arbitrary for a GraphQL input type, steered by the argument's name toward meaningful values. */
function inputArb(type: GraphQLInputType, name: string, field: string): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueArb(type.ofType, name, field);
  return fc.oneof({ weight: 11, arbitrary: valueArb(type, name, field) }, { weight: 1, arbitrary: fc.constant(null) });
}

function valueArb(type: GraphQLInputType, name: string, field: string): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueArb(type.ofType, name, field);
  if (isListType(type)) return fc.array(inputArb(type.ofType, name, field), { maxLength: 3 });
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    return fc.record(Object.fromEntries(fields.map((f) => [f.name, inputArb(f.type, f.name, field)])), {
      requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
    });
  }
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name));
  switch (type.name) {
    case 'ID':
      return idArb(ID_HINTS[name] ?? ID_HINTS_BY_FIELD[field] ?? 'any');
    case 'String':
      if (name === 'after' || name === 'before')
        return fc.oneof(
          { weight: 5, arbitrary: idArb('any', fc.constant('cursor')) },
          { weight: 1, arbitrary: fc.constant('bm90IGEgY3Vyc29y') },
        );
      if (name === 'search')
        return fc.oneof(
          fc.constantFrom(...b.titles, ...b.titles.map((t) => t.slice(0, 10)), 'Bravo', 'Alpha', '%', '_'),
          fc.string({ maxLength: 8 }),
        );
      if (name === 'contentUrl')
        return fc.constantFrom('https://alpha.example/a', 'https://alpha.example/b', 'not a url');
      // revokeCertificate by code: mostly B's codes. (Not verifyCertificate: a code is the public
      // capability to read its certificate, whoever holds it.)
      if (name === 'code' && field === 'revokeCertificate')
        return fc.oneof({ weight: 3, arbitrary: idArb('certificate') }, { weight: 1, arbitrary: shortText });
      return shortText;
    case 'Int':
      if (name === 'first' || name === 'last') return fc.integer({ min: -1, max: MAX_TEST_PAGE });
      return fc.integer({ min: -2, max: 200 });
    case 'Float':
      return fc.integer({ min: -100, max: 10_100 }).map((n) => n / 100);
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return fc.integer({ min: -3, max: 60 }).map(dayFromToday);
    case 'DateTime':
      return fc.integer({ min: -72, max: 72 }).map((h) => new Date(Date.now() + h * 3_600_000).toISOString());
    default:
      return fc.string({ maxLength: 8 });
  }
}

/**
 * A selection of every field of `type` down to `depth` levels (fields with
 * required arguments are skipped; connection edges contribute their cursor),
 * with __typename on every object so A's pools can learn the ids A sees.
 */
function selectionOf(type: GraphQLOutputType, depth: number, omit: string[] = [], alias = ''): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (omit.includes(field.name) || field.args.some((arg) => isNonNullType(arg.type))) continue;
    const target = getNamedType(field.type);
    const name = alias ? `${alias}${field.name}: ${field.name}` : field.name;
    if (isLeafType(target)) parts.push(name);
    else if (field.name === 'edges') parts.push(`${alias ? `${alias}edges: ` : ''}edges { cursor }`);
    else if (depth > 0) parts.push(`${name} ${selectionOf(field.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

const SELECTION_DEPTH = 3;
/** The largest page the generated arguments ask for. */
const MAX_TEST_PAGE = 25;
const ROOT_EXCLUDED = new Set(['_entities', '_service']);

interface Operation {
  name: string;
  query: string;
  args: fc.Arbitrary<Record<string, unknown>>;
}

/**
 * The deepest selection (at most SELECTION_DEPTH) whose cost, at the largest page the
 * arguments below ask for, is within the query limit: deeper ones would only bounce off it.
 */
function affordableQuery(build: (depth: number) => string, pageVariables: Record<string, unknown>): string {
  for (let depth = SELECTION_DEPTH; depth > 0; depth--) {
    const query = build(depth);
    const operation = parse(query).definitions[0] as OperationDefinitionNode;
    if (estimateCost(schema, operation, {}, pageVariables) <= DEFAULT_QUERY_LIMITS.maxCost) return query;
  }
  return build(0);
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): Operation {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const largestPages = Object.fromEntries(
    field.args.filter((arg) => arg.name === 'first' || arg.name === 'last').map((arg) => [arg.name, MAX_TEST_PAGE]),
  );
  const query = affordableQuery(
    (depth) =>
      `${kind}${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''} ` +
      `${selectionOf(field.type, depth)} }`,
    largestPages,
  );
  const argArbs = Object.fromEntries(field.args.map((arg) => [arg.name, inputArb(arg.type, arg.name, field.name)]));
  const record = fc.record(argArbs, {
    requiredKeys: field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
  });
  return {
    name: `${kind}.${field.name}`,
    query,
    // Backward paging is kept rare: `before`/`last` next to `after`/`first` is refused
    // before any data is read, which would waste most list queries.
    args: fc.tuple(record, fc.nat(4)).map(([args, backward]) => {
      if (backward === 0) return args;
      const { before: _before, last: _last, ...forward } = args;
      return forward;
    }),
  };
}

function allOperations(): Operation[] {
  const operations: Operation[] = [];
  for (const [kind, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (!ROOT_EXCLUDED.has(field.name)) operations.push(operationFor(kind, field));
    }
  }
  // Federation: the router resolves entities by id, one operation per entity type (one
  // selection for four types would need an alias per field: Course.createdAt is non-null,
  // Assignment.createdAt is not, and the alias limit would refuse it). User is owned elsewhere
  // and echoes the id it is given, so its top-level id is left out; its training is what matters.
  const MAX_REPRESENTATIONS = 4;
  const typenames = { Course: 'course', Assignment: 'assignment', Completion: 'completion', User: 'user' } as const;
  for (const [typename, pool] of Object.entries(typenames)) {
    const omit = typename === 'User' ? ['id'] : [];
    operations.push({
      name: `query._entities(${typename})`,
      query: affordableQuery(
        (depth) =>
          `query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ` +
          `... on ${typename} ${selectionOf(schema.getType(typename) as GraphQLOutputType, depth - 1, omit)} } }`,
        {
          representations: Array.from({ length: MAX_REPRESENTATIONS }, () => ({
            __typename: typename,
            id: randomUUID(),
          })),
        },
      ),
      args: fc.record({
        representations: fc.array(
          idArb(pool).map((id) => ({ __typename: typename, id })),
          { minLength: 1, maxLength: MAX_REPRESENTATIONS },
        ),
      }),
    });
  }
  return operations;
}

function resolveIds(value: unknown): unknown {
  if (value instanceof IdRef) return value.resolve();
  if (Array.isArray(value)) return value.map(resolveIds);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveIds(inner)]));
  return value;
}

/**
 * Profiles are keyed by (tenant, id): one person may belong to both tenants. Once A
 * has written a profile with some id (even one B also uses), that id is A's user id
 * too and may appear in A's answers; everything of B's about that user stays secret.
 */
function share(variables: Record<string, unknown>): void {
  for (const profile of (variables.profiles as { id?: unknown }[] | undefined) ?? []) {
    if (typeof profile.id !== 'string') continue;
    const id = profile.id.toLowerCase();
    b.secrets = b.secrets.filter((secret) => secret !== id);
    if (!a.ids.user.includes(id)) a.ids.user.push(id);
  }
}

const POOL_BY_TYPENAME: Record<string, IdKind> = {
  Course: 'course',
  Assignment: 'assignment',
  Completion: 'completion',
  Notification: 'notification',
  Question: 'question',
  QuizAttempt: 'attempt',
  CourseModule: 'module',
};

/** Adds the ids A was shown (A's own: any of B's would have failed the step already) to A's pools. */
function learn(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(learn);
  if (!value || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  const kind = POOL_BY_TYPENAME[record.__typename as string];
  if (kind && typeof record.id === 'string' && !a.ids[kind].includes(record.id)) a.ids[kind].push(record.id);
  Object.values(record).forEach(learn);
}

const CLIENT_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'GRAPHQL_VALIDATION_FAILED',
  // A course completed by its evidence refuses a reported result.
  'EVIDENCE_REQUIRED',
]);

describe('tenant A against tenant B: property', () => {
  it("the oracles would see a leak: B's ids in any case or inside a cursor, and any change to B's rows", async () => {
    const [course, assignment] = [b.ids.course[0]!, b.ids.assignment[0]!];
    expect(leakIn(JSON.stringify({ id: course.toUpperCase() }))).toBe(course);
    const cursor = Buffer.from(`GPC:S:${assignment}`).toString('base64');
    expect(leakIn(JSON.stringify({ pageInfo: { endCursor: cursor } }))).toBe(assignment);
    expect(leakIn(JSON.stringify({ title: b.titles[0] }))).toBe(b.titles[0]!.toLowerCase());
    expect(leakIn(JSON.stringify({ id: a.ids.course[0], title: 'Alpha Ladder Basics' }))).toBeUndefined();
    // B has rows in every tenant table, so the checksums would see an update or delete of any of them.
    const empty = TENANT_TABLES.filter((table) => b.baseline[table]!.startsWith('0:'));
    expect(empty, 'tenant tables where B has no row').toEqual([]);
    // A change to one B row, seen by the checksum (with the counter it moves), then rolled back.
    const changed = await server.db.withConnection(async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(`UPDATE training_completions SET score = score + 1 WHERE id = $1`, [b.ids.completion[0]]);
        const row = await fingerprints(c, TENANT_TABLES, b.ids.tenant[0]);
        return TENANT_TABLES.filter((table) => row[table] !== b.baseline[table]);
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(changed).toEqual(['training_completions', 'training_completion_counts', 'audit_events']);
    // And a change in each table alone: marking B's notification read, revoking B's certificate, ...
    const seen = await server.db.withConnection(async (c) => {
      await c.query('BEGIN');
      try {
        const found: string[] = [];
        for (const table of TENANT_TABLES) {
          await c.query('SAVEPOINT one_table');
          // The audit trail refuses deletes (append-only): an appended row is the change it can undergo.
          if (table === 'audit_events') {
            await c.query(
              `INSERT INTO audit_events (tenant_id, action, entity_type, entity_id, changes)
               SELECT tenant_id, action, entity_type, entity_id, changes FROM audit_events WHERE tenant_id = $1 LIMIT 1`,
              [b.ids.tenant[0]],
            );
          } else {
            // One of B's rows, deleted by its primary key (a distributed table has no ctid to delete by).
            const key = await c.query<{ name: string; type: string }>(
              `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_index i
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
               WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attnum`,
              [`"${table}"`],
            );
            const columns = key.map((column) => `"${column.name}"`);
            const [sample] = await c.query<Record<string, string>>(
              `SELECT ${columns.map((column) => `${column}::text`).join(', ')} FROM "${table}" WHERE tenant_id = $1 LIMIT 1`,
              [b.ids.tenant[0]],
            );
            await c.query(
              `DELETE FROM "${table}" WHERE tenant_id = $1 AND ${columns.map((column, i) => `${column} = $${i + 2}::${key[i]!.type}`).join(' AND ')}`,
              [b.ids.tenant[0], ...key.map((column) => sample![column.name])],
            );
          }
          const row = await fingerprints(c, [table], b.ids.tenant[0]);
          if (row[table] !== b.baseline[table]) found.push(table);
          await c.query('ROLLBACK TO SAVEPOINT one_table');
        }
        return found;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(seen).toEqual([...TENANT_TABLES]);
    await expectTenantBUnchanged();
  });

  it('the operations cover the whole schema, including every operation clients call', () => {
    const names = allOperations().map((operation) => operation.name);
    expect(names).toEqual(
      expect.arrayContaining(
        [
          'query.trainingCourses',
          'query.trainingCourse',
          'query.userTrainingAssignments',
          'query.myTrainingAssignments',
          'query.trainingAssignments',
          'query.trainingCompletions',
          'query.trainingAnalytics',
          'query.me',
          'query._entities(Course)',
          'query._entities(Assignment)',
          'query._entities(Completion)',
          'query._entities(User)',
          'mutation.createTrainingCourse',
          'mutation.updateTrainingCourse',
          'mutation.assignTrainingCourse',
          'mutation.startTrainingAssignment',
          'mutation.completeTrainingAssignment',
          'mutation.cancelTrainingAssignment',
          'mutation.sweepOverdueTrainingAssignments',
        ].concat(
          ['autoAssignTraining', 'recordPredictiveScores']
            .filter((name) => schema.getMutationType()?.getFields()[name])
            .map((name) => `mutation.${name}`),
        ),
      ),
    );
  });

  it(`no sequence of A's operations reads or changes anything of B's (seed ${SEED}, ${RUNS} runs)`, async () => {
    const operations = allOperations();
    // Managers weighted up: most mutations are theirs.
    const actorNames: ActorName[] = [
      'admin',
      'admin',
      'admin',
      'officer',
      'officer',
      'worker',
      'worker',
      'service',
      'dual',
    ];
    // The life cycle is weighted up so that A's own data moves (assign, start, complete).
    const lifecycle = /^mutation\.(assign|start|complete)TrainingAssignment|^mutation\.assignTrainingCourse/;
    const step = fc.oneof(
      ...operations.map((operation) => ({
        weight: lifecycle.test(operation.name) ? 3 : 1,
        arbitrary: fc.record({
          actor: fc.constantFrom(...actorNames),
          operation: fc.constant(operation.name),
          args: operation.args,
        }),
      })),
    );
    const byName = new Map(operations.map((operation) => [operation.name, operation]));
    const aBefore = await checksums(a.ids.tenant[0]!);
    const codes = new Map<string, number>();
    let steps = 0;

    const property = fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: MAX_STEPS }), async (sequence) => {
      for (const [index, { actor, operation, args }] of sequence.entries()) {
        const { query } = byName.get(operation)!;
        const variables = resolveIds(args) as Record<string, unknown>;
        const response = await raw(a.actors[actor], query, variables);
        steps++;
        const where =
          `step ${index + 1} of ${sequence.length}: ${actor} ${operation}\n` +
          `variables: ${JSON.stringify(variables)}\nresponse (HTTP ${response.status}): ${response.text.slice(0, 2000)}`;
        const leaked = leakIn(response.text);
        if (leaked) throw new Error(`tenant B's "${leaked}" reached tenant A\n${where}`);
        if (!response.body.errors) codes.set(`${operation} OK`, (codes.get(`${operation} OK`) ?? 0) + 1);
        for (const error of response.body.errors ?? []) {
          const code = String(error.extensions?.code);
          codes.set(`${operation} ${code}`, (codes.get(`${operation} ${code}`) ?? 0) + 1);
          if (!CLIENT_ERROR_CODES.has(code)) throw new Error(`unexpected error code ${code}\n${where}`);
        }
        const now = await checksums(b.ids.tenant[0]!);
        const changed = TENANT_TABLES.filter((table) => now[table] !== b.baseline[table]);
        if (changed.length) throw new Error(`tenant B's ${changed.join(', ')} changed\n${where}`);
        learn(response.body.data);
        if (operation === 'mutation.upsertProfiles' && !response.body.errors) share(variables);
      }
    });

    const details = await fc.check(property, {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: process.env.TENANCY_SHRINK !== '1',
    });
    if (process.env.TENANCY_VERBOSE) console.warn(Object.fromEntries([...codes].sort()));
    if (details.failed) {
      throw new Error(
        `${fc.defaultReportMessage(details)}\n\n${String(details.errorInstance)}\n\nReplay: TENANCY_SEED=${details.seed} ` +
          `(path ${details.counterexamplePath}); TENANCY_SHRINK=1 to shrink the sequence.`,
      );
    }
    // The run must have exercised the API, not just bounced off validation: many kinds of
    // query and mutation succeeded, and A's own assignments changed.
    expect(steps).toBeGreaterThan(RUNS);
    // The lists of courses and assignments went through the one-statement reads (and the oracles above held).
    const readsBefore = compiledPageReads;
    await raw(a.actors.admin, '{ trainingCourses { totalCount nodes { id } } }', {});
    expect(compiledPageReads, 'a plain course list is a compiled read').toBeGreaterThan(readsBefore);
    expect(readsBefore, 'compiled page reads during the property').toBeGreaterThan(RUNS / 4);
    const succeeded = [...codes.keys()].filter((key) => key.endsWith(' OK'));
    expect(succeeded.filter((key) => key.startsWith('query.')).length, succeeded.join(', ')).toBeGreaterThanOrEqual(8);
    expect(succeeded.filter((key) => key.startsWith('mutation.')).length, succeeded.join(', ')).toBeGreaterThanOrEqual(
      6,
    );
    const aAfter = await checksums(a.ids.tenant[0]!);
    expect(aAfter.training_assignments, "A's assignments never changed").not.toBe(aBefore.training_assignments);

    // At the end, table by table: B's rows are exactly as B left them, and no
    // row anywhere belongs to a tenant other than A and B.
    expect(await checksums(b.ids.tenant[0]!)).toEqual(b.baseline);
    for (const table of TENANT_TABLES) {
      const tenants = await server.owner.query<{ tenant_id: string }>(
        `SELECT DISTINCT tenant_id::text FROM "${table}"`,
      );
      for (const { tenant_id } of tenants) expect([a.ids.tenant[0], b.ids.tenant[0]]).toContain(tenant_id);
    }
  }, 240_000);
});
