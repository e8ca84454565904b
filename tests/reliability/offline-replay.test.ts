import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../support/database.js';
import { replayOutboxes } from '../support/offline-replay.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * Offline outboxes replayed through chaos (cuts mid-flight, expired tokens, apps killed before recording an
 * answer, stale duplicates, reordered assignments and — on PostgreSQL — killed database connections): the
 * database must end with exactly the expected rows, every action applied once, no duplicate, nothing lost, and
 * every cancelled assignment's actions listed as conflicts. `npm run bench -- offline` runs it bigger.
 */

const DEVICES = 10;
const ASSIGNMENTS_PER_DEVICE = 10;
const CANCELLED_PER_DEVICE = 2;

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
});
afterAll(() => server?.stop());

describe('offline outboxes replayed through cuts, expired tokens, duplicates and killed connections', () => {
  it('applies every action exactly once and lists every conflict', { timeout: 240_000 }, async () => {
    const report = await replayOutboxes(server, admin, {
      devices: DEVICES,
      assignmentsPerDevice: ASSIGNMENTS_PER_DEVICE,
      cancelledPerDevice: CANCELLED_PER_DEVICE,
      reorder: true,
      killConnections: onPostgres,
    });

    // Exactly the expected rows: each assignment not cancelled completed once; cancelled ones untouched.
    expect(report.completed).toBe(DEVICES * (ASSIGNMENTS_PER_DEVICE - CANCELLED_PER_DEVICE));
    expect(report.expectedCompleted).toBe(report.completed);
    expect(report.duplicateRows).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.cancelledTouched).toBe(0);
    // Each differing answer and each conflict on an assignment not cancelled, with its key and bodies, for the logs.
    expect(report.mismatches, JSON.stringify(report.mismatches, null, 2)).toEqual([]);
    expect(report.unexpectedConflicts, JSON.stringify(report.unexpectedConflicts, null, 2)).toEqual([]);
    expect(report.stats.duplicateMismatches).toBe(0);
    // Every conflict is listed, and only the cancelled assignments' actions are conflicts.
    expect(new Set(report.conflicts.map((action) => action.assignmentId))).toEqual(report.cancelled);
    expect(report.conflicts).toHaveLength(report.cancelled.size * 2);
    expect(report.conflicts.every((action) => action.code === 'CONFLICT')).toBe(true);
    // The chaos happened.
    expect(report.stats.cut).toBeGreaterThan(0);
    expect(report.stats.expired).toBeGreaterThan(0);
    expect(report.stats.duplicates).toBeGreaterThan(0);
    expect(report.stats.restarts).toBeGreaterThan(0);
    if (onPostgres) expect(report.stats.killed).toBeGreaterThan(0);
  });
});
