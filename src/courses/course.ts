import type { Prisma } from '../generated/prisma/client.js';
import { builder, connectionOf } from '../core/builder.js';
import { loadEntity } from '../core/entities.js';
import { databaseEnum } from '../core/enums.js';
import { badInput, notFound } from '../core/errors.js';
import { sqlState } from '../core/database-errors.js';
import { CHECK_VIOLATION } from '../core/sqlstate.js';
import * as validate from '../core/validate.js';
import { User } from '../users/user.js';
import { announceQualificationChange } from '../users/qualification-change.js';
import { pageCounts, readPage } from '../core/json-page-sql.js';
import { COURSE_TABLE } from './course-sql.js';
import { CourseRequirements, CourseRequirementsInput, requirementsData, requirementsOf } from './requirements.js';
import { Rule } from '../core/field-rules.js';

export const COURSE_CATEGORIES = [
  'safety_fundamentals',
  'hazard_awareness',
  'equipment_safety',
  'emergency_response',
  'compliance',
  'risk_management',
  'other',
] as const;
export const DIFFICULTY_LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export const COURSE_ENTITY_TYPES = ['zone', 'driver', 'worker', 'equipment', 'general'] as const;

type CourseCategoryValue = (typeof COURSE_CATEGORIES)[number];
type DifficultyLevelValue = (typeof DIFFICULTY_LEVELS)[number];
export type CourseEntityTypeValue = (typeof COURSE_ENTITY_TYPES)[number];

export const CourseCategory = databaseEnum('CourseCategory', COURSE_CATEGORIES, 'What a course is about.');
export const DifficultyLevel = databaseEnum('DifficultyLevel', DIFFICULTY_LEVELS, 'How demanding a course is.');
export const CourseEntityType = databaseEnum(
  'CourseEntityType',
  COURSE_ENTITY_TYPES,
  'Which risk scores a course answers; GENERAL matches every entity type.',
);

