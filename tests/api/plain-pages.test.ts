import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useCompiledReadsServer, dataArb, seed, send } from './compiled-reads-fixtures.js';
import { courseCaseArb, courseExtrasArb, courseOperationOf, pick, setCourseExtras } from './plain-pages-fixtures.js';

/**
 * Plain pages (src/core/plain-pages): an operation that is one assignment or course page of plain fields is
 * answered from PostgreSQL's JSON without graphql-js. On random data and random operations — aliases, `__typename`,
 * variables, page sizes, nested course, latest completion and people's ids, fragment spreads (nested too), inline
 * fragments with and without their type, a key asked twice; course filters and searches — the response (status
 * and text, byte for byte) equals graphql-js's (plain pages off, compiled reads on in both; for courses also with
 * compiled reads off, Prisma's queries). Operations the fast path must leave to graphql-js — a directive (on a field
 * or a fragment spread), `edges`/`pageInfo`, fields it does not map, refused arguments, another worker's page, a
 * page after a cursor, no caller, a variable of the wrong type — get graphql-js's answer, and the statement log
 * shows which path ran.
 */

useCompiledReadsServer();

const SEED = Number(process.env.PLAIN_PAGES_SEED ?? 20261207);
const RUNS = Number(process.env.PLAIN_PAGES_RUNS ?? 25);
const QUERIES_PER_RUN = 8;

type Sent = Awaited<ReturnType<typeof send>>;

/**
 * Sends the operation through graphql-js (plain pages off) and with plain pages on: the same status and text, and
 * graphql-js's the same as `expected` (another path's) when given. An operation of plain shape (and size) that
 * graphql-js answers without errors must take the fast path; any other must not. Whether the fast path ran.
 */
async function answersAsGraphqlJs(
  actor: Parameters<typeof send>[0],
  query: string,
  variables: Record<string, unknown> | undefined,
  plainShape: boolean,
  who: string,
  expected?: Sent,
): Promise<boolean> {
  const viaGraphqlJs = await send(actor, query, variables, true, false);
  const plain = await send(actor, query, variables, true, true);
  const where = `${who}: ${query}\n${JSON.stringify(variables)}`;
  expect(viaGraphqlJs.ranPlain, where).toBe(false);
  if (expected) {
    expect(viaGraphqlJs.status, where).toBe(expected.status);
    expect(viaGraphqlJs.text, where).toBe(expected.text);
  }
  expect(plain.status, where).toBe(viaGraphqlJs.status);
  expect(plain.text, where).toBe(viaGraphqlJs.text);
  if (!plainShape) expect(plain.ranPlain, where).toBe(false);
  if (plainShape && !viaGraphqlJs.text.includes('"errors"')) expect(plain.ranPlain, where).toBe(true);
  return plain.ranPlain;
}

const COURSE = [
  'id',
  'title',
  'description',
  'category',
  'riskThreshold',
  'entityType',
  'required',
  'createdAt',
  'createdBy { id }',
];
const COMPLETION = [
  'id',
  'score',
  'passed',
  'completedAt',
  'expiresAt',
  'expired',
  'completionTimeMinutes',
  'source',
  'user { id }',
];
const ASSIGNMENT = [
  'id',
  'status',
  'dueDate',
  'assignmentType',
  'createdAt',
  'startedAt',
  'cancelReason',
  'user { id }',
  'assignedBy { id }',
  'trigger { score person { id } }',
];

/**
 * How the nodes' selection is written, each the same fields to graphql-js: as it is, in a fragment spread (the
 * course's in one of its own), in an inline fragment on Assignment or without a type, or with keys asked again
 * (`id`, and `course { id }` merged into the course asked before).
 */
const SPELLINGS = ['flat', 'fragment', 'inline', 'bare', 'again'] as const;

/** What the fast path leaves to graphql-js, put somewhere in the operation; `none` leaves the operation plain. */
const fallbackArb = fc.oneof(
  { arbitrary: fc.constant('none'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      'spreadDirective',
      'include',
      'skip',
      'pageInfo',
      'edges',
      'evidence',
      'completions',
      'typenameRoot',
    ),
    weight: 9,
  },
);

const caseArb = (workers: string[]) =>
  fc.record({
    field: fc.constantFrom('trainingAssignments', 'userTrainingAssignments', 'myTrainingAssignments'),
    who: fc.constantFrom<'officer' | 'worker'>('officer', 'worker', 'worker'),
    first: fc.oneof(fc.constantFrom(null, 1, 3, 10), fc.constantFrom<number | string>(0, -1, 501, 'x')),
    status: fc.constantFrom(null, 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'OVERDUE', 'CANCELLED'),
    // Another user's page (refused to a worker), a malformed id (refused to all), or the caller's own.
    userId: fc.oneof(fc.constant('own'), fc.constantFrom(...workers, 'not-a-uuid')),
    nodes: fc.tuple(
      pick(ASSIGNMENT),
      fc.option(pick(COURSE)),
      fc.option(fc.tuple(pick(COMPLETION), fc.option(pick(COURSE)))),
    ),
    totalCount: fc.constantFrom('', 'totalCount', 'n: totalCount'),
    typename: fc.boolean(),
    spelling: fc.constantFrom(...SPELLINGS),
    fallback: fallbackArb,
  });
