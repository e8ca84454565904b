import { randomUUID } from 'node:crypto';
import type { CallerTransaction } from '../core/caller/index.js';
import { badInput, notFound } from '../core/errors.js';
import { storedKind } from './kinds.js';
import type { QuestionDraft } from './question-draft.js';
import { QuizRule } from './input-rules.js';

/**
 * Writing checked drafts (question-rules.ts) to the bank, as the caller. Choice ids are random (v4, here and the
 * column's default): ids that grew with the order written would tell an attempt an ORDERING question's order.
 */

const questionColumns = (draft: QuestionDraft) => ({
  kind: storedKind(draft.kind),
  text: draft.text,
  points: draft.points,
  tags: draft.tags,
  acceptedAnswers: draft.acceptedAnswers,
  numericAnswer: draft.numericAnswer,
  tolerance: draft.tolerance,
  generalFeedback: draft.generalFeedback,
});

/** Creates the questions (one statement for the questions, one for all their choices); their ids, in order. */
export async function createQuestions(
  tx: CallerTransaction,
  tenantId: string,
  createdBy: string,
  drafts: readonly QuestionDraft[],
): Promise<string[]> {
  const ids = drafts.map(() => randomUUID());
  await tx.quizQuestion.createMany({
    data: drafts.map((draft, index) => ({ id: ids[index]!, tenantId, createdBy, ...questionColumns(draft) })),
  });
  const choices = drafts.flatMap((draft, index) =>
    draft.choices.map((choice, position) => ({
      tenantId,
      questionId: ids[index]!,
      position,
      text: choice.text,
      credit: choice.credit,
      feedback: choice.feedback,
      matchText: choice.matchText ?? null,
    })),
  );
  if (choices.length > 0) await tx.quizChoice.createMany({ data: choices });
  return ids;
}

/**
 * Replaces a question with the draft: a choice sent with its id keeps that id (saved answers and attempts still
 * point at it), choices not sent are removed, the others are new. NOT_FOUND for a question the caller cannot see;
 * BAD_USER_INPUT for a choice id that is not one of this question's.
 */
export async function updateQuestion(
  tx: CallerTransaction,
  tenantId: string,
  id: string,
  draft: QuestionDraft,
  path: string,
): Promise<void> {
  const { count } = await tx.quizQuestion.updateMany({ where: { id, tenantId }, data: questionColumns(draft) });
  if (count === 0) throw notFound('Question');
  const existing = new Set(
    (await tx.quizChoice.findMany({ where: { tenantId, questionId: id }, select: { id: true } })).map((row) => row.id),
  );
  draft.choices.forEach((choice, index) => {
    if (choice.id && !existing.has(choice.id)) {
      throw badInput(`${path}.choices[${index}].id`, 'is not a choice of this question', QuizRule.notAChoice);
    }
  });
  const rows = draft.choices.map((choice, position) => ({
    id: choice.id ?? randomUUID(),
    position,
    text: choice.text,
    credit: choice.credit,
    feedback: choice.feedback,
    match_text: choice.matchText ?? null,
  }));
  await tx.$executeRaw`
    DELETE FROM quiz_choices
    WHERE tenant_id = ${tenantId}::uuid AND question_id = ${id}::uuid
      AND NOT (id = ANY(${rows.map((row) => row.id)}::uuid[]))`;
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO quiz_choices (id, tenant_id, question_id, position, text, credit, feedback, match_text)
    SELECT c.id, ${tenantId}::uuid, ${id}::uuid, c.position, c.text, c.credit, c.feedback, c.match_text
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
         AS c(id uuid, position int, text text, credit float8, feedback text, match_text text)
    ON CONFLICT (tenant_id, id) DO UPDATE SET position = EXCLUDED.position, text = EXCLUDED.text, credit = EXCLUDED.credit,
                                   feedback = EXCLUDED.feedback, match_text = EXCLUDED.match_text`;
}
