import { Assignment, EntityType, type RiskEntityTypeValue } from '../assignments/assignment.js';
import { Completion } from '../completions/completion.js';
import { builder, connectionOf } from '../core/builder.js';
import { Course } from '../courses/course.js';
import { User } from '../users/user.js';

/**
 * Risk escalations: passed completions of risk-based assignments whose entity
 * still scored at or above the course's threshold `escalateAfterDays` after
 * them, recorded once per completion by the scheduled job `risk_escalation`
 * (escalation-sql.ts). Admins, safety officers and integrations read them.
 */
export const RiskEscalation = builder.prismaObject('RiskEscalation', {
  select: { id: true },
  description:
    "A risk-based training that did not lower the risk: the entity's latest score was still at or above the " +
    "course's threshold escalateAfterDays after the passed completion.",
  fields: (t) => ({
    id: t.exposeID('id'),
    course: t.relation('course', { type: Course }),
    user: t.field({ type: User, select: { userId: true }, resolve: (row) => ({ id: row.userId }) }),
    assignment: t.relation('assignment', { type: Assignment }),
    completion: t.relation('completion', { type: Completion }),
    entityType: t.field({
      type: EntityType,
      select: { entityType: true },
      resolve: (row) => row.entityType as RiskEntityTypeValue,
    }),
    entityId: t.exposeID('entityId'),
    scoreBefore: t.float({
      description: 'The score that triggered the assignment.',
      select: { scoreBefore: true },
      resolve: (row) => Number(row.scoreBefore),
    }),
    scoreNow: t.float({
      description: "The entity's latest score when escalated.",
      select: { scoreNow: true },
      resolve: (row) => Number(row.scoreNow),
    }),
    threshold: t.float({ select: { threshold: true }, resolve: (row) => Number(row.threshold) }),
    completedAt: t.expose('completedAt', { type: 'DateTime' }),
    escalatedAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const RiskEscalationConnection = connectionOf('RiskEscalationConnection', RiskEscalation);

builder.queryField('riskEscalations', (t) =>
  t.withAuth({ may: 'risk.oversee' }).prismaConnection(
    {
      type: RiskEscalation,
      cursor: 'id',
      description: "The tenant's risk escalations, newest first (admin, safety officer, integration).",
      resolve: (query, _root, _args, context) =>
        context.db.riskEscalation.findMany({
          ...query,
          where: { tenantId: context.caller.tenantId },
          orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        }),
      totalCount: (_root, _args, context) =>
        context.db.riskEscalation.count({ where: { tenantId: context.caller.tenantId } }),
    },
    RiskEscalationConnection,
  ),
);
