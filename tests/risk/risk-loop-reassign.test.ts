import { describe, expect, it } from 'vitest';
import { RecordPredictiveScoresDocument, SetCourseRiskLoopDocument } from '../../src/generated/operations/graphql.js';
import { errorCode, ok } from '../support/server.js';
import {
  server,
  useRiskLoopServer,
  hoursAgo,
  tenant,
  score,
  autoAssign,
  dryThenReal,
  cancelActive,
} from './risk-loop-fixtures.js';

/** When auto-assignment assigns again: never from stale scores, and with hysteresis (rearmMargin). */

useRiskLoopServer();

describe('no re-trigger from stale scores', () => {
  it('a cancellation followed by the same old score assigns nothing; a newer score assigns again', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 80, hoursAgo(2));
    expect(await dryThenReal(t.officer)).toEqual([80]);
    await cancelActive(t);

    expect(await dryThenReal(t.officer)).toEqual([]);
    expect(await dryThenReal(t.service)).toEqual([]);

    // The ingest path runs the same statement: a newer score re-assigns, and says so in its trigger.
    await ok(
      t.service.request(RecordPredictiveScoresDocument, {
        scores: [{ entityType: 'WORKER', entityId: t.workerId, score: 77 }],
        autoAssign: true,
      }),
    );
    const rows = await server.owner.query<{ status: string; trigger_score: string }>(
      `SELECT status, trigger_score::text FROM training_assignments WHERE tenant_id = $1 ORDER BY created_at`,
      [t.tenantId],
    );
    expect(rows).toEqual([
      { status: 'cancelled', trigger_score: '80' },
      { status: 'assigned', trigger_score: '77' },
    ]);
  });

  it('a score sent late, computed before the cancellation, does not re-assign either', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 80, hoursAgo(5));
    await autoAssign(t.officer);
    await cancelActive(t);
    await score(t, 95, hoursAgo(1)); // newest score, but computed before the cancellation
    expect(await dryThenReal(t.officer)).toEqual([]);
  });
});

describe('hysteresis (rearmMargin)', () => {
  it('a score hovering around the threshold assigns once until it falls below threshold − rearmMargin', async () => {
    const t = await tenant({ threshold: 70, rearmMargin: 10 });
    await score(t, 72, hoursAgo(10));
    expect(await dryThenReal(t.officer)).toEqual([72]);
    await cancelActive(t);

    // Hovering: 69, 71, 65, 74 — never below 60.
    for (const value of [69, 71, 65, 74]) {
      await score(t, value, new Date());
      expect(await dryThenReal(t.officer)).toEqual([]);
    }
    // Below 60, still under the threshold: nothing yet.
    await score(t, 59, new Date());
    expect(await dryThenReal(t.officer)).toEqual([]);
    // Then at or above the threshold again: assigned, once.
    await score(t, 70, new Date(Date.now() + 1_000));
    expect(await dryThenReal(t.officer)).toEqual([70]);
    expect(await dryThenReal(t.officer)).toEqual([]);
  });

  it('without rearmMargin, a newer score at the threshold assigns again after a cancellation', async () => {
    const t = await tenant({ threshold: 70 });
    await score(t, 72, hoursAgo(10));
    await autoAssign(t.officer);
    await cancelActive(t);
    await score(t, 71, new Date());
    expect(await dryThenReal(t.officer)).toEqual([71]);
  });

  it('rearmMargin is validated (0–100) and another tenant cannot set it', async () => {
    const t = await tenant({ threshold: 70 });
    const bad = await t.officer.request(SetCourseRiskLoopDocument, { id: t.courseId, rearmMargin: 101 });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('input.rearmMargin');
    const stranger = await server.actor('admin');
    expect(errorCode(await stranger.request(SetCourseRiskLoopDocument, { id: t.courseId, rearmMargin: 5 }))).toBe(
      'NOT_FOUND',
    );
    const [row] = await server.owner.query<{ rearm_margin: string | null }>(
      'SELECT rearm_margin FROM training_courses WHERE id = $1',
      [t.courseId],
    );
    expect(row!.rearm_margin).toBeNull();
  });
});
