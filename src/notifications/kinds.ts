/** The kinds of notification, as stored (GraphQL: ASSIGNMENT_CREATED, …). */
export const NOTIFICATION_KINDS = [
  'assignment_created',
  'due_soon',
  'overdue',
  'certificate_expiring',
  'recertification_assigned',
  'risk_not_reduced',
  'completion_retracted',
] as const;
export type NotificationKindValue = (typeof NOTIFICATION_KINDS)[number];

/** Where a notification's e-mail is: pending → sending (claimed) → sent | pending (retry) | failed | skipped. */
export const EMAIL_STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const;
export type EmailStatusValue = (typeof EMAIL_STATUSES)[number];
