import DataLoader from 'dataloader';
import type { Context, CallerTransaction } from '../core/caller/index.js';

/**
 * The grader's functions (migration 20261207000200_quizzes), called as the caller: they read the key for the
 * caller's own attempts and answer only what the caller may learn.
 */

/** An attempt its closing scored. */
export interface ClosedAttempt {
  attempt_id: string;
  assignment_id: string;
  user_id: string;
  score: number;
  passed: boolean;
}

/**
 * Closes and scores attempts in progress: `submit` the caller's own given ones; otherwise the given ones (every
 * one of the tenant's when null) past their deadline. The call names only the function, the tenant first: Citus may
 * run it whole on the tenant's node, in the caller's connection.
 */
export function closeAttempts(
  tx: CallerTransaction,
  tenantId: string,
  attemptIds: readonly string[] | null,
  submit: boolean,
): Promise<ClosedAttempt[]> {
  return tx.$queryRaw<ClosedAttempt[]>`
    SELECT attempt_id::text, assignment_id::text, user_id::text, score, passed
    FROM quiz_close_attempts(${tenantId}::uuid, ${attemptIds}::uuid[], ${submit})`;
}

/** Closes the expired attempts of one assignment (before a new one may start). */
export async function closeExpiredOf(
  tx: CallerTransaction,
  tenantId: string,
  assignmentId: string,
): Promise<ClosedAttempt[]> {
  // Read first, then closed by a call whose arguments are values (not a subquery), as closeAttempts says.
  const expired = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM quiz_attempts
    WHERE tenant_id = ${tenantId}::uuid AND assignment_id = ${assignmentId}::uuid
      AND status = 'in_progress' AND deadline <= now()`;
  if (expired.length === 0) return [];
  return closeAttempts(
    tx,
    tenantId,
    expired.map((row) => row.id),
    false,
  );
}

export type StartRefusal = 'not_found' | 'not_started' | 'no_quiz' | 'no_questions' | 'no_attempts_left' | 'cooldown';

/** Starts an attempt of the caller's. The call names only the function: Citus may run it whole on the tenant's node. */
export async function startAttempt(
  tx: CallerTransaction,
  tenantId: string,
  assignmentId: string,
): Promise<{ attemptId: string | null; refusal: StartRefusal | null; retryAfterSeconds: number | null }> {
  const [row] = await tx.$queryRaw<
    { attempt_id: string | null; refusal: StartRefusal | null; retry_after_seconds: number | null }[]
  >`SELECT attempt_id::text, refusal, retry_after_seconds FROM quiz_start_attempt(${tenantId}::uuid, ${assignmentId}::uuid)`;
  return { attemptId: row!.attempt_id, refusal: row!.refusal, retryAfterSeconds: row!.retry_after_seconds };
}

/** What one question of a closed attempt shows in its review (the key: only when the review shows answers). */
export interface ReviewRow {
  attempt_id: string;
  question_id: string;
  /** 0–1 of the question's points. */
  credit: number;
  correct: { choiceIds?: string[]; number?: number; text?: string | null; matches?: unknown[]; order?: string[] };
  accepted_answers: string[];
  tolerance: number | null;
  feedback: string[];
}

/** One loader of each kind per request: every attempt of a response is read by one statement. */
const loaders = new WeakMap<
  object,
  {
    expired: DataLoader<string, { score: number; passed: boolean } | null>;
    review: DataLoader<string, ReviewRow[]>;
  }
>();

function loadersOf(context: Context) {
  let found = loaders.get(context);
  if (!found) {
    // The tenant first, as closeAttempts says; without a caller no attempt is found.
    const tenantId = context.caller?.tenantId ?? null;
    found = {
      expired: new DataLoader(async (ids) => {
        const rows = await context.transaction(
          (tx) =>
            tx.$queryRaw<{ attempt_id: string; score: number; passed: boolean }[]>`
            SELECT attempt_id::text, score, passed FROM quiz_expired_scores(${tenantId}::uuid, ${[...ids]}::uuid[])`,
        );
        const byId = new Map(rows.map((row) => [row.attempt_id, { score: row.score, passed: row.passed }]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
      review: new DataLoader(async (ids) => {
        const rows = await context.transaction(
          (tx) =>
            tx.$queryRaw<ReviewRow[]>`
            SELECT attempt_id::text, question_id::text, credit, correct, accepted_answers, tolerance, feedback
            FROM quiz_attempt_review(${tenantId}::uuid, ${[...ids]}::uuid[])`,
        );
        return ids.map((id) => rows.filter((row) => row.attempt_id === id));
      }),
    };
    loaders.set(context, found);
  }
  return found;
}

/** The score an attempt past its deadline gets once closed; null when it is not (yet) past it. */
export const expiredScore = (context: Context, attemptId: string) => loadersOf(context).expired.load(attemptId);

/** The review rows of a closed attempt the caller may see the answers of; empty otherwise. */
export const reviewRows = (context: Context, attemptId: string) => loadersOf(context).review.load(attemptId);
