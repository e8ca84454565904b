import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * For compiled-reads.test.ts: its server with the statement log, random data (courses, assignments and
 * completions with nulls, ties in the order, decimals, microseconds, LIKE wildcards) and random cases (who
 * asks, a selection, filters and a page), and `send`, which asks with compiled reads on or off.
 */

let server: TestServer;
const statements: string[] = [];
const COMPILED = 'json_agg(json_build_object(';
const PLAIN = ')::text AS nodes';

/** Starts the file's server, logging every statement into `statements`. */
export function useCompiledReadsServer(): void {
  beforeAll(async () => {
    server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  });
  afterAll(() => server.stop());
}

const CATEGORIES = ['safety_fundamentals', 'hazard_awareness', 'compliance', 'other'];
const STATUSES = ['assigned', 'in_progress', 'completed', 'overdue', 'cancelled'];
const ACTIVE = new Set(['assigned', 'in_progress', 'overdue']);
// A few instants (with microseconds), so the order's ties and nulls are common; and days around today.
export const INSTANTS = [
  null,
  '2026-01-01 10:00:00.123456+00',
  '2026-01-01 10:00:00.123999+00',
  '2025-06-30 23:59:59.9995+00',
];
const DAYS = [null, -400, -1, 0, 1, 30];
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('100%_safe', 'back\\slash', 'Ünïcödé ✓', 'it\'s "quoted"', 'Forklift'),
);
const decimal = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 10_000 }).map((cents) => (cents / 100).toFixed(2)),
  fc.constantFrom('33.333333333333', '0', '100', '7.10'),
);
const instant = fc.constantFrom(...INSTANTS);
const day = fc.constantFrom(...DAYS);

const courseArb = fc.record({
  title: text,
  description: fc.option(text),
  category: fc.constantFrom(...CATEGORIES),
  riskThreshold: decimal,
  entityType: fc.constantFrom(null, 'zone', 'worker', 'general'),
  autoAssignEnabled: fc.boolean(),
  required: fc.boolean(),
  createdAt: instant,
});
const assignmentArb = fc.record({
  course: fc.nat(),
  worker: fc.nat(1),
  status: fc.constantFrom(...STATUSES),
  dueDay: day,
  createdAt: instant,
  completions: fc.array(fc.record({ score: decimal, passed: fc.boolean(), completedAt: instant, expiresDay: day }), {
    maxLength: 3,
  }),
});
export const dataArb = fc.record({
  courses: fc.array(courseArb, { minLength: 1, maxLength: 8 }),
  assignments: fc.array(assignmentArb, { maxLength: 14 }),
});

// The fields of each type the compiler maps, and the relations it follows.
const COURSE_FIELDS = [
  'id',
  'title',
  'description',
  'category',
  'riskThreshold',
  'entityType',
  'autoAssignEnabled',
  'required',
  'createdBy { id }',
  'createdAt',
  'updatedAt',
  'durationMinutes',
  'recertifyDaysBefore',
];
const COMPLETION_FIELDS = [
  'id',
  'score',
  'passed',
  'completedAt',
  'expiresAt',
  'expired',
  'user { id }',
  'completionTimeMinutes',
  'createdAt',
];
const pick = (fields: string[]) => fc.subarray(fields, { minLength: 1 }).map((chosen) => chosen.join(' '));
const courseSelection = pick(COURSE_FIELDS);
const completionSelection = fc
  .tuple(pick(COMPLETION_FIELDS), fc.option(courseSelection))
  .map(([fields, course]) => (course ? `${fields} course { ${course} }` : fields));
const assignmentSelection = fc
  .tuple(
    pick(['id', 'status', 'dueDate', 'assignmentType', 'createdAt', 'startedAt', 'user { id }', 'trigger { score }']),
    fc.option(courseSelection),
    fc.option(completionSelection),
    // An unpaged list under a page: kept flat, or the query costs more than the limit allows.
    fc.option(pick(COMPLETION_FIELDS)),
  )
  .map(([fields, course, completion, completions]) =>
    [
      fields,
      course ? `course { ${course} }` : '',
      completion ? `latest: completion { ${completion} }` : '',
      completions ? `completions { ${completions} }` : '',
    ].join(' '),
  );
