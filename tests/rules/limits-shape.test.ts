import {
  getIntrospectionQuery,
  parse,
  print,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLError,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkDocument, measureDocument } from '../../src/core/document-shape.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '../../src/core/limits.js';
import * as operations from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';

/**
 * The limits on a document's shape, checked before graphql-js validates it (src/core/document-shape.ts):
 * depth and aliases counted through inline and named fragments, selections with fragments spread in
 * place, per selection set and merged into one field of the answer; each accepting a query exactly at it
 * and refusing one past it, and every legitimate document of the API far below them.
 */

const limits = (overrides: Partial<QueryLimits>): QueryLimits => ({ ...DEFAULT_QUERY_LIMITS, ...overrides });

/** The limit error for a query's shape (none: []), after checking it is otherwise valid GraphQL. */
function limitErrors(query: string, queryLimits: QueryLimits, { valid = true } = {}) {
  const document = parse(query);
  if (valid) expect(validate(schema, document, specifiedRules)).toEqual([]);
  try {
    checkDocument(document, queryLimits);
    return [];
  } catch (error) {
    const { message, extensions } = error as GraphQLError;
    return [{ message, extensions }];
  }
}

const limitError = (message: string) => ({
  message,
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
});

/** A query of exactly `depth` levels: trainingAssignments (1), nodes (2), a chain, and a leaf field. */
const deepQuery = (depth: number) => `{ trainingAssignments(first: 1) { nodes { ${assignmentChain(depth - 3)} } } }`;

/** `levels` nested object fields below an Assignment, ending in `id`. */
function assignmentChain(levels: number): string {
  let selection = 'id';
  // Built from the inside out: the outermost field is selected on Assignment.
  for (let level = levels; level > 0; level--) {
    selection = level % 2 === 1 ? `completion { ${selection} }` : `assignment { ${selection} }`;
  }
  return selection;
}

describe('depth', () => {
  const three = limits({ maxDepth: 3 });

  it('accepts a query exactly at the limit and refuses one level more, saying both', () => {
    expect(limitErrors('{ trainingAssignments { nodes { id } } }', three)).toEqual([]);
    expect(limitErrors('{ trainingAssignments { nodes { course { id } } } }', three)).toEqual([
      limitError('Query depth 4 exceeds the limit of 3'),
    ]);
  });

  it('counts through inline fragments, with and without a type condition', () => {
    expect(limitErrors('{ trainingAssignments { nodes { ... on Assignment { id } } } }', three)).toEqual([]);
    expect(limitErrors('{ trainingAssignments { nodes { ... on Assignment { course { id } } } } }', three)).toEqual([
      limitError('Query depth 4 exceeds the limit of 3'),
    ]);
    expect(limitErrors('{ trainingAssignments { ... { nodes { course { id } } } } }', three)).toEqual([
      limitError('Query depth 4 exceeds the limit of 3'),
    ]);
  });

  it('counts through named fragments, nested ones too', () => {
    const course = 'fragment Course on Assignment { course { id } }';
    expect(limitErrors(`{ trainingAssignments { nodes { ...Course } } } ${course}`, limits({ maxDepth: 4 }))).toEqual(
      [],
    );
    const nested = `fragment Row on Assignment { ...Course } ${course}`;
    expect(limitErrors(`{ trainingAssignments { nodes { ...Row } } } ${nested}`, three)).toEqual([
      limitError('Query depth 4 exceeds the limit of 3'),
    ]);
  });

  it('counts introspection levels like any others, except the `ofType` chain that unwraps a type', () => {
    expect(limitErrors('{ __typename }', limits({ maxDepth: 1 }))).toEqual([]);
    expect(limitErrors('{ __typename }', limits({ maxDepth: 0 }))).toEqual([
      limitError('Query depth 1 exceeds the limit of 0'),
    ]);
    expect(limitErrors('{ __schema { types { fields { type { name } } } } }', limits({ maxDepth: 4 }))).toEqual([
      limitError('Query depth 5 exceeds the limit of 4'),
    ]);
    const unwrapping = '{ __type(name: "Course") { fields { type { ofType { ofType { ofType { name } } } } } } }';
    expect(limitErrors(unwrapping, limits({ maxDepth: 4 }))).toEqual([]);
    const inFragments =
      '{ ... on Query { __type(name: "Course") { ...Type } } } fragment Type on __Type { fields { type { ofType { fields { name } } } } }';
    // __type 1, fields 2, type 3, ofType —, fields 4, name 5
    expect(limitErrors(inFragments, limits({ maxDepth: 5 }))).toEqual([]);
    expect(limitErrors(inFragments, limits({ maxDepth: 4 }))).toEqual([
      limitError('Query depth 5 exceeds the limit of 4'),
    ]);
    // A field of the API named like the introspection field still counts.
    expect(limitErrors('{ trainingAssignments { nodes { id } } }', limits({ maxDepth: 2 }))).toEqual([
      limitError('Query depth 3 exceeds the limit of 2'),
    ]);
  });

  it('counts aliases inside introspection', () => {
    expect(limitErrors('{ __schema { a: types { name } b: types { name } } }', limits({ maxAliases: 1 }))).toEqual([
      limitError('Query uses 2 aliases; the limit is 1'),
    ]);
  });

  it('checks every operation of a document on its own', () => {
    const document = 'query Flat { health } query Deep { trainingAssignments { nodes { course { id } } } }';
    expect(limitErrors(document, three)).toEqual([limitError('Query depth 4 exceeds the limit of 3')]);
  });

  it(`accepts the default depth of ${DEFAULT_QUERY_LIMITS.maxDepth} and refuses one more`, () => {
    expect(DEFAULT_QUERY_LIMITS.maxDepth).toBe(12);
    expect(limitErrors(deepQuery(12), DEFAULT_QUERY_LIMITS)).toEqual([]);
    expect(limitErrors(deepQuery(13), DEFAULT_QUERY_LIMITS)).toEqual([
      limitError('Query depth 13 exceeds the limit of 12'),
    ]);
  });

  it('lets the full introspection query through, with every option', () => {
    expect(limitErrors(getIntrospectionQuery(), DEFAULT_QUERY_LIMITS)).toEqual([]);
    const everything = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(limitErrors(everything, DEFAULT_QUERY_LIMITS)).toEqual([]);
  });

  it('refuses a fragment cycle instead of looping (GraphQL validation would refuse it too)', () => {
    const cycle =
      '{ trainingAssignments { ...A } } fragment A on AssignmentConnection { ...B } fragment B on AssignmentConnection { ...A nodes { id } }';
    expect(limitErrors(cycle, three, { valid: false })).toEqual([
      limitError('Cannot spread fragment "A" within itself'),
    ]);
  });

  it('ignores a spread of an unknown fragment (GraphQL validation reports it)', () => {
    expect(limitErrors('{ trainingAssignments { ...Missing } }', three, { valid: false })).toEqual([]);
  });
});

