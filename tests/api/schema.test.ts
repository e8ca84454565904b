import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../src/schema-printer.js';
import { schema } from '../../src/schema.js';

/**
 * The committed `schema.graphql` is the subgraph's printed
 * schema, its entities carry their federation keys, and the operations
 * dashboards and integrations rely on exist with their exact argument names.
 */

const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
const printed = printedSchema();

describe('schema.graphql', () => {
  it('is the printed subgraph schema (run `npm run schema` when this fails)', () => {
    if (committed !== printed) {
      expect.fail(
        'schema.graphql is stale: run `npm run schema` and commit the result.\n' + firstDifference(committed, printed),
      );
    }
  });

  it.each(['Course', 'Assignment', 'Completion', 'User'])(
    'declares %s as an entity with @key(fields: "id")',
    (type) => {
      expect(printed).toMatch(new RegExp(`^type ${type}\\s+@key\\(fields: "id"\\)`, 'm'));
    },
  );

  it('links Federation v2 and imports @key', () => {
    expect(printed).toMatch(/^extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    expect(printed).toMatch(/import: \[[^\]]*"@key"/);
  });
});

/**
 * `field(arguments)` of every operation dashboards and integrations call, and what each returns: renaming
 * or dropping one breaks them. Connection fields also take the Relay paging arguments.
 */
const CLIENT_OPERATIONS = {
  Query: {
    trainingCourses: { args: ['filter'], connection: 'CourseConnection' },
    trainingCourse: { args: ['id'], returns: 'Course' },
    userTrainingAssignments: { args: ['userId', 'status'], connection: 'AssignmentConnection' },
    myTrainingAssignments: { args: ['status'], connection: 'AssignmentConnection' },
    trainingAssignments: { args: ['filter'], connection: 'AssignmentConnection' },
    trainingCompletions: { args: ['filter'], connection: 'CompletionConnection' },
    trainingAnalytics: { args: [], returns: 'Analytics!' },
    me: { args: [], returns: 'User!' },
  },
  Mutation: {
    createTrainingCourse: { args: ['input'], returns: 'Course!' },
    updateTrainingCourse: { args: ['id', 'input'], returns: 'Course!' },
    assignTrainingCourse: { args: ['input'], returns: 'Assignment!' },
    startTrainingAssignment: { args: ['assignmentId'], returns: 'Assignment!' },
    completeTrainingAssignment: { args: ['input'], returns: 'Assignment!' },
    recordPracticalEvaluation: { args: ['input'], returns: 'Assignment!' },
    cancelTrainingAssignment: { args: ['assignmentId', 'reason'], returns: 'Assignment!' },
    autoAssignTraining: { args: ['entityType', 'entityId', 'minRiskScore', 'dryRun'], returns: 'AutoAssignResult!' },
    recordPredictiveScores: { args: ['scores'], returns: 'Int!' },
  },
  Subscription: {
    trainingAssignmentCreated: { args: ['userId'], returns: 'Assignment!' },
  },
} satisfies Record<string, Record<string, { args: string[]; returns?: string; connection?: string }>>;

const RELAY_ARGS = ['first', 'after', 'last', 'before'];

const rootType = (name: keyof typeof CLIENT_OPERATIONS) =>
  ({ Query: schema.getQueryType(), Mutation: schema.getMutationType(), Subscription: schema.getSubscriptionType() })[
    name
  ];

describe('the operations clients call', () => {
  const cases = Object.entries(CLIENT_OPERATIONS).flatMap(([root, fields]) =>
    Object.entries(fields).map(
      ([field, expected]) =>
        [
          root as keyof typeof CLIENT_OPERATIONS,
          field,
          expected as { args: string[]; returns?: string; connection?: string },
        ] as const,
    ),
  );

  it.each(cases)('%s.%s exists with the arguments clients send, spelled exactly', (root, name, expected) => {
    const field = rootType(root)?.getFields()[name];
    expect(field, `${root}.${name} is missing`).toBeDefined();
    const args = field!.args.map((arg) => arg.name);

    expect(args).toEqual(expect.arrayContaining(expected.args));
    if (expected.connection) {
      expect(field!.type.toString()).toBe(`${expected.connection}!`);
      expect(args).toEqual(expect.arrayContaining(['first', 'after']));
    } else {
      expect(field!.type.toString()).toBe(expected.returns);
    }
    // Any other argument (besides Relay paging) must be optional, so existing callers keep working.
    const extras = field!.args.filter((arg) => !expected.args.includes(arg.name) && !RELAY_ARGS.includes(arg.name));
    for (const extra of extras) {
      const optional = !extra.type.toString().endsWith('!') || extra.defaultValue !== undefined;
      expect(optional, `${root}.${name}(${extra.name}) is required but not in CLIENT_OPERATIONS`).toBe(true);
    }
  });

  it('Relay connections have edges, nodes, pageInfo and totalCount', () => {
    for (const connection of ['CourseConnection', 'AssignmentConnection', 'CompletionConnection']) {
      const type = schema.getType(connection) as { getFields?: () => Record<string, unknown> } | undefined;
      expect(Object.keys(type?.getFields?.() ?? {}), connection).toEqual(
        expect.arrayContaining(['edges', 'nodes', 'pageInfo', 'totalCount']),
      );
    }
  });

  it.each([
    ['CourseFilter', ['category', 'autoAssignEnabled', 'entityType', 'search']],
    ['AssignTrainingCourseInput', ['courseId', 'userId', 'dueDate', 'assignmentReason']],
    ['CompleteTrainingAssignmentInput', ['assignmentId', 'score', 'passed', 'completionTimeMinutes']],
    ['PredictiveScoreInput', ['entityType', 'entityId', 'score', 'computedAt']],
    ['CreateTrainingCourseInput', ['title', 'category']],
    ['UpdateTrainingCourseInput', ['title', 'category']],
    ['AssignmentFilter', []],
    ['CompletionFilter', []],
    [
      'AutoAssignResult',
      ['success', 'tenantId', 'assignmentsCreated', 'coursesChecked', 'scoresChecked', 'assignments'],
    ],
    ['Assignment', ['course', 'user', 'assignedBy', 'completion', 'trigger']],
    ['User', ['id', 'trainingAssignments', 'trainingCompletions', 'trainingProgress']],
    ['Course', ['id']],
    ['Completion', ['id']],
    ['Analytics', []],
  ] as const)('%s has the fields %j', (typeName, fields) => {
    const type = schema.getType(typeName) as { getFields?: () => Record<string, unknown> } | undefined;
    expect(type, `${typeName} is missing`).toBeDefined();
    expect(Object.keys(type!.getFields!())).toEqual(expect.arrayContaining([...fields]));
  });

  it('ids are IDs and days are Dates', () => {
    const fields = (typeName: string) =>
      (
        schema.getType(typeName) as unknown as { getFields(): Record<string, { type: { toString(): string } }> }
      ).getFields();

    expect(fields('AssignTrainingCourseInput').courseId!.type.toString()).toBe('ID!');
    expect(fields('AssignTrainingCourseInput').dueDate!.type.toString()).toBe('Date');
    expect(fields('Assignment').dueDate!.type.toString()).toBe('Date');
    expect(fields('Completion').expiresAt!.type.toString()).toBe('Date');
    expect(fields('Completion').completedAt!.type.toString()).toBe('DateTime');
    expect(fields('Course').id!.type.toString()).toBe('ID!');
  });

  it('AutoAssignResult.assignments is [Assignment!]!', () => {
    const type = schema.getType('AutoAssignResult') as unknown as {
      getFields(): Record<string, { type: { toString(): string } }>;
    };
    expect(type.getFields().assignments!.type.toString()).toBe('[Assignment!]!');
  });
});

/** Where two texts first differ, with the lines around it, for the failure message. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? Math.min(a.length, b.length) : line;
  const context = a.slice(Math.max(0, at - 3), at).map((text) => `  ${text}`);
  return [
    `first difference at line ${at + 1}:`,
    ...context,
    `- ${a[at] ?? '<end>'}  (schema.graphql)`,
    `+ ${b[at] ?? '<end>'}  (printed)`,
  ].join('\n');
}