export const Course = builder.prismaObject('TrainingCourse', {
  variant: 'Course',
  select: { id: true },
  description: 'A training course of the tenant.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description', { nullable: true }),
    category: t.field({
      type: CourseCategory,
      select: { category: true },
      resolve: (course) => course.category as CourseCategoryValue,
    }),
    contentUrl: t.exposeString('contentUrl', { nullable: true }),
    durationMinutes: t.exposeInt('durationMinutes', { nullable: true }),
    difficultyLevel: t.field({
      type: DifficultyLevel,
      nullable: true,
      select: { difficultyLevel: true },
      resolve: (course) => course.difficultyLevel as DifficultyLevelValue | null,
    }),
    riskThreshold: t.float({
      nullable: true,
      description: 'Risk score (0–100) at or above which the course is assigned automatically.',
      select: { riskThreshold: true },
      resolve: (course) => (course.riskThreshold === null ? null : Number(course.riskThreshold)),
    }),
    entityType: t.field({
      type: CourseEntityType,
      nullable: true,
      select: { entityType: true },
      resolve: (course) => course.entityType as CourseEntityTypeValue | null,
    }),
    autoAssignEnabled: t.exposeBoolean('autoAssignEnabled'),
    required: t.exposeBoolean('required'),
    expiryMonths: t.exposeInt('expiryMonths', {
      nullable: true,
      description: 'Months a passed completion stays valid; null: it never expires.',
    }),
    issuesCertificate: t.exposeBoolean('issuesCertificate'),
    highRiskExpiryMonths: t.exposeInt('highRiskExpiryMonths', {
      nullable: true,
      description:
        'Months a passed completion stays valid (instead of expiryMonths) when the user’s relevant latest risk ' +
        'score is at or above riskThreshold as they complete; at most expiryMonths; null: off.',
    }),
    rearmMargin: t.float({
      nullable: true,
      description:
        'Hysteresis of risk-based assignment (0–100; null: off): after a risk-based assignment of the course ends, ' +
        'it is assigned again only after a score below riskThreshold − rearmMargin and then a newer one at or above the threshold.',
      select: { rearmMargin: true },
      resolve: (course) => (course.rearmMargin === null ? null : Number(course.rearmMargin)),
    }),
    leadDays: t.exposeInt('leadDays', {
      nullable: true,
      description:
        'Trend-triggered assignment (1–365 days; null: off): the course is also assigned when the least-squares line ' +
        "over an entity's scores of the last 30 days (at least 3) reaches riskThreshold within this many days.",
    }),
    escalateAfterDays: t.exposeInt('escalateAfterDays', {
      nullable: true,
      description:
        "Days after a passed completion of a risk-based assignment at which an entity's latest score still at or above " +
        'the threshold is escalated (riskEscalations); null: off.',
    }),
    recertifyDaysBefore: t.exposeInt('recertifyDaysBefore', {
      nullable: true,
      description:
        'Days (0–365) before a passed completion expires when the course is assigned again (recertification); null: never.',
    }),
    requirements: t.field({
      type: CourseRequirements,
      select: { requiresQuiz: true, requiresContent: true, requiresPracticalEvaluation: true },
      resolve: requirementsOf,
    }),
    createdBy: t.field({ type: User, select: { createdBy: true }, resolve: (course) => ({ id: course.createdBy }) }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.asEntity(Course, {
  key: builder.selection<{ id: string }>('id'),
  // Runs under the caller's RLS view: another tenant's course resolves to null.
  resolveReference: (reference, context) =>
    // One statement for every Course representation of the request.
    loadEntity(context, 'Course', reference.id, (ids) =>
      context.db.trainingCourse.findMany({ where: { id: { in: ids }, tenantId: context.caller?.tenantId } }),
    ),
});

export const CourseConnection = connectionOf('CourseConnection', Course);

export const CourseFilter = builder.inputType('CourseFilter', {
  fields: (t) => ({
    category: t.field({ type: CourseCategory }),
    autoAssignEnabled: t.boolean(),
    entityType: t.field({ type: CourseEntityType }),
    required: t.boolean(),
    search: t.string({ description: 'Case-insensitive text in the title or description.' }),
  }),
});

export function courseWhere(tenantId: string, filter: typeof CourseFilter.$inferInput | null | undefined) {
  const where: Prisma.TrainingCourseWhereInput = { tenantId };
  if (!filter) return where;
  if (filter.category) where.category = filter.category;
  if (filter.entityType) where.entityType = filter.entityType;
  if (filter.autoAssignEnabled != null) where.autoAssignEnabled = filter.autoAssignEnabled;
  if (filter.required != null) where.required = filter.required;
  if (filter.search) {
    const text = validate.text('filter.search', filter.search, { max: 200 });
    if (text) {
      // Prisma sends `contains` as ILIKE '%…%' without escaping: `%` and `_` typed
      // by the user must match themselves, not act as wildcards.
      const search = text.replace(/[\\%_]/g, '\\$&');
      where.OR = [
        { title: { contains: search, mode: 'insensitive' } },
        { description: { contains: search, mode: 'insensitive' } },
      ];
    }
  }
  return where;
}

export const COURSE_ORDER: Prisma.TrainingCourseOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'asc' }];

builder.queryFields((t) => ({
  trainingCourses: t.withAuth({ authenticated: true }).prismaConnection(
    {
      type: Course,
      cursor: 'id',
      description: "The tenant's courses, newest first.",
      args: { filter: t.arg({ type: CourseFilter }) },
      resolve: (query, _root, args, context, info) => {
        const where = courseWhere(context.caller.tenantId, args.filter);
        return readPage(context, info, args, { table: COURSE_TABLE, query, where, orderBy: COURSE_ORDER }, () =>
          context.db.trainingCourse.findMany({ ...query, where, orderBy: COURSE_ORDER }),
        );
      },
      totalCount: (_root, args, context) =>
        pageCounts.get(args) ??
        context.db.trainingCourse.count({ where: courseWhere(context.caller.tenantId, args.filter) }),
    },
    CourseConnection,
  ),
  trainingCourse: t.withAuth({ authenticated: true }).prismaField({
    type: Course,
    nullable: true,
    description: 'One course of the tenant; null when there is none with this id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.trainingCourse.findFirst({
        ...query,
        where: { id: validate.uuid('id', args.id), tenantId: context.caller.tenantId },
      }),
  }),
}));

