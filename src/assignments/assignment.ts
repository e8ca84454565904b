import type { Prisma } from '../generated/prisma/client.js';
import { builder, connectionOf } from '../core/builder.js';
import { loadEntity } from '../core/entities.js';
import type { CallerContext } from '../core/caller/index.js';
import { databaseEnum } from '../core/enums.js';
import { forbidden } from '../core/errors.js';
import { may } from '../core/permissions.js';
import { assertMayReadUser } from '../users/access.js';
import * as validate from '../core/validate.js';
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import { pageCounts, readPage } from '../core/json-page-sql.js';
import { ASSIGNMENT_TABLE } from './assignment-sql.js';
import { Course } from '../courses/course.js';
import { User } from '../users/user.js';
import { firstAssignmentIdsPerUser } from './user-pages-sql.js';
import { ASSIGNMENT_STATUSES, effectiveStatus, effectiveStatusWhere, type AssignmentStatusValue } from './status.js';

export const ASSIGNMENT_TYPES = ['manual', 'auto', 'risk_based'] as const;
export const RISK_ENTITY_TYPES = ['zone', 'driver', 'worker', 'equipment'] as const;
export type RiskEntityTypeValue = (typeof RISK_ENTITY_TYPES)[number];

export const AssignmentStatus = databaseEnum(
  'AssignmentStatus',
  ASSIGNMENT_STATUSES,
  'Where an assignment is in its life cycle. OVERDUE: active and past its due date.',
);
export const AssignmentType = databaseEnum('AssignmentType', ASSIGNMENT_TYPES, 'How an assignment came about.');
export const EntityType = databaseEnum('EntityType', RISK_ENTITY_TYPES, 'What a predictive risk score is about.');

/** What triggered a risk-based assignment, so a safety officer can see why. */
interface TriggerShape {
  scoreId: string | null;
  entityType: RiskEntityTypeValue;
  entityId: string;
  score: number;
  threshold: number;
}

export const AssignmentTrigger = builder.objectRef<TriggerShape>('AssignmentTrigger').implement({
  description: 'The predictive score that made the system assign this course.',
  fields: (t) => ({
    scoreId: t.exposeID('scoreId', {
      nullable: true,
      description: 'The predictive score row; null if it has since been deleted.',
    }),
    entityType: t.expose('entityType', { type: EntityType }),
    entityId: t.exposeID('entityId'),
    score: t.exposeFloat('score'),
    threshold: t.exposeFloat('threshold', { description: "The course's risk threshold at the time." }),
    person: t.field({
      type: User,
      nullable: true,
      description:
        'The person the score is about (a worker or driver), named like any user; null for a zone or equipment.',
      resolve: (trigger) =>
        trigger.entityType === 'worker' || trigger.entityType === 'driver' ? { id: trigger.entityId } : null,
    }),
  }),
});