type Case = typeof caseArb extends (workers: string[]) => fc.Arbitrary<infer T> ? T : never;

/** The operation, its variables and whether nothing in it is left to graphql-js by its shape. */
function operationOf(testCase: Case, ownId: string) {
  const [fields, course, completion] = testCase.nodes;
  const { fallback, spelling } = testCase;
  const fragments: string[] = [];
  let courseSelection = course ? `course { ${course} }` : '';
  if (course && spelling === 'fragment') {
    courseSelection = 'course { ...CourseParts }';
    fragments.push(`fragment CourseParts on Course { ${course} }`);
  }
  let nodes = [
    fields,
    courseSelection,
    completion ? `latest: completion { ${completion[0]} ${completion[1] ? `course { ${completion[1]} }` : ''} }` : '',
    fallback === 'evidence' ? 'evidence { kind }' : '',
    fallback === 'completions' ? 'completions { id }' : '',
    fallback === 'include' ? 'dueDate2: dueDate @include(if: $yes)' : '',
    fallback === 'skip' ? 'dueDate3: dueDate @skip(if: $yes)' : '',
  ].join(' ');
  if (spelling === 'inline') nodes = `... on Assignment { ${nodes} }`;
  if (spelling === 'bare') nodes = `id ... { ${nodes} }`;
  if (spelling === 'again') nodes = `${nodes} id${course ? ' course { id }' : ''}`;
  if (spelling === 'fragment' || fallback === 'spreadDirective') {
    fragments.push(`fragment Parts on Assignment { ${nodes} }`);
    nodes = fallback === 'spreadDirective' ? 'id ...Parts @include(if: $yes)' : '__typename ...Parts';
  }
  const connection = [
    testCase.totalCount,
    testCase.typename ? '__typename' : '',
    `nodes { ${nodes} }`,
    fallback === 'pageInfo' ? 'pageInfo { hasNextPage }' : '',
    fallback === 'edges' ? 'edges { cursor }' : '',
  ].join(' ');
  const args = ['first: $first'];
  const directive = fallback === 'include' || fallback === 'skip' || fallback === 'spreadDirective';
  const definitions = ['$first: Int', ...(directive ? ['$yes: Boolean!'] : [])];
  const variables: Record<string, unknown> = { first: testCase.first, ...(directive ? { yes: true } : {}) };
  if (testCase.field === 'trainingAssignments') {
    args.push('filter: $filter');
    definitions.push('$filter: AssignmentFilter');
    variables.filter = { status: testCase.status, userId: testCase.userId === 'own' ? ownId : testCase.userId };
  } else {
    args.push('status: $status');
    definitions.push('$status: AssignmentStatus');
    variables.status = testCase.status;
    if (testCase.field === 'userTrainingAssignments') {
      args.push('userId: $userId');
      definitions.push('$userId: ID!');
      variables.userId = testCase.userId === 'own' ? ownId : testCase.userId;
    }
  }
  const root = `${testCase.field}(${args.join(', ')}) { ${connection} }`;
  const query = `query Page(${definitions.join(', ')}) { ${fallback === 'typenameRoot' ? '__typename ' : ''}${root} } ${fragments.join(' ')}`;
  // A page size of none, 0, below 0 or over the largest page is graphql-js's (plugin-prisma's rules for it).
  const plainSize =
    testCase.first === null || (typeof testCase.first === 'number' && testCase.first >= 1 && testCase.first <= 500);
  return { query, variables, plainShape: fallback === 'none' && plainSize };
}

