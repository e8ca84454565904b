import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Each query limit through the API: a query exactly at it runs, one past it is refused with 400 before
 * running, also when the excess hides in inline or named fragments; full introspection runs (dev).
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  // A fresh database and a server on a machine shared with other test runs: allow for a slow start.
}, setupTimeout(180_000));
afterAll(() => server.stop());

/** `levels` nested single objects below an Assignment: completion { assignment { … id } }. */
function below(levels: number): string {
  let selection = 'id';
  for (let level = levels; level > 0; level--) {
    selection = level % 2 === 1 ? `completion { ${selection} }` : `assignment { ${selection} }`;
  }
  return selection;
}

/** Depth `depth`, the levels below `nodes` placed directly, in an inline fragment or in a named fragment. */
const deep = {
  direct: (depth: number) => `{ trainingAssignments(first: 1) { nodes { ${below(depth - 3)} } } }`,
  inline: (depth: number) =>
    `{ trainingAssignments(first: 1) { nodes { ... on Assignment { ${below(depth - 3)} } } } }`,
  named: (depth: number) =>
    `{ trainingAssignments(first: 1) { ...Rows } } fragment Rows on AssignmentConnection { nodes { ${below(depth - 3)} } }`,
};

/** 49 scalar fields of a Course, none selected more than 10 times (the merged-selections limit). */
const ROW = 'id title description category contentUrl '.repeat(10).split(' ').slice(0, 49).join(' ');

/**
 * Cost `cost` (24 502 to 25 002): 500 courses × 49 fields + 2, plus a page of assignments to make up the
 * rest (2 + its page size).
 */
const rest = (cost: number) => `trainingAssignments(first: ${cost - 24_502 - 2}) { nodes { id } }`;
const costly = {
  direct: (cost: number) => `{ trainingCourses(first: 500) { nodes { ${ROW} } } ${rest(cost)} }`,
  inline: (cost: number) =>
    `{ trainingCourses(first: 500) { ... on CourseConnection { nodes { ${ROW} } } } ${rest(cost)} }`,
  named: (cost: number) =>
    `{ trainingCourses(first: 500) { ...Page } ${rest(cost)} } fragment Page on CourseConnection { nodes { ...Row } } fragment Row on Course { ${ROW} }`,
};

const aliased = {
  direct: (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: health`).join(' ')} }`,
  inline: (count: number) =>
    `{ ... on Query { ${Array.from({ length: count }, (_, i) => `a${i}: health`).join(' ')} } }`,
  named: (count: number) =>
    `{ ...A } fragment A on Query { ${Array.from({ length: count }, (_, i) => `a${i}: health`).join(' ')} }`,
};

async function accepted(query: string) {
  const response = await admin.request(query);
  expect(response.status).toBe(200);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
}

async function refused(query: string, message: string) {
  const response = await admin.request(query);
  expect(response.status).toBe(400);
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(response.errors![0]!.message).toBe(message);
}

describe.each(['direct', 'inline', 'named'] as const)('limits, selections placed %s', (placement) => {
  it(`depth: ${DEFAULT_QUERY_LIMITS.maxDepth} runs, one more is refused`, async () => {
    await accepted(deep[placement](12));
    await refused(deep[placement](13), 'Query depth 13 exceeds the limit of 12');
  });

  it(`aliases: ${DEFAULT_QUERY_LIMITS.maxAliases} run, one more is refused`, async () => {
    await accepted(aliased[placement](30));
    await refused(aliased[placement](31), 'Query uses 31 aliases; the limit is 30');
  });

  it(`cost: ${DEFAULT_QUERY_LIMITS.maxCost} runs, one more is refused`, async () => {
    await accepted(costly[placement](25_000));
    await refused(costly[placement](25_001), 'Query cost 25001 exceeds the limit of 25000; ask for smaller pages');
  });
});

describe('legitimate large queries', () => {
  it('full introspection (what IDEs and code generators send) runs', async () => {
    const response = await admin.request<{ __schema: { types: unknown[] } }, Record<string, never>>(
      getIntrospectionQuery(),
    );
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.__schema.types.length).toBeGreaterThan(20);
  });

  it('full introspection runs without a token too (GraphiQL loads its docs before one is pasted)', async () => {
    const response = await server.request<{ __schema: { types: unknown[] } }>(getIntrospectionQuery());
    expect(response.status).toBe(200);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.__schema.types.length).toBeGreaterThan(20);
  });

  it('a full dashboard page with nested relations runs', async () => {
    await accepted(
      '{ trainingAssignments(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { id status dueDate course { id title category } user { id } completion { score passed } } } trainingAnalytics { totalCourses completionRate byStatus { status count } byCourse { course { id title } assignments completed } } }',
    );
  });
});
