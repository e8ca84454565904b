import { builder, connectionOf } from '../core/builder.js';
import type { CallerContext } from '../core/caller/index.js';
import { badInput } from '../core/errors.js';
import * as validate from '../core/validate.js';
import type { Prisma } from '../generated/prisma/client.js';
import { User } from '../users/user.js';
import { Rule } from '../core/field-rules.js';

/**
 * The audit trail: rows appended by the database's audit trigger (migration 20261209000100_audit_trail) in the
 * transaction of every write to a tenant table. Read here by admins (RLS: admins of the tenant only).
 */
export const AuditAction = builder.enumType('AuditAction', {
  values: {
    CREATE: { value: 'create', description: 'A row was inserted.' },
    UPDATE: { value: 'update', description: 'Fields of a row changed.' },
    DELETE: { value: 'delete', description: 'A row was deleted.' },
  } as const,
});

export const AuditEvent = builder.prismaObject('AuditEvent', {
  select: { id: true },
  description: 'One write to one row of the tenant, recorded in the same transaction (append-only).',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime', description: "When the write's transaction ran." }),
    actor: t.field({
      type: User,
      nullable: true,
      description: 'Who wrote it; null for work of the system itself (migrations, owner maintenance).',
      select: { actorId: true },
      resolve: (row) => (row.actorId ? { id: row.actorId } : null),
    }),
    role: t.exposeString('role', { nullable: true, description: "The writer's role (admin, safety_officer, …)." }),
    action: t.field({
      type: AuditAction,
      select: { action: true },
      resolve: (row) => row.action as typeof AuditAction.$inferType & string,
    }),
    entityType: t.exposeString('entityType', { description: 'The table written (training_courses, …).' }),
    entityId: t.exposeID('entityId'),
    changes: t.field({
      type: 'JSON',
      description:
        '{ before, after }: the changed fields before and after (update), the whole row after (create) or ' +
        'before (delete); secrets show as "[redacted]".',
      select: { changes: true },
      resolve: (row) => row.changes,
    }),
    requestId: t.exposeString('requestId', {
      nullable: true,
      description: 'The HTTP request (X-Request-Id) or WebSocket connection that wrote it.',
    }),
  }),
});

export const AuditEventConnection = connectionOf('AuditEventConnection', AuditEvent);

export const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    entityId: t.id(),
    actorId: t.id(),
    action: t.field({ type: AuditAction }),
    from: t.field({ type: 'DateTime', description: 'At or after this instant.' }),
    to: t.field({ type: 'DateTime', description: 'Before this instant.' }),
  }),
});

function auditWhere(
  context: CallerContext,
  filter: typeof AuditEventFilter.$inferInput | null | undefined,
): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = { tenantId: context.caller.tenantId };
  if (filter?.entityId) where.entityId = validate.uuid('filter.entityId', filter.entityId);
  if (filter?.actorId) where.actorId = validate.uuid('filter.actorId', filter.actorId);
  if (filter?.action) where.action = filter.action;
  if (filter?.from && filter.to && filter.from > filter.to) {
    throw badInput('filter.to', 'must not be before filter.from', Rule.notBefore, { other: 'filter.from' });
  }
  if (filter?.from || filter?.to) where.at = { gte: filter.from ?? undefined, lt: filter.to ?? undefined };
  return where;
}

builder.queryField('auditEvents', (t) =>
  t.withAuth({ may: 'audit.read' }).prismaConnection(
    {
      type: AuditEvent,
      cursor: 'id',
      description: "The tenant's audit trail, newest first (admin).",
      args: { filter: t.arg({ type: AuditEventFilter }) },
      resolve: (query, _root, args, context) =>
        context.db.auditEvent.findMany({ ...query, where: auditWhere(context, args.filter), orderBy: { seq: 'desc' } }),
      totalCount: (_root, args, context) => context.db.auditEvent.count({ where: auditWhere(context, args.filter) }),
    },
    AuditEventConnection,
  ),
);
