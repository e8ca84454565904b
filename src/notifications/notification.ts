import type { Prisma } from '../generated/prisma/client.js';
import { Assignment } from '../assignments/assignment.js';
import { builder, connectionOf } from '../core/builder.js';
import { databaseEnum } from '../core/enums.js';
import { badInput } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { User } from '../users/user.js';
import { EMAIL_STATUSES, NOTIFICATION_KINDS, type EmailStatusValue, type NotificationKindValue } from './kinds.js';
import { Rule } from '../core/field-rules.js';

/**
 * The caller's notifications (the outbox rows written with each event, see the
 * migration 20261202000400_notifications) and their e-mail preferences. A user
 * only ever reads and marks their own: RLS says so too, whatever the role.
 */

export const NotificationKind = databaseEnum(
  'NotificationKind',
  NOTIFICATION_KINDS,
  'What a notification is about. Each is sent at most once per recipient and subject.',
);

export const NotificationEmailStatus = databaseEnum(
  'NotificationEmailStatus',
  EMAIL_STATUSES,
  "Where the notification's e-mail is: PENDING, SENDING, then SENT, FAILED or SKIPPED (see emailNote).",
);

export const Notification = builder.prismaObject('Notification', {
  select: { id: true },
  description: 'A message to the caller about their training, in the app and (unless opted out) by e-mail.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({
      type: NotificationKind,
      select: { kind: true },
      resolve: (notification) => notification.kind as NotificationKindValue,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true, description: 'null: unread.' }),
    emailStatus: t.field({
      type: NotificationEmailStatus,
      select: { emailStatus: true },
      resolve: (notification) => notification.emailStatus as EmailStatusValue,
    }),
    emailNote: t.exposeString('emailLastError', {
      nullable: true,
      description:
        'Why the e-mail was not sent: skipped ("no e-mail address", "opted out", "assignment cancelled", ' +
        '"assignment already completed", …) or the last delivery error.',
    }),
    assignment: t.relation('assignment', {
      type: Assignment,
      nullable: true,
      description: 'The assignment it is about (null for certificate expiry: see the completion it renews).',
    }),
  }),
});

export const NotificationConnection = connectionOf('NotificationConnection', Notification);

function myNotificationsWhere(tenantId: string, userId: string, unreadOnly: boolean | null | undefined) {
  const where: Prisma.NotificationWhereInput = { tenantId, userId };
  if (unreadOnly) where.readAt = null;
  return where;
}

builder.queryField('myNotifications', (t) =>
  t.withAuth({ authenticated: true }).prismaConnection(
    {
      type: Notification,
      cursor: 'id',
      description: "The caller's notifications, newest first.",
      args: { unreadOnly: t.arg.boolean({ description: 'Only those not marked read yet.' }) },
      resolve: (query, _root, args, context) =>
        context.db.notification.findMany({
          ...query,
          where: myNotificationsWhere(context.caller.tenantId, context.caller.userId, args.unreadOnly),
          orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        }),
      totalCount: (_root, args, context) =>
        context.db.notification.count({
          where: myNotificationsWhere(context.caller.tenantId, context.caller.userId, args.unreadOnly),
        }),
    },
    NotificationConnection,
  ),
);

/** Most ids one markNotificationsRead call takes. */
const MAX_MARK_IDS = 500;

builder.mutationField('markNotificationsRead', (t) =>
  t.withAuth({ authenticated: true }).int({
    description:
      "Marks the caller's notifications with these ids read; returns how many changed. " +
      "Unknown ids, ids already read and other users' notifications count 0.",
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_root, args, context) => {
      if (args.ids.length > MAX_MARK_IDS) {
        throw badInput('ids', `must hold at most ${MAX_MARK_IDS} ids`, Rule.maxItems, { max: MAX_MARK_IDS });
      }
      const ids = args.ids.map((id, index) => validate.uuid(`ids[${index}]`, id));
      if (ids.length === 0) return 0;
      const { count } = await context.db.notification.updateMany({
        where: { id: { in: ids }, tenantId: context.caller.tenantId, userId: context.caller.userId, readAt: null },
        data: { readAt: new Date() },
      });
      return count;
    },
  }),
);

interface PreferencesShape {
  emailOptOut: NotificationKindValue[];
}

export const NotificationPreferences = builder.objectRef<PreferencesShape>('NotificationPreferences').implement({
  description: "A user's notification settings.",
  fields: (t) => ({
    emailOptOut: t.field({
      type: [NotificationKind],
      description: 'Kinds sent in the app only, never by e-mail.',
      resolve: (preferences) => preferences.emailOptOut,
    }),
  }),
});

export const NotificationPreferencesInput = builder.inputType('NotificationPreferencesInput', {
  fields: (t) => ({
    emailOptOut: t.field({
      type: [NotificationKind],
      required: true,
      description: 'The complete list of kinds to get no e-mail for (replaces the previous one).',
    }),
  }),
});

/** Stored order is the enum's, whatever order the client sent. */
const inKindOrder = (kinds: readonly string[]): NotificationKindValue[] =>
  NOTIFICATION_KINDS.filter((kind) => kinds.includes(kind));

builder.objectField(User, 'notificationPreferences', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: NotificationPreferences,
    nullable: true,
    description:
      "The user's notification settings: the caller's own only; null for anyone else (an error would " +
      'void the whole answer that reached the user, e.g. a mutation result).',
    resolve: async (user, _args, context) => {
      if (user.id !== context.caller.userId) return null;
      const row = await context.db.notificationPreference.findUnique({
        where: { tenantId_userId: { tenantId: context.caller.tenantId, userId: user.id } },
        select: { emailOptOut: true },
      });
      return { emailOptOut: inKindOrder(row?.emailOptOut ?? []) };
    },
  }),
);

builder.mutationField('updateNotificationPreferences', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: NotificationPreferences,
    description: "Sets the caller's own notification settings.",
    args: { input: t.arg({ type: NotificationPreferencesInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const emailOptOut = inKindOrder(validate.present('input.emailOptOut', input.emailOptOut) ?? []);
      const { tenantId, userId } = context.caller;
      const row = await context.db.notificationPreference.upsert({
        where: { tenantId_userId: { tenantId, userId } },
        create: { tenantId, userId, emailOptOut },
        update: { emailOptOut, updatedAt: new Date() },
        select: { emailOptOut: true },
      });
      return { emailOptOut: inKindOrder(row.emailOptOut) };
    },
  }),
);
