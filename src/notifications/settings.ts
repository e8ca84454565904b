import path from 'node:path';
import { defineSettings } from '../core/settings.js';

export const notificationSettings = defineSettings('notifications', (setting, env) => ({
  /** DUE_SOON goes out this many days before an assignment's due date. */
  dueSoonDays: setting.integer('DUE_SOON_DAYS', 3),
  /** Cron expression (UTC) for DUE_SOON and OVERDUE notifications of every tenant; undefined: not scheduled. */
  remindersCron: setting.cron('REMINDERS_CRON', '10 * * * *'),
  /** SMTP server for notification e-mail (smtp://user:pass@host:port); undefined: .eml files in `mailDir`. */
  smtpUrl: setting.optionalText('SMTP_URL'),
  /**
   * The From address of notification e-mail (`training@example.com`, or `Name <address>`: the name shown is
   * always the tenant's organisation name); undefined: `training@` the host of PUBLIC_URL.
   */
  mailFrom: setting.optionalText('MAIL_FROM'),
  /** Where e-mail goes without SMTP_URL (one .eml file per message). */
  mailDir: path.resolve(env.MAIL_DIR ?? '.data/mail'),
  /**
   * How often the deliverer looks for notifications to e-mail; undefined: the deliverer is off. Off under
   * NODE_ENV=test unless a test sets it (every test server would otherwise write mail); `off` turns it off
   * anywhere (an instance that only serves reads; the HTTP benchmark).
   */
  emailPollMs:
    (env.EMAIL_POLL_MS === undefined && setting.nodeEnv === 'test') || env.EMAIL_POLL_MS?.toLowerCase() === 'off'
      ? undefined
      : setting.integer('EMAIL_POLL_MS', 5_000),
  /** Attempts per e-mail before it is marked failed. */
  emailMaxAttempts: setting.integer('EMAIL_MAX_ATTEMPTS', 5),
  /** The first retry waits this long; each further one twice as long as the one before. */
  emailRetryBaseMs: setting.integer('EMAIL_RETRY_BASE_MS', 60_000),
  /** Most e-mails one claim takes (of all tenants together); 500 is the most the claim takes at once. */
  emailBatchSize: setting.integer('EMAIL_BATCH_SIZE', 50, 1, 500),
  /** Most e-mails one claim takes of one tenant, so one tenant's backlog cannot hold up the others'. */
  emailBatchPerTenant: setting.integer('EMAIL_BATCH_PER_TENANT', 10, 1, 500),
}));
export type NotificationSettings = ReturnType<typeof notificationSettings.read>;

/** The From address: MAIL_FROM's address part, or `training@` the web app's host. */
export function mailFromAddress(mailFrom: string | undefined, publicUrl: string): string {
  if (mailFrom) return /<([^<>]+)>\s*$/.exec(mailFrom)?.[1]?.trim() ?? mailFrom.trim();
  return `training@${new URL(publicUrl).hostname}`;
}