export const CreateTrainingCourseInput = builder.inputType('CreateTrainingCourseInput', {
  fields: (t) => ({
    title: t.string({ required: true }),
    description: t.string(),
    category: t.field({ type: CourseCategory, required: true }),
    contentUrl: t.string({ description: 'An absolute http(s) URL.' }),
    durationMinutes: t.int(),
    difficultyLevel: t.field({ type: DifficultyLevel }),
    riskThreshold: t.float({ description: '0–100.' }),
    entityType: t.field({ type: CourseEntityType }),
    autoAssignEnabled: t.boolean({ defaultValue: false }),
    required: t.boolean({ defaultValue: false }),
    expiryMonths: t.int(),
    issuesCertificate: t.boolean({ defaultValue: false }),
    highRiskExpiryMonths: t.int({ description: 'At most expiryMonths (which it needs).' }),
    rearmMargin: t.float({ description: '0–100; null: off.' }),
    leadDays: t.int({ description: '1–365; null: off.' }),
    escalateAfterDays: t.int({ description: '1–3650; null: off.' }),
    recertifyDaysBefore: t.int({ defaultValue: 30, description: '0–365; null: no recertification.' }),
    requirements: t.field({ type: CourseRequirementsInput, description: 'What completing it takes; default: none.' }),
  }),
});

export const UpdateTrainingCourseInput = builder.inputType('UpdateTrainingCourseInput', {
  description: 'Only the fields sent are changed; null clears an optional field.',
  fields: (t) => ({
    title: t.string(),
    description: t.string(),
    category: t.field({ type: CourseCategory }),
    contentUrl: t.string(),
    durationMinutes: t.int(),
    difficultyLevel: t.field({ type: DifficultyLevel }),
    riskThreshold: t.float(),
    entityType: t.field({ type: CourseEntityType }),
    autoAssignEnabled: t.boolean(),
    required: t.boolean(),
    expiryMonths: t.int(),
    issuesCertificate: t.boolean(),
    highRiskExpiryMonths: t.int(),
    rearmMargin: t.float(),
    leadDays: t.int(),
    escalateAfterDays: t.int(),
    recertifyDaysBefore: t.int({ description: '0–365; null: no recertification.' }),
    requirements: t.field({ type: CourseRequirementsInput, description: 'The requirements sent are changed.' }),
  }),
});

type CourseInput = Partial<typeof UpdateTrainingCourseInput.$inferInput>;

/** Validates what was sent; `undefined` means "not sent", `null` means "clear". */
function courseData(input: CourseInput): Prisma.TrainingCourseUncheckedUpdateInput {
  const optional = <T, R>(value: T | null | undefined, check: (value: T) => R): R | null | undefined =>
    value === undefined ? undefined : value === null ? null : check(value);
  return {
    ...validate.fields<Prisma.TrainingCourseUncheckedUpdateInput>({
      title: () =>
        optional(validate.present('input.title', input.title), (v) =>
          validate.text('input.title', v, { min: 1, max: 200 }),
        ) as string | undefined,
      description: () =>
        optional(input.description, (v) => validate.text('input.description', v, { max: 5000 }) || null),
      category: () => validate.present('input.category', input.category),
      contentUrl: () => optional(input.contentUrl, (v) => validate.httpUrl('input.contentUrl', v)),
      durationMinutes: () =>
        optional(input.durationMinutes, (v) => validate.integer('input.durationMinutes', v, { min: 1, max: 10_000 })),
      difficultyLevel: () => input.difficultyLevel,
      riskThreshold: () =>
        optional(input.riskThreshold, (v) => validate.number('input.riskThreshold', v, { min: 0, max: 100 })),
      entityType: () => input.entityType,
      autoAssignEnabled: () => validate.present('input.autoAssignEnabled', input.autoAssignEnabled),
      required: () => validate.present('input.required', input.required),
      expiryMonths: () =>
        optional(input.expiryMonths, (v) => validate.integer('input.expiryMonths', v, { min: 1, max: 600 })),
      issuesCertificate: () => validate.present('input.issuesCertificate', input.issuesCertificate),
      highRiskExpiryMonths: () =>
        optional(input.highRiskExpiryMonths, (v) =>
          validate.integer('input.highRiskExpiryMonths', v, { min: 1, max: 600 }),
        ),
      rearmMargin: () =>
        optional(input.rearmMargin, (v) => validate.number('input.rearmMargin', v, { min: 0, max: 100 })),
      leadDays: () => optional(input.leadDays, (v) => validate.integer('input.leadDays', v, { min: 1, max: 365 })),
      escalateAfterDays: () =>
        optional(input.escalateAfterDays, (v) => validate.integer('input.escalateAfterDays', v, { min: 1, max: 3650 })),
      recertifyDaysBefore: () =>
        optional(input.recertifyDaysBefore, (v) =>
          validate.integer('input.recertifyDaysBefore', v, { min: 0, max: 365 }),
        ),
    }),
    ...requirementsData(input.requirements),
  };
}

