import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { PrismaClient } from '../generated/prisma/client.js';
import { APP_ROLE } from '../core/app-role.js';
import type { Logger } from '../core/logger.js';
import type { EmailStatusValue, NotificationKindValue } from './kinds.js';
import { composeMessage } from './message.js';
import type { NotificationSettings } from './settings.js';

/**
 * E-mails the outbox. Each round claims due rows of every tenant through
 * notification_emails_claim() (migration 20261202000400_notifications: a narrow
 * SECURITY DEFINER function, because RLS gives the application role no
 * cross-tenant view and a claim per tenant would cost a transaction per tenant
 * every poll). The claim locks rows FOR UPDATE SKIP LOCKED and marks them
 * 'sending' with a lease in one short transaction, so instances polling at the
 * same moment split the rows and none is sent twice; the SMTP conversation
 * then runs outside any transaction, and the outcome is recorded after it:
 * sent, retried later with exponential backoff, failed after the last attempt,
 * or skipped (no address, or the user opted out of that kind: the in-app
 * notification stays). Only a process dying between the server's acceptance
 * and that record can send a message again, once its lease has run out.
 */

/** A claimed row is another instance's to retry after this long (far above any SMTP timeout below). */
const LEASE_SECONDS = 300;
const BATCH_SIZE = 50;

export type DelivererConfig = Omit<NotificationSettings, 'dueSoonDays' | 'remindersCron'> & { publicUrl: string };

export interface DelivererOptions {
  prisma: PrismaClient;
  config: DelivererConfig;
  logger: Logger;
  batchSize?: number;
}

/** What one round did. */
export interface DeliveryRound {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

export interface Deliverer {
  /** Claims and sends until nothing is due (tests call it directly). */
  runOnce(): Promise<DeliveryRound>;
  /** Stops the timer, waits for a round in progress and closes the SMTP transport. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: NotificationKindValue;
  attempts: number;
  assignment_id: string | null;
  email: string | null;
  display_name: string | null;
  opted_out: boolean;
  course_title: string | null;
  due_date: Date | null;
  expires_at: Date | null;
}

function claim(prisma: PrismaClient, limit: number): Promise<ClaimedRow[]> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('role', ${APP_ROLE}, true)`;
    return tx.$queryRaw<ClaimedRow[]>`SELECT * FROM notification_emails_claim(${limit}::int, ${LEASE_SECONDS}::int)`;
  });
}

function finish(
  prisma: PrismaClient,
  id: string,
  status: EmailStatusValue,
  error: string | null,
  retryAt: Date | null,
): Promise<unknown> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('role', ${APP_ROLE}, true)`;
    return tx.$queryRaw`SELECT notification_email_finish(${id}::uuid, ${status}, ${error}, ${retryAt}::timestamptz)`;
  });
}

/** SMTP when SMTP_URL is set; otherwise a transport that hands back the raw message, written to MAIL_DIR. */
function transportFor(config: DelivererConfig): Transporter {
  if (config.smtpUrl) {
    return nodemailer.createTransport({
      url: config.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as Parameters<typeof nodemailer.createTransport>[0]);
  }
  return nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { prisma, config, logger } = options;
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const transport = transportFor(config);

  async function send(row: ClaimedRow & { email: string }): Promise<void> {
    const message = composeMessage({
      kind: row.kind,
      displayName: row.display_name,
      courseTitle: row.course_title,
      dueDate: row.due_date,
      expiresAt: row.expires_at,
      publicUrl: config.publicUrl,
    });
    const info = (await transport.sendMail({
      from: config.mailFrom,
      to: row.display_name ? { name: row.display_name, address: row.email } : row.email,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: { 'X-Notification-Id': row.id },
    })) as { message?: Buffer | string };
    if (!config.smtpUrl) {
      mkdirSync(config.mailDir, { recursive: true });
      const file = path.join(config.mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${row.id}.eml`);
      writeFileSync(file, info.message ?? '');
      logger.info({ path: file, to: row.email, subject: message.subject }, 'e-mail written (no SMTP_URL)');
    }
  }

  async function deliver(row: ClaimedRow, round: DeliveryRound): Promise<void> {
    if (!row.email || row.opted_out) {
      round.skipped++;
      await finish(prisma, row.id, 'skipped', row.email ? 'opted out' : 'no e-mail address', null);
      return;
    }
    try {
      await send({ ...row, email: row.email });
    } catch (error) {
      const reason = (error as Error).message ?? String(error);
      if (row.attempts >= config.emailMaxAttempts) {
        round.failed++;
        logger.error({ err: error, notification: row.id, attempts: row.attempts }, 'e-mail failed for good');
        await finish(prisma, row.id, 'failed', reason, null);
      } else {
        round.retried++;
        const delay = config.emailRetryBaseMs * 2 ** (row.attempts - 1);
        logger.warn({ err: error, notification: row.id, attempts: row.attempts, delay }, 'e-mail failed; will retry');
        await finish(prisma, row.id, 'pending', reason, new Date(Date.now() + delay));
      }
      return;
    }
    round.sent++;
    await finish(prisma, row.id, 'sent', null, null);
  }

  // One round at a time per deliverer: a caller arriving mid-round waits for it, then runs its own.
  let chain: Promise<unknown> = Promise.resolve();
  const runOnce = (): Promise<DeliveryRound> => {
    const round = chain.then(async () => {
      const totals: DeliveryRound = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0 };
      for (;;) {
        const rows = await claim(prisma, batchSize);
        totals.claimed += rows.length;
        for (const row of rows) await deliver(row, totals);
        if (rows.length < batchSize) return totals;
      }
    });
    chain = round.catch(() => undefined);
    return round;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      const round = await runOnce();
      if (round.claimed > 0) logger.info(round, 'notification e-mail round');
    } catch (error) {
      logger.error({ err: error }, 'notification e-mail round failed');
    }
    if (!stopped && config.emailPollMs !== undefined) timer = setTimeout(() => void tick(), config.emailPollMs);
  };
  if (config.emailPollMs !== undefined) timer = setTimeout(() => void tick(), config.emailPollMs);

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
      transport.close();
    },
  };
}
