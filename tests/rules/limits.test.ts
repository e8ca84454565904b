import {
  buildSchema,
  getIntrospectionQuery,
  graphqlSync,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  checkOperation,
  checkQueryText,
  costLimitPlugin,
  DEFAULT_QUERY_LIMITS,
  type QueryLimits,
} from '../../src/core/limits.js';
import { estimateCost } from '../../src/core/query-cost.js';
import { schema } from '../../src/schema.js';

/**
 * The query limits checked once an operation is resolved, as rules: the estimated cost of each kind of
 * field (introspection included), the cost limit accepting a query exactly at it and refusing one past
 * it, the query text's nesting, and the arguments no field takes as they are. (The limits on a
 * document's shape, checked before validation: limits-shape.test.ts and limits-linear.test.ts.)
 */

const limits = (overrides: Partial<QueryLimits>): QueryLimits => ({ ...DEFAULT_QUERY_LIMITS, ...overrides });

const limitError = (message: string) => ({
  message,
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
});

describe('estimated cost', () => {
  function cost(query: string, variables: Record<string, unknown> = {}, against: GraphQLSchema = schema): number {
    const document = parse(query);
    const fragments: Record<string, FragmentDefinitionNode> = {};
    let operation: OperationDefinitionNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
      if (definition.kind === Kind.OPERATION_DEFINITION) operation = definition;
    }
    return estimateCost(against, operation!, fragments, variables);
  }

  it('prices each scalar field at 1', () => {
    expect(cost('{ health }')).toBe(1);
    expect(cost('{ health a: health }')).toBe(2);
  });

  it('multiplies what a connection selects per item by its page size (`first`)', () => {
    // trainingCourses 1 + totalCount 1 + nodes (1 + 7 × (id + title))
    expect(cost('{ trainingCourses(first: 7) { totalCount nodes { id title } } }')).toBe(17);
    // trainingCourses 1 + edges (1 + 4 × (cursor 1 + node (1 + id + title)))
    expect(cost('{ trainingCourses(first: 4) { edges { cursor node { id title } } } }')).toBe(18);
    // pageInfo is not per item: 1 + its fields
    expect(cost('{ trainingCourses(first: 4) { pageInfo { hasNextPage endCursor } } }')).toBe(4);
  });

  it('uses the default page size without `first`', () => {
    expect(cost('{ trainingCourses { nodes { id } } }')).toBe(2 + 50);
  });

  it('caps `first` at the largest page and counts at least one item', () => {
    expect(cost('{ trainingCourses(first: 100000) { nodes { id } } }')).toBe(2 + 500);
    expect(cost('{ trainingCourses(first: 500) { nodes { id } } }')).toBe(2 + 500);
    expect(cost('{ trainingCourses(first: 0) { nodes { id } } }')).toBe(2 + 1);
    expect(cost('{ trainingCourses(first: 1) { nodes { id } } }')).toBe(2 + 1);
  });

  it('reads `first` from a variable, falling back to the default page size when it is not a number', () => {
    const query = 'query ($n: Int) { trainingCourses(first: $n) { nodes { id } } }';
    expect(cost(query, { n: 3 })).toBe(2 + 3);
    expect(cost(query, {})).toBe(2 + 50);
    expect(cost(query, { n: '3' })).toBe(2 + 50);
  });

  it('prices a plain list without `first` at its stated length, else at a whole page; one with `first` at that many', () => {
    // trainingAssignments 1 + nodes (1 + 2 × completions (1 + 500 × id)): attempts have no bound but the page
    expect(cost('{ trainingAssignments(first: 2) { nodes { completions { id } } } }')).toBe(1 + 1 + 2 * (1 + 500));
    // trainingAnalytics 1 + overdueAssignments (1 + 3 × id) + byStatus (1 + 5 statuses × count)
    expect(cost('{ trainingAnalytics { overdueAssignments(first: 3) { id } byStatus { count } } }')).toBe(1 + 4 + 6);
    // overdueAssignments without `first`: its default, 20
    expect(cost('{ trainingAnalytics { overdueAssignments { id } } }')).toBe(1 + 1 + 20);
    // byCourse has one row per course of the tenant, unbounded: priced as a whole page (500)
    expect(cost('{ trainingAnalytics { byCourse { assignments } } }')).toBe(1 + 1 + 500);
  });

  it('refuses a fan-out below an unpaged list that a 10-row estimate let through', () => {
    const query =
      '{ trainingAnalytics { byCourse { course { createdBy { trainingAssignments(first: 500) { nodes { id } } } } } } }';
    expect(cost(query)).toBeGreaterThan(DEFAULT_QUERY_LIMITS.maxCost);
  });

  it('prices a single object as 1 plus what it selects', () => {
    // trainingAssignments 1 + nodes (1 + 1 × course (1 + createdBy (1 + id)))
    expect(cost('{ trainingAssignments(first: 1) { nodes { course { createdBy { id } } } } }')).toBe(1 + 1 + 3);
  });

  it('prices inline fragments like the fields they hold, with or without a type condition', () => {
    expect(cost('{ trainingCourses(first: 5) { nodes { ... on Course { id title } } } }')).toBe(2 + 5 * 2);
    expect(cost('{ trainingCourses(first: 5) { nodes { ... { id title } } } }')).toBe(2 + 5 * 2);
    expect(cost('{ trainingCourses(first: 5) { ... on CourseConnection { nodes { id } } } }')).toBe(2 + 5);
  });

  it('prices named fragments like the fields they hold, keeping the page size', () => {
    const fragments = 'fragment Page on CourseConnection { nodes { ...Row } } fragment Row on Course { id title }';
    expect(cost(`{ trainingCourses(first: 5) { ...Page } } ${fragments}`)).toBe(2 + 5 * 2);
    expect(
      cost(`{ a: trainingCourses(first: 5) { ...Page } b: trainingCourses(first: 2) { ...Page } } ${fragments}`),
    ).toBe(12 + 2 + 2 * 2);
  });

  it('prices the members of a union selected through type conditions', () => {
    const r = Array.from({ length: 10 }, () => ({ __typename: 'Course', id: '00000000-0000-4000-8000-000000000000' }));
    // _entities 1 + 10 representations × (id + title)
    expect(cost('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id title } } }', { r })).toBe(
      21,
    );
    // `__typename` costs nothing (no resolver, no read): still 10 × (id + title)
    expect(
      cost('query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Course { id title } } }', { r }),
    ).toBe(21);
    // Each representation multiplies the selection, written in the query text too.
    expect(
      cost('{ _entities(representations: [{ __typename: "Course", id: "x" }, {}]) { ... on Course { id } } }'),
    ).toBe(3);
  });

  it('prices an operation against its own root type', () => {
    expect(cost('mutation { sweepOverdueTrainingAssignments }')).toBe(1);
    expect(cost('mutation { createTrainingCourse(input: { title: "x", category: OTHER }) { id title } }')).toBe(3);
    // trainingAssignmentCreated 1 + id + course (1 + title)
    expect(cost('subscription { trainingAssignmentCreated { id course { title } } }')).toBe(4);
  });

  it('ignores fields the root does not have, and stops at fragment cycles', () => {
    expect(cost('{ nope }')).toBe(0);
    expect(cost('mutation { nope }', {}, buildSchema('type Query { a: Int }'))).toBe(0);
    expect(
      cost(
        '{ trainingCourses(first: 5) { ...A } } fragment A on CourseConnection { ...B } fragment B on CourseConnection { ...A totalCount }',
      ),
    ).toBe(2);
    expect(cost('{ trainingCourses(first: 5) { ...Missing } }')).toBe(1);
    expect(cost('{ trainingCourses(first: 5) { ...F } } fragment F on NoSuchType { totalCount }')).toBe(1);
    expect(cost('{ trainingCourses(first: 5) { ... on NoSuchType { totalCount } } }')).toBe(1);
  });

  it('prices introspection by the size of its answer, read from the schema', () => {
    expect(cost('{ __typename }')).toBe(0);
    expect(cost('{ __type(name: "Course") { name kind } }')).toBe(3);
    // No such type: the answer is the field alone, null.
    expect(cost('{ __type(name: "Nope") { name } }')).toBe(1);
    expect(cost('{ __schema { queryType { name } } }')).toBe(3);
    const fieldsOfAnswer = (value: unknown): number =>
      Array.isArray(value)
        ? value.reduce((sum: number, item) => sum + fieldsOfAnswer(item), 0)
        : value && typeof value === 'object'
          ? Object.values(value).reduce((sum: number, field) => sum + 1 + fieldsOfAnswer(field), 0)
          : 0;
    const everything = { descriptions: true, inputValueDeprecation: true, schemaDescription: true, oneOf: true };
    for (const query of [getIntrospectionQuery(), getIntrospectionQuery(everything)]) {
      const answer = graphqlSync({ schema, source: query });
      expect(cost(query)).toBe(fieldsOfAnswer(answer.data));
      // The whole schema's introspection stays well within the limit (it grows with every feature).
      expect(cost(query)).toBeLessThan(DEFAULT_QUERY_LIMITS.maxCost / 2);
    }
  });

  it('prices each aliased introspection tree at its answer, and a nesting that multiplies it', () => {
    const tree = '__schema { types { name fields { name type { name } } } }';
    const one = cost(`{ ${tree} }`);
    expect(cost(`{ a: ${tree} b: ${tree} }`)).toBe(2 * one);
    const nested = '{ __schema { types { fields { type { name fields { type { name } } } } } } }';
    expect(cost(nested)).toBeGreaterThan(cost('{ __schema { types { fields { type { name } } } } }'));
  });

  it('walks interfaces: their fields, lists below them and fragments on them', () => {
    const withInterface = buildSchema(`
      interface Named { name: String, tags(first: Int): [Tag!]! }
      type Tag { label: String }
      type Person implements Named { name: String, tags(first: Int): [Tag!]! }
      type Query { named: [Named!]!, one: Named, people(first: Int): [Person!]! }
    `);
    // named 1 + 500 × (name 1 + tags (1 + 3 × label))
    expect(cost('{ named { name tags(first: 3) { label } } }', {}, withInterface)).toBe(1 + 500 * (1 + 1 + 3));
    expect(
      cost('{ one { ... on Named { name } ... on Person { tags(first: 2) { label } } } }', {}, withInterface),
    ).toBe(1 + 1 + 3);
    expect(cost('{ one { ...N } } fragment N on Named { name }', {}, withInterface)).toBe(2);
    expect(cost('{ people(first: 4) { name } }', {}, withInterface)).toBe(1 + 4);
  });
});