describe('aliases', () => {
  const aliased = (count: number) => Array.from({ length: count }, (_, i) => `a${i}: health`).join(' ');

  it(`accepts the default ${DEFAULT_QUERY_LIMITS.maxAliases} aliases and refuses one more, saying both`, () => {
    expect(DEFAULT_QUERY_LIMITS.maxAliases).toBe(30);
    expect(limitErrors(`{ ${aliased(30)} }`, DEFAULT_QUERY_LIMITS)).toEqual([]);
    expect(limitErrors(`{ ${aliased(31)} }`, DEFAULT_QUERY_LIMITS)).toEqual([
      limitError('Query uses 31 aliases; the limit is 30'),
    ]);
  });

  it('counts aliases in inline and named fragments, once per use of the fragment', () => {
    const two = limits({ maxAliases: 2 });
    expect(limitErrors('{ ... on Query { a: health } ...F } fragment F on Query { b: health }', two)).toEqual([]);
    expect(
      limitErrors('{ ... on Query { a: health } ...F ...F } fragment F on Query { b: health }', two, {
        valid: false,
      }).map((e) => e.message),
    ).toEqual(['Query uses 3 aliases; the limit is 2']);
    expect(
      limitErrors(
        '{ x: trainingAssignments { ...F } y: trainingAssignments { ...F } } fragment F on AssignmentConnection { n: totalCount }',
        limits({ maxAliases: 3 }),
      ),
    ).toEqual([limitError('Query uses 4 aliases; the limit is 3')]);
  });

  it('reports the first limit a query exceeds: depth before aliases', () => {
    const query = '{ a: trainingAssignments { nodes { course { id } } } b: health }';
    expect(limitErrors(query, limits({ maxDepth: 3, maxAliases: 1 }))).toEqual([
      limitError('Query depth 4 exceeds the limit of 3'),
    ]);
    expect(limitErrors(query, limits({ maxAliases: 1 }))).toEqual([limitError('Query uses 2 aliases; the limit is 1')]);
  });
});

