import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENTITIES,
  fanOut,
  introspectionTrees,
  QUERY_HOST,
  repeated,
  repeatedBelow,
  representation,
} from '../support/abuse.js';
import { startRequestLoop } from '../support/request-loop.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * One tenant's abusive documents cannot hold up another tenant: each is refused with 400 before it
 * reaches the database (not one statement while a loop of them runs), and tenant B's requests sent while
 * the loop runs are all answered, in full. What the attacks cost tenant B in latency is measured side by
 * side by `npm run bench -- fairness` (BENCHMARKS.md), not asserted here: timings are the machine's.
 * (Introspection is on here, as it is outside production.)
 */

const ORDINARY = '{ trainingCourses(first: 10) { totalCount } }';
const ATTACKERS = 2;
/** Answers to the attack loop alone, whose statements are counted. */
const ATTACKS_ALONE = 40;

const statements: string[] = [];
let server: TestServer;
let tenantA: Actor;
let tenantB: Actor;

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (text) => statements.push(text) });
  [tenantA, tenantB] = await Promise.all([server.actor('admin'), server.actor('admin')]);
  await server.owner.query(
    `INSERT INTO training_courses (tenant_id, title, category, created_by)
     SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid FROM generate_series(1, 25) n`,
    [tenantB.tenantId, tenantB.userId],
  );
  // Both callers' profiles recorded once, as any caller's first request does.
  await Promise.all([tenantA.request(ORDINARY), tenantB.request(ORDINARY)]);
}, setupTimeout(120_000));
afterAll(() => server.stop());

const ATTACKS: [string, { query: string; variables?: Record<string, unknown> }][] = [
  ['fragment fan-out, 2 × 17 levels', { query: fanOut(QUERY_HOST, 2, 17) }],
  ['fragment fan-out, 4 × 20 levels', { query: fanOut(QUERY_HOST, 4, 20) }],
  ['1,000 copies of a field', { query: repeated(QUERY_HOST, 1_000) }],
  ['copies merged through fragments', { query: repeated(QUERY_HOST, 40, { inFragments: true }) }],
  ['copies merged below merged fields', { query: repeatedBelow(QUERY_HOST, 30) }],
  ['30 aliased introspection trees', { query: introspectionTrees(30) }],
  ['`_entities` of a type that is no entity', { query: ENTITIES, variables: { r: [representation('Profile')] } }],
];

function attackLoop(request: { query: string; variables?: Record<string, unknown> }) {
  return startRequestLoop(
    server.url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantA.token}` },
      body: JSON.stringify(request),
    },
    ATTACKERS,
  );
}

describe('fairness under abusive documents', () => {
  it.each(ATTACKS)('%s: refused before the database, and tenant B answered in full meanwhile', async (_l, request) => {
    // Alone: ATTACKS_ALONE of them, two at a time; the database hears nothing meanwhile.
    const before = statements.length;
    const aloneStatuses: number[] = [];
    for (let i = 0; i < ATTACKS_ALONE / ATTACKERS; i++) {
      const sent = Array.from({ length: ATTACKERS }, () =>
        fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantA.token}` },
          body: JSON.stringify(request),
        }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      );
      aloneStatuses.push(...(await Promise.all(sent)));
    }
    expect(new Set(aloneStatuses)).toEqual(new Set([400]));
    expect(statements.slice(before)).toEqual([]);

    // Alongside: every request of tenant B sent while the loop runs is answered, with its whole result.
    const attack = attackLoop(request);
    await attack.running;
    const answers = [];
    for (let i = 0; i < 20; i++)
      answers.push(await tenantB.request<{ trainingCourses: { totalCount: number } }, Record<string, never>>(ORDINARY));
    const statuses = await attack.stop();
    expect(answers.map((answer) => [answer.status, answer.errors, answer.data?.trainingCourses.totalCount])).toEqual(
      answers.map(() => [200, undefined, 25]),
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([400]));
  });
});
