import { builder } from '../core/builder.js';
import { ApiError, badInput } from '../core/errors.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import { parseGift } from './gift.js';
import { QuestionFormat } from './kinds.js';
import type { ImportProblem, QuestionDraft } from './question-draft.js';
import { checkQuestion } from './question-rules.js';
import { createQuestions } from './question-store.js';
import { Question } from './question.js';
import { QuizRule } from './input-rules.js';
import { Rule } from '../core/field-rules.js';

/** Importing questions written in a text format: each readable, well-formed question is added; the others reported. */

/** The most questions (read or not) one import takes: a larger bank is imported in parts. Also what the query cost counts its lists as. */
const MAX_IMPORTED = 200;
const MAX_TEXT = 500_000;

const ImportError = builder.objectRef<ImportProblem>('ImportError');
ImportError.implement({
  description: 'A question an import left out: the line its text starts on, and why.',
  fields: (t) => ({ line: t.exposeInt('line'), message: t.exposeString('message') }),
});

const QuestionImportResult = builder.objectRef<{ ids: string[]; errors: ImportProblem[] }>('QuestionImportResult');
QuestionImportResult.implement({
  fields: (t) => ({
    imported: t.int({ description: 'Questions added.', resolve: (result) => result.ids.length }),
    questions: t.prismaField({
      type: [Question],
      description: 'The questions added, in the order of the text.',
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_IMPORTED },
      resolve: async (query, result, _args, context) => {
        const rows = await context.db.quizQuestion.findMany({ ...query, where: { id: { in: result.ids } } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return result.ids.flatMap((id) => byId.get(id) ?? []);
      },
    }),
    errors: t.field({
      type: [ImportError],
      description: 'The questions left out, in the order of the text.',
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_IMPORTED },
      resolve: (result) => result.errors,
    }),
  }),
});

/** The drafts that pass the bank's checks, and a problem (at the question's line) for each that does not. */
function checked(drafts: readonly QuestionDraft[]): { drafts: QuestionDraft[]; errors: ImportProblem[] } {
  const accepted: QuestionDraft[] = [];
  const errors: ImportProblem[] = [];
  for (const draft of drafts) {
    try {
      accepted.push(checkQuestion('question', draft));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      errors.push({ line: draft.line ?? 0, message: error.message });
    }
  }
  return { drafts: accepted, errors };
}

builder.mutationField('importQuestions', (t) =>
  t.withAuth({ may: 'quizzes.manage' }).field({
    type: QuestionImportResult,
    description:
      'Adds the questions of a text to the bank (admins and safety officers). GIFT: Moodle’s format; a ' +
      '`$CATEGORY:` line tags the questions after it with its last path segment. A question that cannot be read ' +
      'or fails the checks is reported with its line; the others are added.',
    args: {
      format: t.arg({ type: QuestionFormat, required: true }),
      text: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, context) => {
      // Not trimmed: problems are reported by line.
      if (args.text.length > MAX_TEXT) {
        throw badInput('text', `must be at most ${MAX_TEXT} characters`, Rule.maxLength, { max: MAX_TEXT });
      }
      if (args.text.includes('\u0000')) throw badInput('text', 'must not contain NUL characters', Rule.noNul);
      const parsed = parseGift(args.text);
      const found = parsed.questions.length + parsed.errors.length;
      if (found > MAX_IMPORTED) {
        throw badInput(
          'text',
          `holds ${found} questions; import at most ${MAX_IMPORTED} at a time`,
          QuizRule.maxQuestions,
          {
            found,
            max: MAX_IMPORTED,
          },
        );
      }
      const { drafts, errors } = checked(parsed.questions);
      const { tenantId, userId } = context.caller;
      const ids =
        drafts.length === 0 ? [] : await context.transaction((tx) => createQuestions(tx, tenantId, userId, drafts));
      const problems = [...parsed.errors, ...errors].sort((a, b) => a.line - b.line);
      return { ids, errors: problems };
    },
  }),
);
