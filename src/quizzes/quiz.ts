import { builder } from '../core/builder.js';
import { badInput, notFound } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { Course } from '../courses/course.js';
import { QuizReview, type QuizReviewValue } from './kinds.js';
import { Rule } from '../core/field-rules.js';

/** The most questions an attempt draws (also what the query cost counts an attempt's questions as). */
export const MAX_QUESTION_COUNT = 100;

/** A course's quiz: which questions an attempt draws, how it passes, how long and how often it may be taken. */

export const Quiz = builder.prismaObject('CourseQuiz', {
  variant: 'Quiz',
  select: { id: true },
  description: "A course's quiz; each attempt draws its questions from the bank and is scored by the server.",
  fields: (t) => ({
    tags: t.exposeStringList('tags', { description: 'An attempt draws from the questions carrying any of these.' }),
    questionCount: t.exposeInt('questionCount', {
      description: 'Questions drawn per attempt (all the matching ones when the bank has fewer).',
    }),
    passMark: t.exposeFloat('passMark', { description: 'Percent score an attempt needs to pass.' }),
    timeLimitMinutes: t.exposeInt('timeLimitMinutes', { nullable: true, description: 'Null: no time limit.' }),
    maxAttempts: t.exposeInt('maxAttempts', { nullable: true, description: 'Per assignment; null: unlimited.' }),
    cooldownMinutes: t.exposeInt('cooldownMinutes', { description: 'Wait after a failed attempt.' }),
    shuffleChoices: t.exposeBoolean('shuffleChoices', {
      description: 'Shuffle the choices of choice questions per attempt (ORDERING and MATCHING always are).',
    }),
    review: t.field({ type: QuizReview, select: { review: true }, resolve: (quiz) => quiz.review as QuizReviewValue }),
  }),
});

builder.prismaObjectField(Course, 'quiz', (t) =>
  t.relation('quiz', { type: Quiz, nullable: true, description: "The course's quiz; null when it has none." }),
);

const QuizInput = builder.inputType('QuizInput', {
  fields: (t) => ({
    tags: t.stringList({ required: true, description: '1–50 tags.' }),
    questionCount: t.int({ required: true, description: `1–${MAX_QUESTION_COUNT}.` }),
    passMark: t.float({ required: true, description: '0–100.' }),
    timeLimitMinutes: t.int({ description: '1–1440; null: no limit.' }),
    maxAttempts: t.int({ description: '1–100 per assignment; null: unlimited.' }),
    cooldownMinutes: t.int({ defaultValue: 0, description: '0–525600.' }),
    shuffleChoices: t.boolean({ defaultValue: true }),
    review: t.field({ type: QuizReview, defaultValue: 'score' }),
  }),
});

function quizData(input: typeof QuizInput.$inferInput) {
  if (input.tags.length === 0 || input.tags.length > 50) {
    throw badInput('input.tags', 'must hold 1 to 50 tags', Rule.itemsRange, { min: 1, max: 50 });
  }
  const tags = input.tags.map((tag, index) => validate.text(`input.tags[${index}]`, tag, { min: 1, max: 100 }));
  return {
    tags: [...new Set(tags)],
    questionCount: validate.integer('input.questionCount', input.questionCount, { min: 1, max: MAX_QUESTION_COUNT }),
    passMark: validate.number('input.passMark', input.passMark, { min: 0, max: 100 }),
    timeLimitMinutes:
      input.timeLimitMinutes == null
        ? null
        : validate.integer('input.timeLimitMinutes', input.timeLimitMinutes, { min: 1, max: 1440 }),
    maxAttempts:
      input.maxAttempts == null ? null : validate.integer('input.maxAttempts', input.maxAttempts, { min: 1, max: 100 }),
    cooldownMinutes: validate.integer('input.cooldownMinutes', input.cooldownMinutes ?? 0, { min: 0, max: 525_600 }),
    shuffleChoices: validate.present('input.shuffleChoices', input.shuffleChoices) ?? true,
    review: validate.present('input.review', input.review) ?? 'score',
  };
}

builder.mutationField('setCourseQuiz', (t) =>
  t.withAuth({ may: 'quizzes.manage' }).prismaField({
    type: Quiz,
    description:
      "Sets a course's quiz (admins and safety officers). Attempts already started keep their questions and pass mark.",
    args: { courseId: t.arg.id({ required: true }), input: t.arg({ type: QuizInput, required: true }) },
    resolve: async (query, _root, args, context) => {
      const courseId = validate.uuid('courseId', args.courseId);
      const data = { ...quizData(args.input), updatedBy: context.caller.userId };
      const { tenantId } = context.caller;
      const id = await context.transaction(async (tx) => {
        const course = await tx.trainingCourse.findFirst({ where: { id: courseId, tenantId }, select: { id: true } });
        if (!course) throw notFound('Course');
        const quiz = await tx.courseQuiz.upsert({
          where: { tenantId_courseId: { tenantId, courseId } },
          create: { tenantId, courseId, ...data },
          update: data,
          select: { id: true },
        });
        return quiz.id;
      });
      return context.db.courseQuiz.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
