import { parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { fieldsOf, selectedFieldNames } from '../../src/core/selection.js';
import { startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../support/server.js';

/**
 * A field selected inside a fragment, named (`...Name`) or inline (`... on Type { }`),
 * counts like one selected directly, for every reader of a query's selection: the query
 * limits, analytics' choice of figures and auto-assignment's "load the assignments".
 */

let server: TestServer;
let admin: Actor;
let worker: Actor;

async function ok<Data>(response: Promise<GraphQLResponse<Data>>): Promise<Data> {
  const result = await response;
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId });
  await ok(worker.request('{ me { id } }')); // the worker's profile, so a score about them reaches them
  await ok(
    admin.request(
      `mutation { createTrainingCourse(input: { title: "Working at height", category: HAZARD_AWARENESS,
         autoAssignEnabled: true, riskThreshold: 50, entityType: WORKER }) { id } }`,
    ),
  );
  await ok(
    admin.request(
      `mutation ($id: ID!) { recordPredictiveScores(autoAssign: false,
         scores: [{ entityType: WORKER, entityId: $id, score: 90 }]) }`,
      { id: worker.userId },
    ),
  );
});

afterAll(() => server?.stop());

describe('the selection walker', () => {
  const document = parse(`
    query { a { ...Named ... on T { inline ... { bare } } direct } }
    fragment Named on U { named nested { deep } ...Cycle }
    fragment Cycle on V { cycle ...Named }
  `);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === 'FragmentDefinition')
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const root = fieldsOf(operation.selectionSet, fragments)[0]!;

  it('spreads named and inline fragments, with the type condition each field came through, and stops at a cycle', () => {
    const fields = fieldsOf(root.field.selectionSet, fragments, root.spread);
    expect(fields.map(({ field, typeCondition }) => [field.name.value, typeCondition])).toEqual([
      ['named', 'U'],
      ['nested', 'U'],
      ['cycle', 'V'],
      ['inline', 'T'],
      ['bare', 'T'],
      ['direct', undefined],
    ]);
    const nested = fields.find(({ field }) => field.name.value === 'nested')!;
    expect(fieldsOf(nested.field.selectionSet, fragments, nested.spread).map(({ field }) => field.name.value)).toEqual([
      'deep',
    ]);
  });

  it('names the fields a resolver selects', () => {
    expect([...selectedFieldNames({ fieldNodes: [root.field], fragments })].sort()).toEqual(
      ['bare', 'cycle', 'direct', 'inline', 'named', 'nested'].sort(),
    );
  });
});

describe('fields inside fragments count', () => {
  it('autoAssignTraining returns the assignments asked for in an inline fragment (dry run)', async () => {
    const data = await ok(
      admin.request<
        { autoAssignTraining: { assignmentsCreated: number; assignments?: { user: { id: string } }[] } },
        never
      >(
        `mutation { autoAssignTraining(dryRun: true) {
           assignmentsCreated ... on AutoAssignResult { assignments { user { id } } } } }`,
      ),
    );
    expect(data.autoAssignTraining.assignmentsCreated).toBe(1);
    expect(data.autoAssignTraining.assignments).toEqual([{ user: { id: worker.userId } }]);
  });

  it('autoAssignTraining returns the assignments asked for in a named fragment', async () => {
    const data = await ok(
      admin.request<
        { autoAssignTraining: { assignmentsCreated: number; assignments?: { user: { id: string } }[] } },
        never
      >(
        `mutation { autoAssignTraining { assignmentsCreated ...Created } }
         fragment Created on AutoAssignResult { assignments { user { id } status } }`,
      ),
    );
    expect(data.autoAssignTraining.assignmentsCreated).toBe(1);
    expect(data.autoAssignTraining.assignments).toEqual([{ user: { id: worker.userId }, status: 'ASSIGNED' }]);
  });

  it('trainingAnalytics answers figures asked for through fragments as it answers them directly', async () => {
    const direct = await ok(
      admin.request('{ trainingAnalytics { totalAssignments overdueCount byStatus { status count } } }'),
    );
    const throughFragments = await ok(
      admin.request(`{ trainingAnalytics { ... on Analytics { totalAssignments } ...Figures } }
         fragment Figures on Analytics { overdueCount byStatus { status count } }`),
    );
    expect(throughFragments).toEqual(direct);
    expect(direct).toMatchObject({ trainingAnalytics: { totalAssignments: 1, overdueCount: 0 } });
  });

  it('query depth counts the levels inside fragments', async () => {
    let selection = 'id';
    for (let level = 0; level < 7; level++) selection = `course { id } completion { assignment { ${selection} } }`;
    const response = await admin.request(
      `{ trainingAssignments(first: 1) { nodes { ... on Assignment { ...Deep } } } }
       fragment Deep on Assignment { ${selection} }`,
    );
    expect(response.status).toBe(400);
    expect(response.errors![0]!.message).toMatch(/depth \d+ exceeds the limit/);
  });

  it('aliases inside fragments count', async () => {
    const half = Math.ceil((DEFAULT_QUERY_LIMITS.maxAliases + 1) / 2);
    const aliases = (prefix: string) => Array.from({ length: half }, (_, i) => `${prefix}${i}: health`).join(' ');
    const response = await admin.request(
      `{ ...Many ... on Query { ${aliases('b')} } } fragment Many on Query { ${aliases('a')} }`,
    );
    expect(response.status).toBe(400);
    expect(response.errors![0]!.message).toMatch(/aliases; the limit is/);
  });

  it('the estimated cost counts the fields inside fragments', async () => {
    const response = await admin.request(
      `{ trainingAssignments(first: 500) { nodes { ...Heavy } } trainingCourses(first: 500) { nodes { id } } }
       fragment Heavy on Assignment {
         id ... on Assignment { completions { id course { id title category } assignment { id status course { id } } } }
         course { id title } }`,
    );
    expect(response.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors![0]!.message).toMatch(/cost \d+ exceeds the limit/);
  });
});