describe('the cost limit', () => {
  it('refuses 30 aliased introspection trees by their answers, counting no further than the limit', () => {
    const tree = '__schema { types { name kind description fields { name description type { name kind } } } }';
    const document = parse(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}: ${tree}`).join(' ')} }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(() => checkOperation(schema, document, operation, {}, DEFAULT_QUERY_LIMITS)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/^Query cost \d+ exceeds the limit of 25000/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
      }),
    );
    // The copies share one plan: 30 times the answer of one, each schema element counted once.
    const one = parse(`{ ${tree} }`).definitions[0] as OperationDefinitionNode;
    expect(estimateCost(schema, operation, {}, {})).toBe(30 * estimateCost(schema, one, {}, {}));
    // Counting stops once past the limit given: past it, but short of the whole answer.
    const counted = estimateCost(schema, one, {}, {}, 100);
    expect(counted).toBeGreaterThan(100);
    expect(counted).toBeLessThan(estimateCost(schema, one, {}, {}));
  });

  async function check(query: string, maxCost: number, variables: Record<string, unknown> = {}) {
    const document = parse(query);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as
      OperationDefinitionNode | undefined;
    const hooks = await costLimitPlugin(limits({ maxCost })).requestDidStart!({} as never);
    await (hooks as { didResolveOperation: (context: unknown) => Promise<void> }).didResolveOperation({
      schema,
      document,
      operation,
      request: { variables },
    });
  }

  it('accepts a query exactly at the limit and refuses one past it, before it runs', async () => {
    const query =
      'query ($n: Int) { trainingCourses(first: $n) { ...Page } } fragment Page on CourseConnection { nodes { id } }';
    await expect(check(query, 12, { n: 10 })).resolves.toBeUndefined();
    await expect(check(query, 12, { n: 11 })).rejects.toMatchObject(
      limitError('Query cost 13 exceeds the limit of 12; ask for smaller pages'),
    );
  });

  it(`defaults to ${DEFAULT_QUERY_LIMITS.maxCost}`, () => {
    expect(DEFAULT_QUERY_LIMITS.maxCost).toBe(25_000);
  });

  it('has nothing to price before an operation is chosen', async () => {
    await expect(check('fragment F on Query { health }', 0)).resolves.toBeUndefined();
  });

  it('prices with no variables sent', async () => {
    const hooks = await costLimitPlugin(limits({ maxCost: 51 })).requestDidStart!({} as never);
    const document = parse('query ($n: Int) { trainingCourses(first: $n) { nodes { id } } }');
    await expect(
      (hooks as { didResolveOperation: (context: unknown) => Promise<void> }).didResolveOperation({
        schema,
        document,
        operation: document.definitions[0],
        request: {},
      }),
    ).rejects.toMatchObject({ message: 'Query cost 52 exceeds the limit of 51; ask for smaller pages' });
  });
});

describe('query text nesting, checked before parsing', () => {
  const nested = (levels: number) => `${'{ a '.repeat(levels)}${'}'.repeat(levels)}`;

  it(`accepts ${DEFAULT_QUERY_LIMITS.maxNesting} levels and refuses one more with GRAPHQL_PARSE_FAILED`, () => {
    expect(() => checkQueryText(nested(DEFAULT_QUERY_LIMITS.maxNesting), DEFAULT_QUERY_LIMITS)).not.toThrow();
    expect(() => checkQueryText(nested(DEFAULT_QUERY_LIMITS.maxNesting + 1), DEFAULT_QUERY_LIMITS)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }) }),
    );
  });

  it('counts lists and arguments, not brackets inside strings, block strings or comments', () => {
    const tight = limits({ maxNesting: 3 });
    expect(() => checkQueryText('{ a(b: [[[1]]]) }', tight)).toThrow();
    expect(() => checkQueryText('{ a(b: "[[[[{{{{\\"") # {{{{{\n c(d: """((((""") }', tight)).not.toThrow();
  });
});

describe('arguments checked before execution', () => {
  const run = (query: string, variables: Record<string, unknown> = {}, overrides: Partial<QueryLimits> = {}) => {
    const document = parse(query);
    const operation = document.definitions[0] as OperationDefinitionNode;
    checkOperation(schema, document, operation, variables, limits(overrides));
  };
  const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id } } }';
  const id = '3f1d2c4b-5a69-4e7d-8c1b-2a3b4c5d6e7f';

  it('accepts representations whose id is a UUID string', () => {
    expect(() => run(ENTITIES, { r: [{ __typename: 'Course', id }] })).not.toThrow();
  });

  it.each([
    ['an object (a Prisma filter)', { not: id }],
    ['an `in` list', { in: [id] }],
    ['a deeply nested object', JSON.parse(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`) as unknown],
    ['a number', 123],
    ['null', null],
    ['a non-UUID string', 'x'],
  ])('refuses an id that is %s with BAD_USER_INPUT naming the representation', (_label, bad) => {
    expect(() =>
      run(ENTITIES, {
        r: [
          { __typename: 'Course', id },
          { __typename: 'Course', id: bad },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        message: 'representations[1].id: expected a UUID string',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'representations[1].id' }),
      }),
    );
  });

  it.each(['Profile', 'Query', 'CourseConnection', '_Service', 'NoSuchType'])(
    'refuses the __typename %s, which is no entity type, with BAD_USER_INPUT naming the representation',
    (typename) => {
      expect(() =>
        run(ENTITIES, {
          r: [
            { __typename: 'User', id },
            { __typename: typename, id },
          ],
        }),
      ).toThrow(
        expect.objectContaining({
          message: 'representations[1].__typename: expected an entity type: Assignment, Completion, Course, User',
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'representations[1].__typename' }),
        }),
      );
    },
  );

  it('refuses a representation that is not an object, and one without __typename', () => {
    expect(() => run(ENTITIES, { r: ['x'] })).toThrow(/representations\[0\]: expected an object/);
    expect(() => run(ENTITIES, { r: [{ id }] })).toThrow(/representations\[0\]\.__typename/);
  });

  it('caps the number of representations (GRAPHQL_VALIDATION_FAILED)', () => {
    const r = (n: number) => Array.from({ length: n }, () => ({ __typename: 'Course', id }));
    expect(() => run(ENTITIES, { r: r(3) }, { maxRepresentations: 3 })).not.toThrow();
    expect(() => run(ENTITIES, { r: r(4) }, { maxRepresentations: 3 })).toThrow(
      expect.objectContaining({
        message: '_entities got 4 representations; the limit is 3 per request',
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
      }),
    );
  });

  it('prices each representation: many representations of a costly selection are refused', () => {
    const r = Array.from({ length: 500 }, () => ({ __typename: 'User', id }));
    expect(() =>
      run(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { trainingAssignments(first: 100) { nodes { id } } } } }',
        {
          r,
        },
      ),
    ).toThrow(/Query cost \d+ exceeds the limit of 25000/);
  });

  it('refuses a cursor that decodes but does not hold an id, and passes a real one', () => {
    const cursor = (text: string) => Buffer.from(text).toString('base64');
    const query = 'query ($after: String) { trainingCourses(first: 1, after: $after) { nodes { id } } }';
    expect(() => run(query, { after: cursor(`GPC:S:${id}`) })).not.toThrow();
    for (const bad of ['GPC:S:not-a-uuid', 'GPC:N:12', `GPC:J:["${id}"]`, 'garbage', '']) {
      expect(() => run(query, { after: cursor(bad) })).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) }),
      );
    }
    expect(() => run(`{ trainingCourses(first: 1, before: "${cursor('GPC:S:x')}") { nodes { id } } }`)).toThrow(
      /before: not a cursor of this list/,
    );
  });
});