describe('plain pages', () => {
  it('answer byte for byte what graphql-js answers, on random data, operations, variables and fallbacks', async () => {
    let plainRuns = 0;
    let fallbackRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        dataArb.chain((data) => fc.tuple(fc.constant(data), fc.integer())),
        async ([data, salt]) => {
          const { officer, workers } = await seed(data);
          const cases = fc.sample(caseArb(workers.map((worker) => worker.userId)), {
            numRuns: QUERIES_PER_RUN,
            seed: salt,
          });
          for (const testCase of cases) {
            const actor = testCase.who === 'officer' ? officer : workers[0]!;
            const { query, variables, plainShape } = operationOf(testCase, actor.userId);
            if (await answersAsGraphqlJs(actor, query, variables, plainShape, testCase.who)) plainRuns++;
            else fallbackRuns++;
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(plainRuns).toBeGreaterThan((RUNS * QUERIES_PER_RUN) / 8);
    expect(fallbackRuns).toBeGreaterThan((RUNS * QUERIES_PER_RUN) / 4);
  }, 300_000);

  it('read a page with its courses, latest completions and count in one statement (no N+1)', async () => {
    const { workers } = await seed({
      courses: [
        {
          title: 'A',
          description: null,
          category: 'other',
          riskThreshold: '50.5',
          entityType: null,
          autoAssignEnabled: false,
          required: true,
          createdAt: null,
        },
      ],
      assignments: Array.from({ length: 12 }, (_, i) => ({
        course: 0,
        worker: 0,
        status: 'completed',
        dueDay: i % 2 ? null : -1,
        createdAt: null,
        completions: [{ score: '75.25', passed: i % 3 === 0, completedAt: null, expiresDay: 1 }],
      })),
    });
    const query = `{ myTrainingAssignments(first: 10) { totalCount nodes { id status course { id title } completion { score expired course { title } } } } }`;
    const plain = await send(workers[0]!, query, undefined, true, true);
    const viaGraphqlJs = await send(workers[0]!, query, undefined, true, false);
    expect(plain.text).toBe(viaGraphqlJs.text);
    expect(JSON.parse(plain.text).data.myTrainingAssignments.nodes).toHaveLength(10);
    const reads = plain.statements.filter((sql) => /training_(assignments|courses|completions)/.test(sql));
    expect(reads).toHaveLength(1);
    expect(plain.ranPlain).toBe(true);
  });

  it('answer trainingCourses byte for byte as graphql-js does: filters, searches, pages after a cursor, refusals', async () => {
    let plainRuns = 0;
    let fallbackRuns = 0;
    await fc.assert(
      fc.asyncProperty(dataArb, courseExtrasArb, fc.integer(), async (data, extras, salt) => {
        const { officer, workers, courseIds } = await seed(data);
        await setCourseExtras(officer.tenantId, courseIds, extras);
        // The tenant's courses' cursors in their order, as graphql-js hands them out.
        const edges = await send(officer, '{ trainingCourses(first: 500) { edges { cursor } } }', undefined, true);
        const cursors = (
          JSON.parse(edges.text) as { data: { trainingCourses: { edges: { cursor: string }[] } } }
        ).data.trainingCourses.edges.map((edge) => edge.cursor);
        for (const testCase of fc.sample(courseCaseArb, { numRuns: QUERIES_PER_RUN, seed: salt })) {
          const actor = testCase.who === 'officer' ? officer : testCase.who === 'worker' ? workers[0]! : null;
          const { query, variables, plainShape } = courseOperationOf(testCase, cursors);
          const viaPrisma = await send(actor, query, variables, false, false);
          if (await answersAsGraphqlJs(actor, query, variables, plainShape, testCase.who, viaPrisma)) plainRuns++;
          else fallbackRuns++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(plainRuns).toBeGreaterThan((RUNS * QUERIES_PER_RUN) / 8);
    expect(fallbackRuns).toBeGreaterThan((RUNS * QUERIES_PER_RUN) / 4);
  }, 300_000);

  it("search courses as ILIKE on the literal text in one statement, another tenant's courses unseen", async () => {
    const titles = ['100% safe', '100 safe', 'under_score', 'underXscore', 'back\\slash', 'backslash', `it's "quoted"`];
    const course = (title: string, description: string | null = null) => ({
      title,
      description,
      category: 'other',
      riskThreshold: null,
      entityType: null,
      autoAssignEnabled: false,
      required: false,
      createdAt: null,
    });
    const courses = [...titles.map((title) => course(title)), course('Hoist', 'FORKLIFT checks'), course('ForkLift')];
    const { officer } = await seed({ courses, assignments: [] });
    await seed({ courses, assignments: [] }); // another tenant, the same courses
    const cases: [string, string[]][] = [
      ['%', ['100% safe']],
      ['_', ['under_score']],
      ['\\', ['back\\slash']],
      ["'", [`it's "quoted"`]],
      ['"QUOTED"', [`it's "quoted"`]],
      ['forklift', ['Hoist', 'ForkLift']],
      ['  100  ', ['100% safe', '100 safe']],
    ];
    const query = `query($search: String) {
      trainingCourses(first: 50, filter: { search: $search }) { totalCount nodes { title } }
    }`;
    for (const [search, expected] of cases) {
      const plain = await send(officer, query, { search }, true, true);
      const viaGraphqlJs = await send(officer, query, { search }, true, false);
      expect(plain.text, search).toBe(viaGraphqlJs.text);
      expect(plain.ranPlain, search).toBe(true);
      expect(
        plain.statements.filter((sql) => sql.includes('training_courses')),
        search,
      ).toHaveLength(1);
      const page = (
        JSON.parse(plain.text) as { data: { trainingCourses: { totalCount: number; nodes: { title: string }[] } } }
      ).data.trainingCourses;
      expect(page.nodes.map((node) => node.title).sort(), search).toEqual([...expected].sort());
      expect(page.totalCount, search).toBe(expected.length);
    }
    // Refused as graphql-js refuses it (the field's own check): a search over 200 characters, no caller.
    for (const [actor, code] of [
      [officer, 'BAD_USER_INPUT'],
      [null, 'UNAUTHENTICATED'],
    ] as const) {
      const variables = { search: 'x'.repeat(201) };
      const plain = await send(actor, query, variables, true, true);
      expect(plain.text).toBe((await send(actor, query, variables, true, false)).text);
      expect(plain.ranPlain).toBe(false);
      expect(
        (JSON.parse(plain.text) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe(code);
    }
  });
});