export const Assignment = builder.prismaObject('TrainingAssignment', {
  variant: 'Assignment',
  select: { id: true },
  description: 'A course assigned to a user.',
  fields: (t) => ({
    id: t.exposeID('id'),
    course: t.relation('course', { type: Course }),
    user: t.field({ type: User, select: { userId: true }, resolve: (assignment) => ({ id: assignment.userId }) }),
    assignedBy: t.field({
      type: User,
      nullable: true,
      description: 'Who assigned it; null when the system did.',
      select: { assignedBy: true },
      resolve: (assignment) => (assignment.assignedBy ? { id: assignment.assignedBy } : null),
    }),
    assignmentType: t.field({
      type: AssignmentType,
      select: { assignmentType: true },
      resolve: (assignment) => assignment.assignmentType as (typeof ASSIGNMENT_TYPES)[number],
    }),
    assignmentReason: t.exposeString('assignmentReason', { nullable: true }),
    dueDate: t.expose('dueDate', { type: 'Date', nullable: true }),
    status: t.field({
      type: AssignmentStatus,
      select: { status: true, dueDate: true },
      resolve: (assignment) => effectiveStatus(assignment.status, assignment.dueDate),
    }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', nullable: true }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    cancelledAt: t.expose('cancelledAt', { type: 'DateTime', nullable: true }),
    cancelledBy: t.field({
      type: User,
      nullable: true,
      select: { cancelledBy: true },
      resolve: (assignment) => (assignment.cancelledBy ? { id: assignment.cancelledBy } : null),
    }),
    cancelReason: t.exposeString('cancelReason', { nullable: true }),
    trigger: t.field({
      type: AssignmentTrigger,
      nullable: true,
      description: 'Set on risk-based assignments: the score that triggered it.',
      select: {
        triggerScoreId: true,
        triggerEntityType: true,
        triggerEntityId: true,
        triggerScore: true,
        triggerThreshold: true,
      },
      resolve: (assignment) =>
        assignment.triggerEntityType && assignment.triggerEntityId && assignment.triggerScore !== null
          ? {
              scoreId: assignment.triggerScoreId,
              entityType: assignment.triggerEntityType as RiskEntityTypeValue,
              entityId: assignment.triggerEntityId,
              score: Number(assignment.triggerScore),
              threshold: Number(assignment.triggerThreshold),
            }
          : null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.asEntity(Assignment, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (reference, context) =>
    // One statement for every Assignment representation of the request.
    loadEntity(context, 'Assignment', reference.id, (ids) =>
      context.db.trainingAssignment.findMany({ where: { id: { in: ids }, tenantId: context.caller?.tenantId } }),
    ),
});

export const AssignmentConnection = connectionOf('AssignmentConnection', Assignment);

export const AssignmentFilter = builder.inputType('AssignmentFilter', {
  fields: (t) => ({
    status: t.field({ type: AssignmentStatus }),
    courseId: t.id(),
    userId: t.id(),
    assignmentType: t.field({ type: AssignmentType }),
    dueBefore: t.field({ type: 'Date', description: 'Due strictly before this day.' }),
    dueAfter: t.field({ type: 'Date', description: 'Due strictly after this day.' }),
    zoneId: t.id({ description: 'Assignments of the people of this zone (a shift there).' }),
    equipmentId: t.id({ description: 'Assignments of the operators of this equipment.' }),
    from: t.field({
      type: 'Date',
      description: 'Completed on or after this day, or (not completed) assigned on or after it.',
    }),
    to: t.field({
      type: 'Date',
      description: 'Completed on or before this day, or (not completed) assigned on or before it.',
    }),
  }),
});

type AssignmentFilterInput = typeof AssignmentFilter.$inferInput;

export function assignmentWhere(
  tenantId: string,
  filter: AssignmentFilterInput | null | undefined,
  argPrefix = 'filter',
): Prisma.TrainingAssignmentWhereInput {
  const where: Prisma.TrainingAssignmentWhereInput[] = [{ tenantId }];
  if (filter?.status) where.push(effectiveStatusWhere(filter.status));
  if (filter?.courseId) where.push({ courseId: validate.uuid(`${argPrefix}.courseId`, filter.courseId) });
  if (filter?.userId) where.push({ userId: validate.uuid(`${argPrefix}.userId`, filter.userId) });
  if (filter?.assignmentType) where.push({ assignmentType: filter.assignmentType });
  if (filter?.dueBefore) where.push({ dueDate: { lt: filter.dueBefore } });
  if (filter?.dueAfter) where.push({ dueDate: { gt: filter.dueAfter } });
  if (filter?.zoneId) {
    const zoneId = validate.uuid(`${argPrefix}.zoneId`, filter.zoneId);
    where.push({ user: { shiftAssignments: { some: { zoneId } } } });
  }
  if (filter?.equipmentId) {
    const equipmentId = validate.uuid(`${argPrefix}.equipmentId`, filter.equipmentId);
    where.push({ user: { equipment: { some: { equipmentId } } } });
  }
  // As the analytics breakdowns and the records export: the completion time, else the assignment time.
  const bounds = (range: { gte: Date } | { lt: Date }) => ({
    OR: [{ completedAt: range }, { completedAt: null, assignedAt: range }],
  });
  if (filter?.from) where.push(bounds({ gte: filter.from }));
  if (filter?.to) where.push(bounds({ lt: new Date(filter.to.getTime() + 86_400_000) }));
  return { AND: where };
}

export const ASSIGNMENT_ORDER: Prisma.TrainingAssignmentOrderByWithRelationInput[] = [
  { createdAt: 'desc' },
  { id: 'asc' },
];

/** What plugin-prisma hands a connection's resolver: the selection and the page. */
interface AssignmentPageQuery {
  include?: Prisma.TrainingAssignmentInclude;
  cursor?: Prisma.TrainingAssignmentWhereUniqueInput;
  take: number;
  skip: number;
}

/**
 * The options every assignment connection shares: its page, newest first, and its count
 * both read the rows `where` picks for the field's parent, arguments and caller.
 */
function assignmentPages<Parent, Args extends object>(
  where: (parent: Parent, args: Args, context: CallerContext) => Prisma.TrainingAssignmentWhereInput,
) {
  return {
    type: Assignment,
    cursor: 'id' as const,
    resolve: (
      query: AssignmentPageQuery,
      parent: Parent,
      args: Args,
      context: CallerContext,
      info: GraphQLResolveInfo,
    ) => {
      const filter = where(parent, args, context);
      return readPage(
        context,
        info,
        args,
        { table: ASSIGNMENT_TABLE, query, where: filter, orderBy: ASSIGNMENT_ORDER },
        () => context.db.trainingAssignment.findMany({ ...query, where: filter, orderBy: ASSIGNMENT_ORDER }),
      );
    },
    totalCount: (parent: Parent, args: Args, context: CallerContext) =>
      pageCounts.get(args) ?? context.db.trainingAssignment.count({ where: where(parent, args, context) }),
  };
}

interface StatusArgs {
  status?: AssignmentStatusValue | null;
}

builder.queryFields((t) => ({
  trainingAssignments: t.withAuth({ authenticated: true }).prismaConnection(
    {
      description: "The tenant's assignments, newest first. A worker gets only their own.",
      args: { filter: t.arg({ type: AssignmentFilter }) },
      ...assignmentPages((_root, args: { filter?: AssignmentFilterInput | null }, context) =>
        tenantAssignments(context, args.filter),
      ),
    },
    AssignmentConnection,
  ),
  userTrainingAssignments: t.withAuth({ authenticated: true }).prismaConnection(
    {
      description: "One user's assignments (a worker may ask only for their own).",
      args: { userId: t.arg.id({ required: true }), status: t.arg({ type: AssignmentStatus }) },
      ...assignmentPages((_root, args: StatusArgs & { userId: string }, context) =>
        userAssignments(context, args.userId, args.status),
      ),
    },
    AssignmentConnection,
  ),
  myTrainingAssignments: t.withAuth({ authenticated: true }).prismaConnection(
    {
      description: "The caller's own assignments.",
      args: { status: t.arg({ type: AssignmentStatus }) },
      ...assignmentPages((_root, args: StatusArgs, context) =>
        userAssignments(context, context.caller.userId, args.status),
      ),
    },
    AssignmentConnection,
  ),
}));

export function tenantAssignments(context: CallerContext, filter: AssignmentFilterInput | null | undefined) {
  const caller = context.caller;
  if (!may(caller.role, 'training.readAnyone')) {
    if (filter?.userId && validate.uuid('filter.userId', filter.userId) !== caller.userId) {
      throw forbidden('A worker may only read their own training');
    }
    return assignmentWhere(caller.tenantId, { ...filter, userId: caller.userId });
  }
  return assignmentWhere(caller.tenantId, filter);
}

export function userAssignments(
  context: CallerContext,
  userId: string,
  status: AssignmentStatusValue | null | undefined,
) {
  const id = validate.uuid('userId', userId);
  assertMayReadUser(context, id);
  return assignmentWhere(context.caller.tenantId, { userId: id, status });
}

/**
 * `User.trainingAssignments` under many users (a page of people, `_entities`) is batched: one statement
 * for the first page of every user asked for with the same arguments and selection, and one for their
 * counts, instead of one each per user. A page after a cursor is read per user, as any connection.
 */
interface UserPageKey {
  status: AssignmentStatusValue | null | undefined;
  take: number;
  include: AssignmentPageQuery['include'];
  select: Prisma.TrainingAssignmentSelect | undefined;
}
const userPageLoaders = new WeakMap<CallerContext, Map<string, DataLoader<string, unknown[]>>>();
const userCountLoaders = new WeakMap<CallerContext, Map<string, DataLoader<string, number>>>();

function loaderFor<V>(
  cache: WeakMap<CallerContext, Map<string, DataLoader<string, V>>>,
  context: CallerContext,
  key: string,
  batch: (userIds: readonly string[]) => Promise<V[]>,
): DataLoader<string, V> {
  let byKey = cache.get(context);
  if (!byKey) cache.set(context, (byKey = new Map()));
  let loader = byKey.get(key);
  if (!loader) byKey.set(key, (loader = new DataLoader<string, V>(batch)));
  return loader;
}

function firstPageOfUser(context: CallerContext, userId: string, page: UserPageKey): Promise<unknown[]> {
  return loaderFor(userPageLoaders, context, JSON.stringify(page), async (userIds) => {
    const ranked = await context.transaction((tx) =>
      firstAssignmentIdsPerUser(tx, context.caller.tenantId, userIds, page.status, page.take),
    );
    const owner = new Map(ranked.map((row) => [row.id, row.user_id]));
    // The selection plugin-prisma asked for (relations included), for the rows of every user at once.
    const selection = (page.select ? { select: page.select } : { include: page.include }) as {
      include?: Prisma.TrainingAssignmentInclude;
    };
    const rows: { id: string }[] = await context.db.trainingAssignment.findMany({
      ...selection,
      where: { tenantId: context.caller.tenantId, id: { in: [...owner.keys()] } },
      orderBy: ASSIGNMENT_ORDER,
    });
    return userIds.map((userId) => rows.filter((row) => owner.get(row.id) === userId));
  }).load(userId);
}

function countOfUser(context: CallerContext, userId: string, status: AssignmentStatusValue | null | undefined) {
  return loaderFor(userCountLoaders, context, status ?? '', async (userIds) => {
    const groups = await context.db.trainingAssignment.groupBy({
      by: ['userId'],
      where: { AND: [assignmentWhere(context.caller.tenantId, { status }), { userId: { in: [...userIds] } }] },
      _count: { _all: true },
    });
    const counts = new Map(groups.map((group) => [group.userId, group._count._all]));
    return userIds.map((userId) => counts.get(userId) ?? 0);
  }).load(userId);
}

builder.objectFields(User, (t) => ({
  trainingAssignments: t.withAuth({ authenticated: true }).prismaConnection(
    {
      description: "The user's assignments, newest first (a worker may only read their own).",
      args: { status: t.arg({ type: AssignmentStatus }) },
      type: Assignment,
      cursor: 'id',
      resolve: (query: AssignmentPageQuery & { select?: Prisma.TrainingAssignmentSelect }, user, args, context) => {
        // Checks the id and that the caller may read this user's training, per user.
        const where = userAssignments(context, user.id, args.status);
        if (query.cursor || query.skip || query.take < 0) {
          return context.db.trainingAssignment.findMany({ ...query, where, orderBy: ASSIGNMENT_ORDER }) as never;
        }
        const page = { status: args.status, take: query.take, include: query.include, select: query.select };
        return firstPageOfUser(context, user.id.toLowerCase(), page) as never;
      },
      totalCount: (user, args, context) => {
        userAssignments(context, user.id, args.status);
        return countOfUser(context, user.id.toLowerCase(), args.status);
      },
    },
    AssignmentConnection,
  ),
}));
