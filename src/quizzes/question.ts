import type { Prisma } from '../generated/prisma/client.js';
import { builder, connectionOf } from '../core/builder.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import * as validate from '../core/validate.js';
import { draftKind, QuestionKind, type QuestionKindValue } from './kinds.js';
import type { QuestionDraft } from './question-draft.js';
import { checkQuestion, MAX_CHOICES } from './question-rules.js';
import { createQuestions, updateQuestion } from './question-store.js';

/** The question bank (admins and safety officers): its types, the list, and writing one question. */

export const Choice = builder.prismaObject('QuizChoice', {
  variant: 'Choice',
  select: { id: true },
  description:
    'A choice of a question. Choices come in the order written (an ORDERING question: the right order), but those ' +
    'of a TRUE_FALSE question: True, then False.',
  fields: (t) => ({
    id: t.exposeID('id'),
    text: t.exposeString('text', { description: 'Empty for a MATCHING distractor (only its matchText is offered).' }),
    credit: t.exposeFloat('credit', {
      description: 'Percent of the points this choice earns (negative: a wrong choice of a MULTIPLE_CHOICE question).',
    }),
    feedback: t.exposeString('feedback', { nullable: true }),
    matchText: t.exposeString('matchText', { nullable: true, description: "A MATCHING item's partner." }),
  }),
});

export const Question = builder.prismaObject('QuizQuestion', {
  variant: 'Question',
  select: { id: true },
  description: 'A question of the bank, with its key (admins and safety officers only).',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: QuestionKind, select: { kind: true }, resolve: (q) => q.kind as QuestionKindValue }),
    text: t.exposeString('text'),
    points: t.exposeFloat('points'),
    tags: t.exposeStringList('tags'),
    choices: t.relation('choices', {
      type: Choice,
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_CHOICES },
      query: { orderBy: [{ position: 'asc' }, { id: 'asc' }] },
    }),
    acceptedAnswers: t.exposeStringList('acceptedAnswers', {
      description: 'SHORT_ANSWER: the answers accepted (case and spacing ignored).',
    }),
    numericAnswer: t.exposeFloat('numericAnswer', { nullable: true }),
    tolerance: t.exposeFloat('tolerance', { nullable: true, description: 'NUMERIC: how far off is still right.' }),
    generalFeedback: t.exposeString('generalFeedback', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const QuestionConnection = connectionOf('QuestionConnection', Question);

const QuestionFilter = builder.inputType('QuestionFilter', {
  fields: (t) => ({
    tag: t.string({ description: 'Questions carrying this tag.' }),
    search: t.string({ description: 'Case-insensitive text in the question.' }),
  }),
});

export const ChoiceInput = builder.inputType('ChoiceInput', {
  fields: (t) => ({
    id: t.id({ description: 'An existing choice of the question: it is kept (saved answers still point at it).' }),
    text: t.string({ required: true }),
    credit: t.float({ defaultValue: 0, description: 'Percent of the points; −100 to 100 for MULTIPLE_CHOICE.' }),
    feedback: t.string(),
    matchText: t.string({ description: "MATCHING: this item's partner (an item without text is a distractor)." }),
  }),
});

export const QuestionInput = builder.inputType('QuestionInput', {
  fields: (t) => ({
    kind: t.field({ type: QuestionKind, required: true }),
    text: t.string({ required: true }),
    points: t.float({ defaultValue: 1 }),
    tags: t.stringList({ defaultValue: [] }),
    choices: t.field({ type: [ChoiceInput], description: 'ORDERING: in their right order.' }),
    acceptedAnswers: t.stringList(),
    numericAnswer: t.float(),
    tolerance: t.float(),
    generalFeedback: t.string({ description: 'Shown with the review whatever was answered.' }),
  }),
});

/** What the client sent, as a draft (question-draft.ts) for the one check every writer shares. */
function draftOf(input: typeof QuestionInput.$inferInput): QuestionDraft {
  return {
    kind: draftKind(input.kind),
    text: input.text,
    points: input.points ?? 1,
    tags: input.tags ?? [],
    choices: (input.choices ?? []).map((choice) => ({
      id: choice.id ?? undefined,
      text: choice.text,
      credit: choice.credit ?? 0,
      feedback: choice.feedback ?? null,
      matchText: choice.matchText ?? null,
    })),
    acceptedAnswers: input.acceptedAnswers ?? [],
    numericAnswer: input.numericAnswer ?? null,
    tolerance: input.tolerance ?? null,
    generalFeedback: input.generalFeedback ?? null,
  };
}

function questionWhere(tenantId: string, filter: typeof QuestionFilter.$inferInput | null | undefined) {
  const where: Prisma.QuizQuestionWhereInput = { tenantId };
  if (filter?.tag) where.tags = { has: validate.text('filter.tag', filter.tag, { max: 100 }) };
  const search = filter?.search ? validate.text('filter.search', filter.search, { max: 200 }) : '';
  // `%` and `_` typed by the user match themselves (Prisma sends `contains` as ILIKE unescaped).
  if (search) where.text = { contains: search.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' };
  return where;
}

const QUESTION_ORDER: Prisma.QuizQuestionOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'asc' }];

builder.queryFields((t) => ({
  questions: t.withAuth({ may: 'quizzes.manage' }).prismaConnection(
    {
      type: Question,
      cursor: 'id',
      description: "The tenant's question bank, newest first (admins and safety officers).",
      args: { filter: t.arg({ type: QuestionFilter }) },
      resolve: (query, _root, args, context) =>
        context.db.quizQuestion.findMany({
          ...query,
          where: questionWhere(context.caller.tenantId, args.filter),
          orderBy: QUESTION_ORDER,
        }),
      totalCount: (_root, args, context) =>
        context.db.quizQuestion.count({ where: questionWhere(context.caller.tenantId, args.filter) }),
    },
    QuestionConnection,
  ),
  question: t.withAuth({ may: 'quizzes.manage' }).prismaField({
    type: Question,
    nullable: true,
    description: 'One question of the bank; null when there is none with this id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.quizQuestion.findFirst({
        ...query,
        where: { id: validate.uuid('id', args.id), tenantId: context.caller.tenantId },
      }),
  }),
}));

builder.mutationFields((t) => ({
  createQuestion: t.withAuth({ may: 'quizzes.manage' }).prismaField({
    type: Question,
    description: 'Adds a question to the bank (admins and safety officers).',
    args: { input: t.arg({ type: QuestionInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const draft = checkQuestion('input', draftOf(input));
      const { tenantId, userId } = context.caller;
      const [id] = await context.transaction((tx) => createQuestions(tx, tenantId, userId, [draft]));
      return context.db.quizQuestion.findUniqueOrThrow({ ...query, where: { id: id! } });
    },
  }),
  updateQuestion: t.withAuth({ may: 'quizzes.manage' }).prismaField({
    type: Question,
    description:
      'Replaces a question (admins and safety officers). Choices sent with their id keep it; the others are new, ' +
      'and choices not sent are removed. Attempts keep what they showed; regradeQuiz scores them against the new key.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: QuestionInput, required: true }) },
    resolve: async (query, _root, { id, input }, context) => {
      const questionId = validate.uuid('id', id);
      const draft = checkQuestion('input', draftOf(input));
      await context.transaction((tx) => updateQuestion(tx, context.caller.tenantId, questionId, draft, 'input'));
      return context.db.quizQuestion.findUniqueOrThrow({ ...query, where: { id: questionId } });
    },
  }),
}));
