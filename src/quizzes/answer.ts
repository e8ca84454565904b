import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { attemptClosed, badInput, notFound } from '../core/errors.js';
import * as validate from '../core/validate.js';
import type { QuestionKindValue } from './kinds.js';
import { QuizRule } from './input-rules.js';
import { Rule } from '../core/field-rules.js';

/**
 * Saving an answer into an open attempt: checked against what the attempt shows (never the key, so a refusal
 * tells nothing about it), one row per question, the latest save winning and an identical one changing nothing.
 */

const AnswerMatchInput = builder.inputType('AnswerMatchInput', {
  fields: (t) => ({
    itemId: t.id({ required: true, description: 'An id of AttemptQuestion.items.' }),
    choiceId: t.id({ required: true, description: "An id of the question's choices (the partners)." }),
  }),
});

const AnswerInput = builder.inputType('AnswerInput', {
  description:
    "An answer; set the field of the question's kind only. SINGLE_CHOICE, TRUE_FALSE: choiceIds with one id; " +
    'MULTIPLE_CHOICE: choiceIds (any number); NUMERIC: number; SHORT_ANSWER: text; MATCHING: matches (an item ' +
    'at most once); ORDERING: order, every choice id once.',
  fields: (t) => ({
    choiceIds: t.idList(),
    number: t.float(),
    text: t.string(),
    matches: t.field({ type: [AnswerMatchInput] }),
    order: t.idList(),
  }),
});
type Answer = typeof AnswerInput.$inferInput;

/** An answer's columns, in a canonical form: saving the same answer twice compares equal. */
interface AnswerColumns {
  choiceIds: string[];
  number: number | null;
  text: string | null;
  matches: { itemId: string; choiceId: string }[] | null;
  ordering: string[];
}

interface Shown {
  kind: QuestionKindValue;
  choices: { id: string }[];
  items: { id: string }[] | null;
}

const FIELD_OF_KIND: Record<QuestionKindValue, keyof Answer> = {
  single_choice: 'choiceIds',
  true_false: 'choiceIds',
  multiple_choice: 'choiceIds',
  numeric: 'number',
  short_answer: 'text',
  matching: 'matches',
  ordering: 'order',
};

const ANSWER_FIELDS = ['choiceIds', 'number', 'text', 'matches', 'order'] as const;

function idsAmong(field: string, ids: readonly string[], allowed: ReadonlySet<string>): string[] {
  return ids.map((id, index) => {
    const checked = validate.uuid(`${field}[${index}]`, id);
    if (!allowed.has(checked)) {
      throw badInput(`${field}[${index}]`, 'is not a choice of this question', QuizRule.notAChoice);
    }
    return checked;
  });
}

/** The answer's columns when it fits the question as shown; BAD_USER_INPUT naming what does not fit otherwise. */
export function answerColumns(shown: Shown, answer: Answer): AnswerColumns {
  const field = FIELD_OF_KIND[shown.kind];
  for (const other of ANSWER_FIELDS) {
    if (other !== field && answer[other] != null) {
      throw badInput(
        `answer.${other}`,
        `does not apply to a ${shown.kind.toUpperCase()} question; send ${field}`,
        QuizRule.notForKind,
        { kind: shown.kind.toUpperCase() },
      );
    }
  }
  if (answer[field] == null)
    throw badInput(
      `answer.${field}`,
      `is required for a ${shown.kind.toUpperCase()} question`,
      QuizRule.requiredForKind,
      {
        kind: shown.kind.toUpperCase(),
      },
    );
  const none: AnswerColumns = { choiceIds: [], number: null, text: null, matches: null, ordering: [] };
  const choiceIds = new Set(shown.choices.map((choice) => choice.id));
  switch (shown.kind) {
    case 'single_choice':
    case 'true_false':
    case 'multiple_choice': {
      const ids = idsAmong('answer.choiceIds', answer.choiceIds!, choiceIds);
      if (shown.kind !== 'multiple_choice' && ids.length !== 1) {
        throw badInput('answer.choiceIds', 'must name exactly one choice', QuizRule.exactlyOneChoice);
      }
      if (new Set(ids).size !== ids.length) {
        throw badInput('answer.choiceIds', 'must not name a choice twice', Rule.unique);
      }
      return { ...none, choiceIds: ids.sort() };
    }
    case 'numeric':
      if (!Number.isFinite(answer.number)) {
        throw badInput('answer.number', 'must be a finite number', Rule.finiteNumber);
      }
      return { ...none, number: answer.number! };
    case 'short_answer':
      return { ...none, text: validate.text('answer.text', answer.text!, { max: 1000 }) };
    case 'matching': {
      const items = new Set((shown.items ?? []).map((item) => item.id));
      const matches = answer.matches!.map((match, index) => {
        const itemId = validate.uuid(`answer.matches[${index}].itemId`, match.itemId);
        const choiceId = validate.uuid(`answer.matches[${index}].choiceId`, match.choiceId);
        if (!items.has(itemId)) {
          throw badInput(`answer.matches[${index}].itemId`, 'is not an item of this question', QuizRule.notAnItem);
        }
        if (!choiceIds.has(choiceId)) {
          throw badInput(`answer.matches[${index}].choiceId`, 'is not a choice of this question', QuizRule.notAChoice);
        }
        return { itemId, choiceId };
      });
      if (new Set(matches.map((match) => match.itemId)).size !== matches.length) {
        throw badInput('answer.matches', 'must match an item at most once', QuizRule.matchOnce);
      }
      return { ...none, matches: matches.sort((a, b) => a.itemId.localeCompare(b.itemId)) };
    }
    case 'ordering': {
      const order = idsAmong('answer.order', answer.order!, choiceIds);
      if (new Set(order).size !== order.length || order.length !== choiceIds.size) {
        throw badInput(
          'answer.order',
          'must name every choice of the question exactly once',
          QuizRule.orderEveryChoice,
        );
      }
      return { ...none, ordering: order };
    }
  }
}

