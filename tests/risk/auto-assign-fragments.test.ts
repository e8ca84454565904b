import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { seedScenario } from './scenario.js';
import { setupTimeout } from '../support/citus.js';

/**
 * autoAssignTraining loads `assignments` only when the client selects them: selected through an
 * inline or a named fragment, they must be there just as when selected directly.
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  const other = await server.actor('admin');
  const scenario = await seedScenario(server.db, other.tenantId);
  admin = await server.actor('admin', { tenantId: scenario.tenantId, userId: scenario.adminId });
  // A fresh database and a server on a machine shared with other test runs: allow for a slow start.
}, setupTimeout(180_000));
afterAll(() => server.stop());

type Result = {
  autoAssignTraining: { assignmentsCreated: number; assignments: { id: string; course: { id: string } }[] };
};

async function courseIds(query: string) {
  const response = await admin.request<Result, Record<string, never>>(query);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const result = response.data!.autoAssignTraining;
  expect(result.assignments).toHaveLength(result.assignmentsCreated);
  return result.assignments.map((assignment) => assignment.course.id).sort();
}

describe('autoAssignTraining(dryRun: true) { assignments }', () => {
  it('returns the same assignments whether selected directly, in an inline fragment or in a named fragment', async () => {
    const direct = await courseIds(
      'mutation { autoAssignTraining(dryRun: true) { assignmentsCreated assignments { id course { id } } } }',
    );
    expect(direct.length).toBeGreaterThan(0);

    const inline = await courseIds(
      'mutation { autoAssignTraining(dryRun: true) { assignmentsCreated ... on AutoAssignResult { assignments { id course { id } } } } }',
    );
    const untyped = await courseIds(
      'mutation { autoAssignTraining(dryRun: true) { assignmentsCreated ... @include(if: true) { assignments { id course { id } } } } }',
    );
    const named = await courseIds(
      'mutation { autoAssignTraining(dryRun: true) { assignmentsCreated ...Created } } fragment Created on AutoAssignResult { assignments { id course { id } } }',
    );

    expect(inline).toEqual(direct);
    expect(untyped).toEqual(direct);
    expect(named).toEqual(direct);
  });
});
