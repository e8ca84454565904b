import pg from 'pg';
import type { Caller } from '../../src/core/caller/index.js';

/**
 * The baseline: the auto-assignment rules row by row, as a straightforward
 * server function runs them — the courses and the latest scores fetched into the
 * program, then for every score that matches a course the users of its
 * entity, and for every matching course and user a query for an active
 * assignment, a query for a current passed completion, and an INSERT. It is made as fair as it can be:
 * one connection, one transaction (the edge function paid an HTTP round trip
 * per call), scores visited highest first so the trigger it records is the
 * same as ours, the same RLS role. It stops after `budgetMs` and reports how
 * far it got; the work is rolled back either way.
 */

export interface RowByRowResult {
  ms: number;
  scoresTotal: number;
  scoresDone: number;
  created: number;
  queries: number;
  /** Whether a complete run created exactly the rows ours created (bench_floor_rows). */
  sameRows: boolean;
  heapBefore: number;
  heapAfter: number;
}

interface CourseRow {
  id: string;
  entity_type: string;
  risk_threshold: string;
}
interface ScoreRow {
  id: string;
  entity_type: string;
  entity_id: string;
  score: string;
}

export async function rowByRow(url: string, caller: Caller, budgetMs: number): Promise<RowByRowResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let queries = 0;
  const query = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    queries++;
    return (await client.query<R>(text, params)).rows;
  };
  const heapBefore = process.memoryUsage().heapUsed;
  try {
    await client.query('BEGIN');
    await client.query(
      `SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', $1, true),
              set_config('app.user_id', $2, true), set_config('app.role', $3, true)`,
      [caller.tenantId, caller.userId, caller.role],
    );
    const started = performance.now();
    const courses = await query<CourseRow>(
      `SELECT id, entity_type, risk_threshold FROM training_courses
       WHERE tenant_id = $1 AND auto_assign_enabled AND risk_threshold IS NOT NULL`,
      [caller.tenantId],
    );
    const scores = await query<ScoreRow>(
      `SELECT DISTINCT ON (entity_type, entity_id) id, entity_type, entity_id, score FROM predictive_scores
       WHERE tenant_id = $1 ORDER BY entity_type, entity_id, computed_at DESC, created_at DESC, id DESC`,
      [caller.tenantId],
    );
    scores.sort((a, b) => Number(b.score) - Number(a.score));
    const heapAfter = process.memoryUsage().heapUsed;
    let done = 0;
    let created = 0;
    for (const score of scores) {
      if (performance.now() - started > budgetMs) break;
      const value = Number(score.score);
      const matching = courses.filter(
        (course) =>
          (course.entity_type === score.entity_type || course.entity_type === 'general') &&
          Number(course.risk_threshold) <= value,
      );
      done++;
      if (matching.length === 0) continue;
      const users =
        score.entity_type === 'zone'
          ? await query<{ user_id: string }>(
              `SELECT DISTINCT user_id FROM shift_assignments
               WHERE tenant_id = $1 AND zone_id = $2 AND ends_at > now() - interval '30 days'`,
              [caller.tenantId, score.entity_id],
            )
          : score.entity_type === 'equipment'
            ? await query<{ user_id: string }>(
                'SELECT user_id FROM equipment_operators WHERE tenant_id = $1 AND equipment_id = $2',
                [caller.tenantId, score.entity_id],
              )
            : await query<{ user_id: string }>('SELECT id AS user_id FROM profiles WHERE tenant_id = $1 AND id = $2', [
                caller.tenantId,
                score.entity_id,
              ]);
      for (const course of matching) {
        for (const { user_id: userId } of users) {
          const active = await query(
            `SELECT 1 FROM training_assignments WHERE tenant_id = $1 AND course_id = $2 AND user_id = $3
             AND status IN ('assigned', 'in_progress', 'overdue') LIMIT 1`,
            [caller.tenantId, course.id, userId],
          );
          if (active.length > 0) continue;
          const current = await query(
            `SELECT 1 FROM training_completions WHERE tenant_id = $1 AND course_id = $2 AND user_id = $3
             AND passed AND (expires_at IS NULL OR expires_at >= training_today()) LIMIT 1`,
            [caller.tenantId, course.id, userId],
          );
          if (current.length > 0) continue;
          await query(
            `INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, assignment_type,
               assignment_reason, due_date, status, trigger_score_id, trigger_score, trigger_threshold,
               trigger_entity_type, trigger_entity_id)
             VALUES ($1, $2, $3, NULL, 'risk_based', $4, training_today() + 14, 'assigned', $5, $6, $7, $8, $9)`,
            [
              caller.tenantId,
              course.id,
              userId,
              `High risk score (${value}) for ${score.entity_type} ${score.entity_id}`,
              score.id,
              score.score,
              course.risk_threshold,
              score.entity_type,
              score.entity_id,
            ],
          );
          created++;
        }
      }
    }
    const ms = performance.now() - started;
    let sameRows = false;
    if (done === scores.length) {
      const [difference] = (
        await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (
             (SELECT course_id, user_id, trigger_score_id, assignment_reason FROM training_assignments
              WHERE assignment_type = 'risk_based'
              EXCEPT SELECT course_id, user_id, trigger_score_id, assignment_reason FROM bench_floor_rows)
             UNION ALL
             (SELECT course_id, user_id, trigger_score_id, assignment_reason FROM bench_floor_rows
              EXCEPT SELECT course_id, user_id, trigger_score_id, assignment_reason FROM training_assignments
              WHERE assignment_type = 'risk_based')) d`,
        )
      ).rows;
      sameRows = difference?.n === 0;
    }
    return { ms, scoresTotal: scores.length, scoresDone: done, created, queries, sameRows, heapBefore, heapAfter };
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end();
  }
}
