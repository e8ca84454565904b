import {
  AutoAssignTrainingSummaryDocument,
  MyTrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import {
  ENTITIES,
  fanOut,
  introspectionTrees,
  QUERY_HOST,
  repeated,
  repeatedBelow,
  representation,
} from '../../tests/support/abuse.js';
import { benchServerUrl } from '../../tests/support/database.js';
import { fmt, median, table } from '../../tests/support/report.js';
import { startRequestLoop } from '../../tests/support/request-loop.js';
import { ok, startTestServer, type Actor, type TestServer } from '../../tests/support/server.js';
import { liveClient, subscribe, subscribersReach, type LiveClient } from '../../tests/support/ws.js';
import type { Benchmark } from '../suite.js';

/**
 * What one tenant's abuse costs another tenant: tenant B's ordinary request, timed quiet and while
 * tenant A attacks, side by side in rounds (quiet, attacked, quiet, …) so that the machine's drift
 * weighs on both alike. Two attacks: abusive documents sent in a loop by two clients (each refused
 * before it reaches the database), and a flood of live events (80 subscriptions of ~150 KB per event,
 * 800 assignments), which each tenant's delivery budget paces.
 */

const ROUNDS = Number(process.env.FAIRNESS_ROUNDS ?? 4);
const SAMPLES = Number(process.env.FAIRNESS_SAMPLES ?? 25);
const ORDINARY = '{ trainingCourses(first: 10) { totalCount } }';

const ATTACKS: [string, { query: string; variables?: Record<string, unknown> }][] = [
  // The peer: the same loop of ordinary, valid requests, which any busy tenant sends.
  ['(peer) ordinary requests, looped', { query: ORDINARY }],
  ['fragment fan-out, 4 × 20 levels', { query: fanOut(QUERY_HOST, 4, 20) }],
  ['1,000 copies of a field', { query: repeated(QUERY_HOST, 1_000) }],
  ['copies merged below merged fields', { query: repeatedBelow(QUERY_HOST, 30) }],
  ['30 aliased introspection trees', { query: introspectionTrees(30) }],
  ['`_entities` of a type that is no entity', { query: ENTITIES, variables: { r: [representation('Profile')] } }],
];

async function timed(requests: number, send: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const row = (label: string, quiet: number[], attacked: number[]) => [
  label,
  fmt(median(quiet), 2),
  fmt(median(attacked), 2),
  `${fmt(median(attacked) / median(quiet), 2)}×`,
];

async function abusiveDocuments(server: TestServer, tenantA: Actor, tenantB: Actor) {
  const ordinary = () => ok(tenantB.request(ORDINARY));
  await timed(20, ordinary); // warm-up: connections, caches, JIT
  const rows = [];
  for (const [label, request] of ATTACKS) {
    const quiet: number[] = [];
    const attacked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      quiet.push(...(await timed(SAMPLES, ordinary)));
      const attack = startRequestLoop(
        server.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantA.token}` },
          body: JSON.stringify(request),
        },
        2,
      );
      await attack.running;
      attacked.push(...(await timed(SAMPLES, ordinary)));
      await attack.stop();
    }
    rows.push(row(label, quiet, attacked));
  }
  return rows;
}

const WORKERS = 800;
const HEAVY = `subscription { trainingAssignmentCreated { id ${Array.from(
  { length: 30 },
  (_, n) => `d${n}: course { description }`,
).join(' ')} } }`;

async function liveFlood(server: TestServer) {
  const flooder = await server.actor('admin');
  await server.owner.query(
    `INSERT INTO profiles (id, tenant_id, role) SELECT gen_random_uuid(), $1, 'worker' FROM generate_series(1, $2)`,
    [flooder.tenantId, WORKERS],
  );
  await server.owner.query(
    `INSERT INTO training_courses (tenant_id, title, description, category, created_by, auto_assign_enabled,
       entity_type, risk_threshold)
     VALUES ($1, 'Fatigue', repeat('d', 5000), 'risk_management', $2, true, 'worker', 70)`,
    [flooder.tenantId, flooder.userId],
  );
  await server.owner.query(
    `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score)
     SELECT $1, 'worker', id, 90 FROM profiles WHERE tenant_id = $1 AND role = 'worker'`,
    [flooder.tenantId],
  );
  const clients: LiveClient[] = Array.from({ length: 4 }, () => liveClient(server.url, flooder.token));
  try {
    const feeds = clients.flatMap((client) => Array.from({ length: 20 }, () => subscribe(client, HEAVY)));
    await subscribersReach(server.app, feeds.length);
    const victim = await server.actor('worker');
    const ordinary = () => ok(victim.request(MyTrainingAssignmentsDocument, { first: 20 }));
    await timed(20, ordinary);
    const quiet = await timed(ROUNDS * SAMPLES, ordinary);
    await ok(flooder.request(AutoAssignTrainingSummaryDocument, {}));
    const flooded = await timed(ROUNDS * SAMPLES, ordinary);
    const received = feeds.reduce((sum, feed) => sum + feed.results.length, 0);
    return [row(`live flood (${received} of ${feeds.length * WORKERS} events delivered meanwhile)`, quiet, flooded)];
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
}

export const fairness: Benchmark = {
  name: 'fairness',
  async run() {
    const server = await startTestServer({}, { serverUrl: benchServerUrl });
    try {
      const [tenantA, tenantB] = await Promise.all([server.actor('admin'), server.actor('admin')]);
      await server.owner.query(
        `INSERT INTO training_courses (tenant_id, title, category, created_by)
         SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid FROM generate_series(1, 25) n`,
        [tenantB.tenantId, tenantB.userId],
      );
      const rows = [...(await abusiveDocuments(server, tenantA, tenantB)), ...(await liveFlood(server))];
      return `## Fairness between tenants

Tenant B's ordinary request (a course page; for the live flood, a worker's assignments), timed one after
the other: quiet (the floor) and while tenant A attacks, in ${ROUNDS} alternating rounds of ${SAMPLES}
each; medians in ms. Abusive documents are sent by 2 looping clients in a worker thread; each is refused
with 400 before reaching the database (tests/api/abuse-fairness.test.ts asserts that). The live flood is
80 subscriptions of ~150 KB per event and 800 new assignments, paced by the tenant's delivery budget.
Goal: attacked within 3× of quiet. PostgreSQL server, default limits, introspection on.

${table(['attack by tenant A', 'quiet median ms', 'attacked median ms', 'ratio'], rows)}`;
    } finally {
      await server.stop();
    }
  },
};