const connection = (nodes: string) =>
  fc
    .tuple(fc.boolean(), fc.constantFrom('nodes', 'edges'))
    .map(
      ([total, shape]) =>
        `${total ? 'totalCount ' : ''}${shape === 'nodes' ? `nodes { ${nodes} }` : `edges { cursor node { ${nodes} } }`} pageInfo { hasNextPage }`,
    );
const first = fc.constantFrom('', 'first: 1', 'first: 3', 'first: 50');
// Nested lists multiply the query cost (core/limits.ts): assignment pages stay small enough to pass it.
const smallFirst = fc.constantFrom('first: 1', 'first: 3', 'first: 10');

export type Case = { who: 'officer' | 'worker'; query: string; variables?: Record<string, unknown>; compiles: boolean };

export function caseArb(ids: { courses: string[]; workers: string[] }): fc.Arbitrary<Case> {
  const courses = fc
    .tuple(
      first,
      fc.record(
        {
          category: fc.constantFrom('COMPLIANCE', 'OTHER'),
          required: fc.boolean(),
          autoAssignEnabled: fc.boolean(),
          search: fc.constantFrom('%', '_', 'safe', 'ö', '\\', 'FORK'),
        },
        { requiredKeys: [] },
      ),
      courseSelection.chain((nodes) => connection(nodes)),
    )
    .map(([page, filter, selection]): Case => {
      const args = [page, `filter: $filter`].filter(Boolean).join(', ');
      return {
        who: 'officer',
        query: `query($filter: CourseFilter) { trainingCourses(${args}) { ${selection} } }`,
        variables: { filter },
        compiles: true,
      };
    });
  const status = fc.constantFrom(null, 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'OVERDUE', 'CANCELLED');
  const assignments = fc
    .tuple(
      fc.constantFrom('trainingAssignments', 'userTrainingAssignments', 'myTrainingAssignments'),
      fc.constantFrom<'officer' | 'worker'>('officer', 'worker'),
      smallFirst,
      status,
      fc.option(fc.constantFrom(...ids.courses)),
      fc.constantFrom(...ids.workers),
      assignmentSelection.chain((nodes) => connection(nodes)),
    )
    .map(([field, who, page, state, courseId, userId, selection]): Case => {
      if (field === 'trainingAssignments') {
        const filter = { status: state, courseId, dueBefore: state ? undefined : '2026-06-01' };
        return {
          who,
          query: `query($filter: AssignmentFilter) { trainingAssignments(${[page, 'filter: $filter'].filter(Boolean).join(', ')}) { ${selection} } }`,
          variables: { filter },
          compiles: true,
        };
      }
      if (field === 'userTrainingAssignments') {
        return {
          who,
          query: `query($userId: ID!, $status: AssignmentStatus) { userTrainingAssignments(${[page, 'userId: $userId', 'status: $status'].filter(Boolean).join(', ')}) { ${selection} } }`,
          variables: { userId, status: state },
          compiles: true,
        };
      }
      return {
        who: 'worker',
        query: `query($status: AssignmentStatus) { myTrainingAssignments(${[page, 'status: $status'].filter(Boolean).join(', ')}) { ${selection} } }`,
        variables: { status: state },
        compiles: true,
      };
    });
  return fc.oneof(courses, assignments);
}

/** SQL on the test database as its owner (no RLS). */
export const ownerQuery = (text: string, params?: unknown[]) => server.owner.query(text, params);

export type Data = typeof dataArb extends fc.Arbitrary<infer T> ? T : never;

