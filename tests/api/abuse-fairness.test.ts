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
import { median } from '../support/report.js';
import { startRequestLoop } from '../support/request-loop.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * One tenant's abusive documents do not make another tenant's requests slow: while two clients of tenant
 * A send an attack in a loop, tenant B's ordinary requests stay within 3× of their median without it,
 * measured side by side in the same test (quiet first, then under attack, in rounds). Each attack is refused
 * before any expensive work, so a loop of them costs the server little more than a loop of small
 * requests. (Introspection is on here, as it is outside production.)
 */

const ORDINARY = '{ trainingCourses(first: 10) { totalCount } }';
const ROUNDS = 4;
const SAMPLES_PER_ROUND = 10;
const ATTACKERS = 2;

let server: TestServer;
let tenantA: Actor;
let tenantB: Actor;

beforeAll(async () => {
  server = await startTestServer();
  [tenantA, tenantB] = await Promise.all([server.actor('admin'), server.actor('admin')]);
  await server.owner.query(
    `INSERT INTO training_courses (tenant_id, title, category, created_by)
     SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid FROM generate_series(1, 25) n`,
    [tenantB.tenantId, tenantB.userId],
  );
}, 120_000);
afterAll(() => server.stop());

/** Milliseconds of each of `count` ordinary requests of tenant B, one after the other. */
async function ordinaryLatencies(count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await tenantB.request<{ trainingCourses: { totalCount: number } }, Record<string, never>>(ORDINARY);
    latencies.push(performance.now() - started);
    expect(answer.data?.trainingCourses.totalCount).toBe(25);
  }
  return latencies;
}

const ATTACKS: [string, { query: string; variables?: Record<string, unknown> }][] = [
  ['fragment fan-out, 2 × 17 levels', { query: fanOut(QUERY_HOST, 2, 17) }],
  ['fragment fan-out, 4 × 20 levels', { query: fanOut(QUERY_HOST, 4, 20) }],
  ['1,000 copies of a field', { query: repeated(QUERY_HOST, 1_000) }],
  ['copies merged through fragments', { query: repeated(QUERY_HOST, 40, { inFragments: true }) }],
  ['copies merged below merged fields', { query: repeatedBelow(QUERY_HOST, 30) }],
  ['30 aliased introspection trees', { query: introspectionTrees(30) }],
  ['`_entities` of a type that is no entity', { query: ENTITIES, variables: { r: [representation('Profile')] } }],
];

describe('fairness under abusive documents', () => {
  it.each(ATTACKS)('%s: tenant B stays within 3× of its quiet median', async (_label, request) => {
    await ordinaryLatencies(5); // warm-up: connections, caches, JIT
    const quiet: number[] = [];
    const underAttack: number[] = [];
    const statuses: number[] = [];
    // Quiet, then under attack, in rounds: a machine whose load drifts (other tests) weighs on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      quiet.push(...(await ordinaryLatencies(SAMPLES_PER_ROUND)));
      const attack = startRequestLoop(
        server.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantA.token}` },
          body: JSON.stringify(request),
        },
        ATTACKERS,
      );
      await attack.running;
      underAttack.push(...(await ordinaryLatencies(SAMPLES_PER_ROUND)));
      statuses.push(...(await attack.stop()));
    }

    // The attack ran alongside (at least one answer per two ordinary requests), every request refused.
    expect(statuses.length).toBeGreaterThanOrEqual((ROUNDS * SAMPLES_PER_ROUND) / 2);
    expect(new Set(statuses)).toEqual(new Set([400]));
    const [calm, busy] = [median(quiet), median(underAttack)];
    expect(busy / calm, `quiet median ${calm} ms, under attack ${busy} ms`).toBeLessThanOrEqual(3);
  });
});
