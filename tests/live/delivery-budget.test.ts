import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoAssignTrainingSummaryDocument,
  MyTrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { owner } from '../support/sql.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { liveClient, subscribe, subscribersReach, type LiveClient } from '../support/ws.js';

/**
 * One tenant's live deliveries cannot starve another tenant's requests: each
 * tenant's deliveries get a budget of bytes and shaping time per second
 * (LIVE_TENANT_BYTES_PER_SECOND, LIVE_TENANT_SHAPING_MS_PER_SECOND) and wait
 * their turn beyond it, delayed but not dropped. Tenant A's admin holds 4
 * sockets × 20 subscriptions each selecting a 5,000-character field under 30
 * aliases (~150 KB per event), then auto-assigns 800 workers: 64,000 events,
 * ~9.6 GB. Meanwhile tenant B's requests are all answered, in full, and tenant A's
 * events keep arriving, none dropped. What the flood costs tenant B in latency
 * is measured side by side by `npm run bench -- fairness` (BENCHMARKS.md).
 */

const SOCKETS = 4;
const SUBSCRIPTIONS_PER_SOCKET = 20;
const WORKERS = 800;
const HEAVY = `subscription { trainingAssignmentCreated { id ${Array.from(
  { length: 30 },
  (_, n) => `d${n}: course { description }`,
).join(' ')} } }`;
/** Requests of tenant B per phase (each phase also lasts at least FLOOD_MS). */
const REQUESTS = 40;
const FLOOD_MS = 8_000;

let server: TestServer;
const clients: LiveClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await server.stop();
});

/** Sequential requests of tenant B until `count` are done and at least `minMs` has passed: their answers. */
async function requestsFor(worker: Actor, count: number, minMs: number): Promise<number[]> {
  const assignmentCounts: number[] = [];
  const started = Date.now();
  while (assignmentCounts.length < count || Date.now() - started < minMs) {
    const answer = await ok(worker.request(MyTrainingAssignmentsDocument, { first: 20 }));
    assignmentCounts.push(answer.myTrainingAssignments.nodes.length);
  }
  return assignmentCounts;
}

describe('the delivery budget of a tenant', () => {
  it('answers another tenant’s requests in full while one tenant floods its subscribers, dropping nothing', async () => {
    const sql = owner(server.db);
    const flooder = await server.actor('admin');
    const tenantA = flooder.tenantId;
    await sql.query(
      `INSERT INTO profiles (id, tenant_id, role) SELECT gen_random_uuid(), $1, 'worker' FROM generate_series(1, $2)`,
      [tenantA, WORKERS],
    );
    await sql.query(
      `INSERT INTO training_courses (tenant_id, title, description, category, created_by, auto_assign_enabled,
         entity_type, risk_threshold)
       VALUES ($1, 'Fatigue', repeat('d', 5000), 'risk_management', $2, true, 'worker', 70)`,
      [tenantA, flooder.userId],
    );
    await sql.query(
      `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score)
       SELECT $1, 'worker', id, 90 FROM profiles WHERE tenant_id = $1 AND role = 'worker'`,
      [tenantA],
    );
    const flood = Array.from({ length: SOCKETS }, () => {
      const client = liveClient(server.url, flooder.token);
      clients.push(client);
      return Array.from({ length: SUBSCRIPTIONS_PER_SOCKET }, () => subscribe(client, HEAVY));
    }).flat();
    await subscribersReach(server.app, flood.length);

    const victim = await server.actor('worker');
    const run = await ok(flooder.request(AutoAssignTrainingSummaryDocument, {}));
    expect(run.autoAssignTraining.assignmentsCreated).toBe(WORKERS);
    const flooded = await requestsFor(victim, REQUESTS, FLOOD_MS);
    expect(flooded).toEqual(flooded.map(() => 0)); // answered, each in full (tenant B has no assignment)

    const received = flood.reduce((sum, feed) => sum + feed.results.length, 0);
    const summary = `tenant A received ${received} of ${flood.length * WORKERS} events`;
    // Delayed, not dropped: tenant A's events keep arriving, in full and without errors.
    expect(received, summary).toBeGreaterThan(0);
    expect(received, summary).toBeLessThan(flood.length * WORKERS);
    await eventually(() => flood.reduce((sum, feed) => sum + feed.results.length, 0) > received, 15_000);
    expect(flood.filter((feed) => feed.error !== undefined || feed.completed).map((feed) => feed.error)).toEqual([]);
    expect(server.app.services.liveEvents.stats().dropped).toBe(0);
    for (const feed of flood) {
      for (const data of feed.data as { trainingAssignmentCreated: Record<string, { description: string }> }[]) {
        expect(data.trainingAssignmentCreated.d29!.description).toHaveLength(5000);
      }
    }
  }, 180_000);
});