/** highRiskExpiryMonths needs expiryMonths and may not exceed it, whichever of the two a change sends. */
function checkHighRiskExpiry(expiryMonths: number | null | undefined, highRiskExpiryMonths: number | null | undefined) {
  if (highRiskExpiryMonths == null) return;
  if (expiryMonths == null) {
    throw badInput('input.highRiskExpiryMonths', 'needs expiryMonths', Rule.requiresField, { other: 'expiryMonths' });
  }
  if (highRiskExpiryMonths > expiryMonths) {
    throw badInput('input.highRiskExpiryMonths', `must be at most expiryMonths (${expiryMonths})`, Rule.atMostField, {
      other: 'expiryMonths',
      value: expiryMonths,
    });
  }
}

builder.mutationFields((t) => ({
  createTrainingCourse: t.withAuth({ may: 'courses.manage' }).prismaField({
    type: Course,
    description: 'Creates a course (admin, safety officer).',
    args: { input: t.arg({ type: CreateTrainingCourseInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const data = courseData(input) as Prisma.TrainingCourseUncheckedCreateInput;
      checkHighRiskExpiry(data.expiryMonths, data.highRiskExpiryMonths);
      const tenantId = context.caller.tenantId;
      // Read back with the tenant: Prisma reads a created row with relations selected by its id alone.
      const id = await context.transaction(async (tx) => {
        const created = await tx.trainingCourse.create({
          data: { ...data, tenantId, createdBy: context.caller.userId },
          select: { id: true },
        });
        if (data.required) await announceQualificationChange(tx, tenantId, null); // it concerns every user
        return created.id;
      });
      return context.db.trainingCourse.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateTrainingCourse: t.withAuth({ may: 'courses.manage' }).prismaField({
    type: Course,
    description: 'Changes the fields sent (admin, safety officer).',
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateTrainingCourseInput, required: true }),
    },
    resolve: async (query, _root, { id, input }, context) => {
      const courseId = validate.uuid('id', id);
      const data = courseData(input);
      const where = { id: courseId, tenantId: context.caller.tenantId };
      const count = await context
        .transaction(async (tx) => {
          if (data.expiryMonths !== undefined || data.highRiskExpiryMonths !== undefined) {
            // Checked against the stored values; should a concurrent change slip between, the table's CHECK
            // refuses the update (mapped below).
            const current = await tx.trainingCourse.findFirst({
              where,
              select: { expiryMonths: true, highRiskExpiryMonths: true },
            });
            if (!current) return 0;
            const expiry =
              data.expiryMonths === undefined ? current.expiryMonths : (data.expiryMonths as number | null);
            const highRisk =
              data.highRiskExpiryMonths === undefined
                ? current.highRiskExpiryMonths
                : (data.highRiskExpiryMonths as number | null);
            if (highRisk != null && expiry == null && data.highRiskExpiryMonths === undefined) {
              throw badInput(
                'input.expiryMonths',
                'cannot be cleared while highRiskExpiryMonths is set',
                Rule.keptByField,
                {
                  other: 'highRiskExpiryMonths',
                },
              );
            }
            if (highRisk != null && expiry != null && highRisk > expiry && data.highRiskExpiryMonths === undefined) {
              throw badInput(
                'input.expiryMonths',
                `must be at least highRiskExpiryMonths (${highRisk})`,
                Rule.atLeastField,
                {
                  other: 'highRiskExpiryMonths',
                  value: highRisk,
                },
              );
            }
            checkHighRiskExpiry(expiry, highRisk);
          }
          const updated = await tx.trainingCourse.updateManyAndReturn({ where, data, select: { required: true } });
          // Setting whether it is required, or the entity type of a required course, concerns every user.
          const concernsAll = data.required !== undefined || (data.entityType !== undefined && updated[0]?.required);
          if (updated.length > 0 && concernsAll) await announceQualificationChange(tx, context.caller.tenantId, null);
          return updated.length;
        })
        .catch((error: unknown) => {
          if (sqlState(error) === CHECK_VIOLATION) {
            throw badInput(
              'input.highRiskExpiryMonths',
              'must be at most expiryMonths (and needs it)',
              Rule.atMostField,
              {
                other: 'expiryMonths',
              },
            );
          }
          throw error;
        });
      if (count === 0) throw notFound('Course');
      return context.db.trainingCourse.findUniqueOrThrow({ ...query, where: { id: courseId } });
    },
  }),
}));
