import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { notFound } from '../core/errors.js';
import * as validate from '../core/validate.js';
import type { ClosedAttempt } from './attempt-sql.js';
import { recordPasses, retractPasses } from './results.js';

/**
 * Regrading a course's quiz after a key was fixed: every submitted attempt is scored again against the current key
 * in a few set-based statements, and the assignments whose result turns follow: one that no longer has a passed
 * attempt loses its quiz evidence (its completion marked failed, its certificate revoked with reason "regrade",
 * the assignment reopened, its holder notified); one that now has its first is completed as a pass would.
 */

interface Regraded extends ClosedAttempt {
  was_passed: boolean;
}

const RegradeResult = builder.objectRef<{ attemptsRegraded: number; changed: number }>('RegradeResult');
RegradeResult.implement({
  fields: (t) => ({
    attemptsRegraded: t.exposeInt('attemptsRegraded', { description: 'Submitted attempts scored again.' }),
    changed: t.exposeInt('changed', { description: 'Attempts whose score or result changed.' }),
  }),
});

/** Bulk work: 10,000 attempts regrade in about a second; the request's five seconds would be tight for more. */
const REGRADE_TIMEOUT_MS = 60_000;

export async function regradeCourse(tx: CallerTransaction, tenantId: string, publicUrl: string, courseId: string) {
  const course = await tx.trainingCourse.findFirst({ where: { id: courseId, tenantId }, select: { id: true } });
  if (!course) throw notFound('Course');
  const changed = await tx.$queryRaw<Regraded[]>`
    SELECT attempt_id::text, assignment_id::text, user_id::text, score, was_passed, passed
    FROM quiz_regrade(${tenantId}::uuid, ${courseId}::uuid)`;
  const [{ regraded }] = await tx.$queryRaw<[{ regraded: number }]>`
    SELECT count(*)::int AS regraded FROM quiz_attempts
    WHERE tenant_id = ${tenantId}::uuid AND course_id = ${courseId}::uuid AND status = 'submitted'`;
  const turned = [...new Set(changed.filter((row) => row.was_passed !== row.passed).map((row) => row.assignment_id))];
  if (turned.length > 0) {
    // Whether each assignment had a passed attempt before the regrade, and has one now.
    const standing = await tx.$queryRaw<{ assignment_id: string; passed_before: boolean; passes_now: boolean }[]>`
      SELECT a.assignment_id::text, bool_or(coalesce(c.was_passed, a.passed)) AS passed_before,
             bool_or(a.passed) AS passes_now
      FROM quiz_attempts a
      LEFT JOIN unnest(${changed.map((row) => row.attempt_id)}::uuid[], ${changed.map((row) => row.was_passed)}::boolean[])
             AS c(id, was_passed) ON c.id = a.id
      WHERE a.tenant_id = ${tenantId}::uuid AND a.assignment_id = ANY(${turned}::uuid[]) AND a.status = 'submitted'
      GROUP BY a.assignment_id`;
    const lost = standing.filter((row) => row.passed_before && !row.passes_now).map((row) => row.assignment_id);
    const gained = new Set(
      standing.filter((row) => !row.passed_before && row.passes_now).map((row) => row.assignment_id),
    );
    await retractPasses(tx, tenantId, lost);
    await recordPasses(
      tx,
      tenantId,
      publicUrl,
      changed.filter((row) => row.passed && gained.has(row.assignment_id)),
    );
  }
  return { attemptsRegraded: regraded, changed: changed.length };
}

builder.mutationField('regradeQuiz', (t) =>
  t.withAuth({ may: 'quizzes.manage' }).field({
    type: RegradeResult,
    description:
      "Scores every submitted attempt at the course's quiz again against the current key (admins and safety " +
      'officers). Passes taken back retract their completions (certificates revoked with reason "regrade"); new ' +
      'passes complete their assignments.',
    args: { courseId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => {
      const courseId = validate.uuid('courseId', args.courseId);
      const { tenantId } = context.caller;
      return context.transaction((tx) => regradeCourse(tx, tenantId, context.services.config.publicUrl, courseId), {
        timeout: REGRADE_TIMEOUT_MS,
      });
    },
  }),
);
