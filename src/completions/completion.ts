import type { Prisma } from '../generated/prisma/client.js';
import { Assignment } from '../assignments/assignment.js';
import { builder, connectionOf } from '../core/builder.js';
import { loadEntity } from '../core/entities.js';
import type { CallerContext } from '../core/caller/index.js';
import { may } from '../core/permissions.js';
import { todayUtc } from '../core/today.js';
import { assertMayReadUser } from '../users/access.js';
import * as validate from '../core/validate.js';
import { Course } from '../courses/course.js';
import { User } from '../users/user.js';
// Maps Assignment.completions (read by the fields below) for the one-statement page reads.
import './completion-sql.js';

export const Completion = builder.prismaObject('TrainingCompletion', {
  variant: 'Completion',
  select: { id: true },
  description: 'One attempt at a course: passed or failed, with its certificate and expiry.',
  fields: (t) => ({
    id: t.exposeID('id'),
    assignment: t.relation('assignment', { type: Assignment }),
    course: t.relation('course', { type: Course }),
    user: t.field({ type: User, select: { userId: true }, resolve: (completion) => ({ id: completion.userId }) }),
    score: t.float({
      nullable: true,
      select: { score: true },
      resolve: (completion) => (completion.score === null ? null : Number(completion.score)),
    }),
    passed: t.exposeBoolean('passed'),
    completionTimeMinutes: t.exposeInt('completionTimeMinutes', { nullable: true }),
    certificateUrl: t.exposeString('certificateUrl', { nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', {
      type: 'Date',
      nullable: true,
      description: 'Last day the completion counts; null: it never expires.',
    }),
    expired: t.boolean({
      description: 'True once expiresAt has passed: the user needs recertification.',
      select: { expiresAt: true },
      resolve: (completion) => completion.expiresAt !== null && completion.expiresAt < todayUtc(),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.asEntity(Completion, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (reference, context) =>
    // One statement for every Completion representation of the request.
    loadEntity(context, 'Completion', reference.id, (ids) =>
      context.db.trainingCompletion.findMany({ where: { id: { in: ids }, tenantId: context.caller?.tenantId } }),
    ),
});

export const CompletionConnection = connectionOf('CompletionConnection', Completion);

const LATEST_FIRST: Prisma.TrainingCompletionOrderByWithRelationInput[] = [{ completedAt: 'desc' }, { id: 'asc' }];

builder.prismaObjectFields(Assignment, (t) => ({
  completion: t.field({
    type: Completion,
    nullable: true,
    description: 'The latest attempt, if any (a failed attempt leaves the assignment re-startable).',
    // Loaded inside the assignment's own query, with the sub-fields the client asked for.
    select: (_args, _context, nestedSelection) => ({
      completions: nestedSelection({ orderBy: LATEST_FIRST, take: 1 }),
    }),
    resolve: (assignment) => assignment.completions[0] ?? null,
  }),
  completions: t.relation('completions', {
    type: Completion,
    description: 'Every attempt, latest first.',
    query: { orderBy: LATEST_FIRST },
  }),
}));

export const CompletionFilter = builder.inputType('CompletionFilter', {
  fields: (t) => ({
    userId: t.id(),
    courseId: t.id(),
    assignmentId: t.id(),
    passed: t.boolean(),
    expired: t.boolean({ description: 'true: only expired; false: only current (or never expiring).' }),
    completedAfter: t.field({ type: 'DateTime' }),
    completedBefore: t.field({ type: 'DateTime' }),
  }),
});

function completionWhere(
  context: CallerContext,
  filter: typeof CompletionFilter.$inferInput | null | undefined,
): Prisma.TrainingCompletionWhereInput {
  const caller = context.caller;
  const where: Prisma.TrainingCompletionWhereInput[] = [{ tenantId: caller.tenantId }];
  if (filter?.userId) {
    const userId = validate.uuid('filter.userId', filter.userId);
    assertMayReadUser(context, userId);
    where.push({ userId });
  } else if (!may(caller.role, 'training.readAnyone')) {
    where.push({ userId: caller.userId });
  }
  if (filter?.courseId) where.push({ courseId: validate.uuid('filter.courseId', filter.courseId) });
  if (filter?.assignmentId) where.push({ assignmentId: validate.uuid('filter.assignmentId', filter.assignmentId) });
  if (filter?.passed != null) where.push({ passed: filter.passed });
  if (filter?.expired === true) where.push({ expiresAt: { lt: todayUtc() } });
  if (filter?.expired === false) where.push({ OR: [{ expiresAt: null }, { expiresAt: { gte: todayUtc() } }] });
  if (filter?.completedAfter) where.push({ completedAt: { gt: filter.completedAfter } });
  if (filter?.completedBefore) where.push({ completedAt: { lt: filter.completedBefore } });
  return { AND: where };
}

builder.queryField('trainingCompletions', (t) =>
  t.withAuth({ authenticated: true }).prismaConnection(
    {
      type: Completion,
      cursor: 'id',
      description: "The tenant's completions, latest first. A worker gets only their own.",
      args: { filter: t.arg({ type: CompletionFilter }) },
      resolve: (query, _root, args, context) =>
        context.db.trainingCompletion.findMany({
          ...query,
          where: completionWhere(context, args.filter),
          orderBy: LATEST_FIRST,
        }),
      totalCount: (_root, args, context) =>
        context.db.trainingCompletion.count({ where: completionWhere(context, args.filter) }),
    },
    CompletionConnection,
  ),
);

builder.objectFields(User, (t) => ({
  trainingCompletions: t.withAuth({ authenticated: true }).prismaConnection(
    {
      type: Completion,
      cursor: 'id',
      description: "The user's completions, latest first.",
      resolve: (query, user, _args, context) =>
        context.db.trainingCompletion.findMany({
          ...query,
          where: completionWhere(context, { userId: user.id }),
          orderBy: LATEST_FIRST,
        }),
      totalCount: (user, _args, context) =>
        context.db.trainingCompletion.count({ where: completionWhere(context, { userId: user.id }) }),
    },
    CompletionConnection,
  ),
}));