describe('selections with fragments spread in place', () => {
  it('counts each spread as itself plus its fragment’s selections, and refuses one past the limit', () => {
    // 2 spreads + 2 × health
    const twice = '{ ...A ...A } fragment A on Query { health }';
    expect(measureDocument(parse(twice)).selections).toBe(4);
    expect(limitErrors(twice, limits({ maxSelections: 4 }), { valid: false })).toEqual([]);
    expect(limitErrors(twice, limits({ maxSelections: 3 }), { valid: false })).toEqual([
      limitError('Query has 4 selections with its fragments spread in place; the limit is 3'),
    ]);
  });

  it('counts every operation, and the fragments nothing spreads (validation reads them too)', () => {
    expect(measureDocument(parse('query A { health } query B { health health }')).selections).toBe(3);
    expect(
      measureDocument(parse('{ health } fragment U on Query { health ...V } fragment V on Query { health }'))
        .selections,
    ).toBe(1 + 3);
  });

  it(`refuses the selections of 17 levels of fragments spreading the next twice, at ${DEFAULT_QUERY_LIMITS.maxSelections}`, () => {
    let fragments = 'fragment F17 on Query { __typename }';
    for (let level = 16; level >= 0; level--)
      fragments += ` fragment F${level} on Query { ...F${level + 1} ...F${level + 1} }`;
    const [error] = limitErrors(`{ ...F0 } ${fragments}`, DEFAULT_QUERY_LIMITS, { valid: false });
    // 2^17 leaves, 2^18 - 2 spreads between fragments, and the operation's own spread
    expect(error!.message).toBe('Query has 393215 selections with its fragments spread in place; the limit is 1000');
  });
});

describe('selections per selection set', () => {
  // Repeats allowed here: this is about one set's width, not about fields merging.
  const wide = limits({ maxMergedSelections: 100 });
  const fields = (count: number) => 'health '.repeat(count);
  const fragment = 'fragment F on Query { health }';

  it(`accepts ${DEFAULT_QUERY_LIMITS.maxSelectionsPerSet} and refuses one more, counting spreads and inline fragments`, () => {
    expect(limitErrors(`{ ${fields(48)} ...F ... on Query { health } } ${fragment}`, wide)).toEqual([]);
    expect(limitErrors(`{ ${fields(49)} ...F ... on Query { health } } ${fragment}`, wide)).toEqual([
      limitError('A selection set holds 51 selections; the limit is 50'),
    ]);
    expect(limitErrors(`{ me { id } } fragment Wide on Query { ${fields(51)}}`, wide, { valid: false })).toEqual([
      limitError('A selection set holds 51 selections; the limit is 50'),
    ]);
  });
});

describe('selections merged into one field of the answer', () => {
  const me = (count: number) => 'me { id } '.repeat(count);

  it(`accepts ${DEFAULT_QUERY_LIMITS.maxMergedSelections} and refuses one more, through fragments and inline fragments`, () => {
    expect(limitErrors(`{ ${me(10)}}`, DEFAULT_QUERY_LIMITS)).toEqual([]);
    expect(limitErrors(`{ ${me(11)}}`, DEFAULT_QUERY_LIMITS)).toEqual([
      limitError('Query selects "me" 11 times at one place; the limit is 10'),
    ]);
    const spread = `{ ${me(6)}... on Query { ${me(3)}} ...M ...M } fragment M on Query { me { id } }`;
    expect(limitErrors(spread, DEFAULT_QUERY_LIMITS, { valid: false })).toEqual([
      limitError('Query selects "me" 11 times at one place; the limit is 10'),
    ]);
  });

  it('merges below merged fields: 4 `me` holding 3 `id` each merge 12 `id`', () => {
    expect(limitErrors(`{ ${'me { id id id } '.repeat(4)}}`, DEFAULT_QUERY_LIMITS)).toEqual([
      limitError('Query selects "id" 12 times at one place; the limit is 10'),
    ]);
  });

  it('tells fields apart by alias and by place', () => {
    const aliased = Array.from({ length: 20 }, (_, i) => `m${i}: me { id }`).join(' ');
    expect(limitErrors(`{ ${aliased} }`, limits({ maxAliases: 20 }))).toEqual([]);
    expect(
      limitErrors(`{ me { ${'id '.repeat(6)}} trainingCourses { nodes { ${'id '.repeat(6)}} } }`, DEFAULT_QUERY_LIMITS),
    ).toEqual([]);
  });
});

describe('the legitimate documents of the API', () => {
  const documents: [string, DocumentNode][] = Object.entries(operations)
    .filter(([name]) => name.endsWith('Document'))
    .map(([name, document]) => [name, parse(print(document as DocumentNode))]);
  const everything = {
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    inputValueDeprecation: true,
    schemaDescription: true,
    oneOf: true,
  };
  documents.push(
    ['introspection', parse(getIntrospectionQuery())],
    ['introspection, all options', parse(getIntrospectionQuery(everything))],
  );

  it.each(documents)('%s is far below every shape limit', (_name, document) => {
    expect(() => checkDocument(document, DEFAULT_QUERY_LIMITS)).not.toThrow();
    const shape = measureDocument(document);
    expect(shape.selections).toBeLessThanOrEqual(DEFAULT_QUERY_LIMITS.maxSelections / 4);
    // A course selects its 17 fields in one set: half the limit leaves the same room to grow.
    expect(shape.widestSelectionSet).toBeLessThanOrEqual(DEFAULT_QUERY_LIMITS.maxSelectionsPerSet / 2);
    expect(shape.depth).toBeLessThanOrEqual(DEFAULT_QUERY_LIMITS.maxDepth / 2);
  });
});
