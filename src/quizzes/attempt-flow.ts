import { builder } from '../core/builder.js';
import type { CallerContext } from '../core/caller/index.js';
import { attemptClosed, conflict, notFound, tooManyAttempts } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { closeAttempts, closeExpiredOf, startAttempt, type StartRefusal } from './attempt-sql.js';
import { QuizAttempt } from './attempt.js';
import { recordPasses } from './results.js';

/** Starting and submitting an attempt (the assignee, on their started assignment). */

function refusal(reason: StartRefusal, retryAfterSeconds: number | null): Error {
  switch (reason) {
    case 'not_found':
      return notFound('Assignment');
    case 'not_started':
      return conflict('Start the assignment before taking its quiz');
    case 'no_quiz':
      return conflict('This course has no quiz');
    case 'no_questions':
      return conflict("No question of the bank carries this quiz's tags yet");
    case 'no_attempts_left':
      return tooManyAttempts(null);
    case 'cooldown':
      return tooManyAttempts(retryAfterSeconds ?? 1);
  }
}

/**
 * Starts an attempt, or answers the one in progress (so a retried start after a lost response costs no attempt).
 * Attempts of the assignment past their deadline are closed and scored first, in a transaction of their own: a
 * refusal to start must not undo that.
 */
async function start(context: CallerContext, assignmentId: string): Promise<string> {
  const { tenantId } = context.caller;
  const { publicUrl } = context.services.config;
  await context.transaction(async (tx) => {
    const closed = await closeExpiredOf(tx, tenantId, assignmentId);
    await recordPasses(tx, tenantId, publicUrl, closed);
  });
  return context.transaction(async (tx) => {
    // Concurrent starts of one assignment queue here; the second finds the first's attempt in progress.
    const mine = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM training_assignments
      WHERE tenant_id = ${tenantId}::uuid AND id = ${assignmentId}::uuid AND user_id = ${context.caller.userId}::uuid
      FOR UPDATE`;
    if (mine.length === 0) throw notFound('Assignment');
    const started = await startAttempt(tx, tenantId, assignmentId);
    if (started.refusal) throw refusal(started.refusal, started.retryAfterSeconds);
    return started.attemptId!;
  });
}

/** Closes and scores the caller's open attempt (one past its deadline too, counted as submitted at its deadline). */
async function submit(context: CallerContext, attemptId: string): Promise<void> {
  const { tenantId, userId } = context.caller;
  await context.transaction(async (tx) => {
    const closed = await closeAttempts(tx, tenantId, [attemptId], true);
    if (closed.length === 0) {
      const attempt = await tx.quizAttempt.findFirst({
        where: { tenantId, id: attemptId, userId },
        select: { id: true },
      });
      if (!attempt) throw notFound('Quiz attempt');
      throw attemptClosed('submitted');
    }
    await recordPasses(tx, tenantId, context.services.config.publicUrl, closed);
  });
}

builder.mutationFields((t) => ({
  startQuizAttempt: t.withAuth({ may: 'quizzes.take' }).prismaField({
    type: QuizAttempt,
    description:
      'Starts an attempt at the quiz of your started assignment: draws its questions and freezes them. Answers the ' +
      'attempt already in progress when there is one. TOO_MANY_ATTEMPTS when none is left, or not yet (retryAfter).',
    args: { assignmentId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const id = await start(context, validate.uuid('assignmentId', args.assignmentId));
      return context.db.quizAttempt.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  submitQuizAttempt: t.withAuth({ may: 'quizzes.take' }).prismaField({
    type: QuizAttempt,
    description:
      'Submits your attempt: the server scores its saved answers. A pass is the quiz evidence of the assignment ' +
      '(and completes it when the quiz was its last requirement). A submitted attempt: ATTEMPT_CLOSED.',
    args: { attemptId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const id = validate.uuid('attemptId', args.attemptId);
      await submit(context, id);
      return context.db.quizAttempt.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
