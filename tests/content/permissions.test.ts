import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/core/permissions.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Who may call each content operation: modules, cmi5 imports and statistics are for admins and safety officers;
 * launching for the assignee (any role that learns). A refused role gets FORBIDDEN before anything runs; an allowed
 * one gets past the check (here to NOT_FOUND, the ids being random).
 */

const MANAGERS: Role[] = ['admin', 'safety_officer'];
const LEARNERS: Role[] = ['admin', 'safety_officer', 'worker'];
const id = randomUUID();

const OPERATIONS: [name: string, query: string, allowed: Role[]][] = [
  [
    'addCourseModule',
    `mutation { addCourseModule(courseId: "${id}", input: { title: "X", kind: LINK, url: "https://example.com" }) { id } }`,
    MANAGERS,
  ],
  ['updateCourseModule', `mutation { updateCourseModule(id: "${id}", input: { title: "Y" }) { id } }`, MANAGERS],
  ['removeCourseModule', `mutation { removeCourseModule(id: "${id}") { id } }`, MANAGERS],
  ['importCmi5Package', `mutation { importCmi5Package(courseId: "${id}", contentId: "${id}") { id } }`, MANAGERS],
  ['moduleStats', `{ moduleStats(courseId: "${id}") { title } }`, MANAGERS],
  ['launchModule', `mutation { launchModule(assignmentId: "${id}", moduleId: "${id}") { url } }`, LEARNERS],
  ['moduleProgress', `{ moduleProgress(assignmentId: "${id}") { waived } }`, LEARNERS],
  [
    'waiveCourseModule',
    `mutation { waiveCourseModule(assignmentId: "${id}", moduleId: "${id}", reason: TESTED_OUT) { waived } }`,
    MANAGERS,
  ],
];

let server: TestServer;
const actors = {} as Record<Role, Actor>;

beforeAll(async () => {
  server = await startTestServer();
  actors.admin = await server.actor('admin');
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    actors[role] = await server.actor(role, { tenantId: actors.admin.tenantId });
  }
}, setupTimeout(60_000));
afterAll(() => server?.stop());

describe('content operations by role', () => {
  const cases = OPERATIONS.flatMap(([name, query, allowed]) =>
    ROLES.map((role) => ({ name, query, role, allowed: allowed.includes(role) })),
  );
  it.each(cases)('$name as $role: allowed $allowed', async ({ query, role, allowed }) => {
    const before = await server.owner.count('course_modules');
    const response = await actors[role].request(query);
    const codes = (response.errors ?? []).map((error) => error.extensions?.code);
    expect(codes).toEqual([allowed ? 'NOT_FOUND' : 'FORBIDDEN']);
    expect(await server.owner.count('course_modules')).toBe(before);
  });
});