export async function seed(data: Data) {
  const tenantId = randomUUID();
  const officer = await server.actor('safety_officer', { tenantId });
  const workers = [await server.actor('worker', { tenantId }), await server.actor('worker', { tenantId })];
  // Each caller's profile is recorded on first use.
  for (const actor of [officer, ...workers]) await actor.request('{ me { id } }');
  const dayOf = (offset: number | null) => {
    if (offset === null) return null;
    const date = new Date();
    date.setUTCDate(date.getUTCDate() + offset);
    return date.toISOString().slice(0, 10);
  };
  const courseIds = data.courses.map(() => randomUUID());
  await server.owner.query(
    `INSERT INTO training_courses (id, tenant_id, title, description, category, risk_threshold, entity_type,
       auto_assign_enabled, required, created_by, created_at)
     SELECT c.id, $1::uuid, c.title, c.description, c.category, c.risk_threshold::numeric, c.entity_type,
       c.auto_assign_enabled, c.required, $2::uuid, c.created_at::timestamptz
     FROM json_to_recordset($3::json) AS c(id uuid, title text, description text, category text, risk_threshold text,
       entity_type text, auto_assign_enabled boolean, required boolean, created_at text)`,
    [
      tenantId,
      officer.userId,
      JSON.stringify(
        data.courses.map((course, i) => ({
          id: courseIds[i],
          title: course.title,
          description: course.description,
          category: course.category,
          risk_threshold: course.riskThreshold,
          entity_type: course.entityType,
          auto_assign_enabled: course.autoAssignEnabled,
          required: course.required,
          created_at: course.createdAt,
        })),
      ),
    ],
  );
  // One active assignment per course and user (a database invariant): later ones are made completed.
  const active = new Set<string>();
  const assignments = data.assignments.map((assignment) => {
    const courseId = courseIds[assignment.course % courseIds.length]!;
    const userId = workers[assignment.worker]!.userId;
    let status = assignment.status;
    if (ACTIVE.has(status)) {
      if (active.has(`${courseId}/${userId}`)) status = 'completed';
      else active.add(`${courseId}/${userId}`);
    }
    return { id: randomUUID(), courseId, userId, status, assignment };
  });
  await server.owner.query(
    `INSERT INTO training_assignments (id, tenant_id, course_id, user_id, status, due_date, created_at)
     SELECT a.id, $1::uuid, a.course_id, a.user_id, a.status, a.due_date::date, a.created_at::timestamptz
     FROM json_to_recordset($2::json) AS a(id uuid, course_id uuid, user_id uuid, status text, due_date text, created_at text)`,
    [
      tenantId,
      JSON.stringify(
        assignments.map((a) => ({
          id: a.id,
          course_id: a.courseId,
          user_id: a.userId,
          status: a.status,
          due_date: dayOf(a.assignment.dueDay),
          created_at: a.assignment.createdAt,
        })),
      ),
    ],
  );
  // At most one passed completion per assignment (a database invariant).
  const completions = assignments.flatMap((a) =>
    a.assignment.completions.map((completion, i) => ({
      assignment_id: a.id,
      course_id: a.courseId,
      user_id: a.userId,
      score: completion.score,
      passed: completion.passed && !a.assignment.completions.slice(0, i).some((earlier) => earlier.passed),
      completed_at: completion.completedAt,
      expires_at: dayOf(completion.expiresDay),
    })),
  );
  await server.owner.query(
    `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completed_at, expires_at)
     SELECT $1::uuid, c.assignment_id, c.course_id, c.user_id, c.score::numeric, c.passed, c.completed_at::timestamptz,
       c.expires_at::date
     FROM json_to_recordset($2::json) AS c(assignment_id uuid, course_id uuid, user_id uuid, score text, passed boolean,
       completed_at text, expires_at text)`,
    [tenantId, JSON.stringify(completions)],
  );
  return { officer, workers, courseIds };
}

/** The raw response text, and whether a compiled statement (a plain page's, `ranPlain`) ran for it; `null`: no token. */
export async function send(
  actor: Actor | null,
  query: string,
  variables: Record<string, unknown> | undefined,
  compiled: boolean,
  plainPages = compiled,
) {
  server.app.services.config = { ...server.app.services.config, compiledReads: compiled, plainPages };
  statements.length = 0;
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(actor && { authorization: `Bearer ${actor.token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    ranCompiled: statements.some((sql) => sql.includes(COMPILED)),
    ranPlain: statements.some((sql) => sql.includes(PLAIN)),
    statements: [...statements],
  };
}