/** Why an answer was not saved: no such attempt of the caller's, the attempt closed, or no such question in it. */
async function whyNotSaved(
  tx: CallerTransaction,
  { tenantId, userId }: { tenantId: string; userId: string },
  attemptId: string,
): Promise<Error> {
  const [attempt] = await tx.$queryRaw<{ status: string; open: boolean }[]>`
    SELECT status, (deadline IS NULL OR deadline > now()) AS open FROM quiz_attempts
    WHERE tenant_id = ${tenantId}::uuid AND id = ${attemptId}::uuid AND user_id = ${userId}::uuid`;
  if (!attempt) return notFound('Quiz attempt');
  if (attempt.status === 'submitted') return attemptClosed('submitted');
  if (!attempt.open) return attemptClosed('deadline passed');
  return badInput('questionId', 'is not a question of this attempt', QuizRule.notInAttempt);
}

/**
 * Saves the caller's answer to one question of their open attempt. Touching the attempt first takes its row lock,
 * so the save and the attempt's closing (submit, deadline job) never interleave; a closed or expired attempt
 * refuses it with ATTEMPT_CLOSED and writes nothing.
 */
export async function saveAnswer(
  tx: CallerTransaction,
  caller: { tenantId: string; userId: string },
  attemptId: string,
  questionId: string,
  answer: Answer,
): Promise<void> {
  const { tenantId, userId } = caller;
  // One round trip: locks the open attempt and reads the question as it shows it.
  const [shown] = await tx.$queryRaw<
    { kind: QuestionKindValue; choices: { id: string }[]; items: { id: string }[] | null }[]
  >`
    UPDATE quiz_attempts a SET last_saved_at = now()
    FROM quiz_attempt_questions q
    WHERE a.tenant_id = ${tenantId}::uuid AND a.id = ${attemptId}::uuid AND a.user_id = ${userId}::uuid
      AND a.status = 'in_progress' AND (a.deadline IS NULL OR a.deadline > now())
      AND q.tenant_id = a.tenant_id AND q.attempt_id = a.id AND q.question_id = ${questionId}::uuid
    RETURNING q.kind, q.choices, q.items`;
  if (!shown) throw await whyNotSaved(tx, caller, attemptId);
  const columns = answerColumns(shown, answer);
  const matches = columns.matches === null ? null : JSON.stringify(columns.matches);
  // saved_at takes the new row's default (now()): a distributed database (Citus) refuses a function that is not
  // IMMUTABLE in an upsert's DO UPDATE SET.
  await tx.$executeRaw`
    INSERT INTO quiz_answers (tenant_id, attempt_id, question_id, choice_ids, number, text, matches, ordering)
    VALUES (${tenantId}::uuid, ${attemptId}::uuid, ${questionId}::uuid, ${columns.choiceIds}::uuid[],
            ${columns.number}::float8, ${columns.text}, ${matches}::jsonb, ${columns.ordering}::uuid[])
    ON CONFLICT (tenant_id, attempt_id, question_id) DO UPDATE
    SET choice_ids = EXCLUDED.choice_ids, number = EXCLUDED.number, text = EXCLUDED.text,
        matches = EXCLUDED.matches, ordering = EXCLUDED.ordering,
        revision = quiz_answers.revision + 1, saved_at = EXCLUDED.saved_at
    WHERE (quiz_answers.choice_ids, quiz_answers.number, quiz_answers.text, quiz_answers.matches, quiz_answers.ordering)
          IS DISTINCT FROM (EXCLUDED.choice_ids, EXCLUDED.number, EXCLUDED.text, EXCLUDED.matches, EXCLUDED.ordering)`;
}

builder.mutationField('saveQuizAnswer', (t) =>
  t.withAuth({ may: 'quizzes.take' }).boolean({
    description:
      'Saves the answer to one question of your open attempt (idempotent: the latest save wins, the same answer ' +
      "twice is one save). After submitting or the attempt's deadline: ATTEMPT_CLOSED.",
    args: {
      attemptId: t.arg.id({ required: true }),
      questionId: t.arg.id({ required: true }),
      answer: t.arg({ type: AnswerInput, required: true }),
    },
    resolve: async (_root, args, context) => {
      const attemptId = validate.uuid('attemptId', args.attemptId);
      const questionId = validate.uuid('questionId', args.questionId);
      await context.transaction((tx) => saveAnswer(tx, context.caller, attemptId, questionId, args.answer));
      return true;
    },
  }),
);
