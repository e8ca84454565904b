import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { PrismaClient } from '../generated/prisma/client.js';
import { runAsAppRole } from '../core/caller/index.js';
import { todayUtc } from '../core/today.js';
import { DEFAULT_ORGANISATION_NAME, logoPath } from '../tenants/branding.js';
import { emailAddressProblem } from '../core/validate.js';
import { RequestLog, type LogLines, type Logger } from '../core/logger.js';
import type { EmailStatusValue, NotificationKindValue } from './kinds.js';
import { composeMessage } from './message.js';
import { mailFromAddress, type NotificationSettings } from './settings.js';

/**
 * E-mails the outbox. Each batch is one claim through notification_emails_claim()
 * (migrations 20261204000100_fair_email_claims and 20261219100000_email_claims_by_tenant: a
 * narrow SECURITY DEFINER function, because RLS gives the application role no
 * cross-tenant view and a claim per tenant would cost a transaction per tenant
 * every poll). It reads which tenants have mail due, then one short statement per such
 * tenant locks its rows FOR UPDATE SKIP LOCKED, so instances
 * polling at the same moment split the rows and none is sent twice; it marks the
 * rows that need no e-mail (no address, an address that breaks the address rule,
 * the user opted out of that kind, a reminder or "new training" whose assignment was cancelled or
 * completed meanwhile) skipped in bulk with the reason, so they never take a place in
 * a batch, and claims the rest fairly: at most `emailBatchPerTenant` of one
 * tenant, in turns, so one tenant's backlog cannot hold up another tenant's mail.
 * The SMTP conversation then runs outside any transaction, and the outcome is
 * recorded after it: sent, retried later with exponential backoff, or failed after
 * the last attempt. Only a process dying between the server's acceptance and that
 * record can send a message again, once its lease has run out.
 */

/** A claimed row is another instance's to retry after this long (far above any SMTP timeout below). */
const LEASE_SECONDS = 300;
/**
 * How many of each tenant's oldest due rows one claim looks at: those needing no e-mail among them are
 * skipped in that claim, so a backlog of address-less rows drains this many per tenant per batch.
 */
const SCAN_PER_TENANT = 500;

export type DelivererConfig = Omit<NotificationSettings, 'dueSoonDays' | 'remindersCron'> & { publicUrl: string };

export interface DelivererOptions {
  prisma: PrismaClient;
  config: DelivererConfig;
  logger: Logger;
}

/** What one batch, or one round of batches, did. */
export interface DeliveryRound {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

export interface Deliverer {
  /** One claim and its sending: at most `emailBatchSize` e-mails, `emailBatchPerTenant` of one tenant. */
  runBatch(): Promise<DeliveryRound>;
  /** Batch after batch until nothing is due (what the poller runs; tests call both directly). */
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
  course_title: string | null;
  due_date: Date | null;
  expires_at: Date | null;
  /**
   * Set on the rows the claim marked skipped (no address, a bad address, opted out, the assignment cancelled or
   * completed before its mail went out); null on claimed rows.
   */
  skipped_because: string | null;
  locale: string | null;
  assignment_reason: string | null;
  tenant_name: string | null;
  logo_sha256: string | null;
}

/** One short statement; the role switch is local to its transaction (the function's only grantee is the app role). */
function claim(prisma: PrismaClient, config: DelivererConfig): Promise<ClaimedRow[]> {
  return runAsAppRole(
    prisma,
    (tx) => tx.$queryRaw<ClaimedRow[]>`SELECT * FROM notification_emails_claim(
      ${config.emailBatchSize}::int, ${config.emailBatchPerTenant}::int, ${SCAN_PER_TENANT}::int,
      ${LEASE_SECONDS}::int)`,
  );
}

function finish(
  prisma: PrismaClient,
  row: ClaimedRow,
  status: EmailStatusValue,
  error: string | null,
  retryAt: Date | null,
): Promise<unknown> {
  return runAsAppRole(
    prisma,
    (tx) => tx.$queryRaw`SELECT notification_email_finish(
      ${row.tenant_id}::uuid, ${row.id}::uuid, ${status}, ${error}, ${retryAt}::timestamptz)`,
  );
}

/**
 * SMTP when SMTP_URL is set, over one kept connection (a batch's messages go one after another; a new
 * connection per message cost more than the message); otherwise a transport that hands back the raw
 * message, written to MAIL_DIR.
 */
function transportFor(config: DelivererConfig): Transporter {
  if (config.smtpUrl) {
    return nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: 1,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as Parameters<typeof nodemailer.createTransport>[0]);
  }
  return nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { prisma, config, logger } = options;
  const transport = transportFor(config);
  // The name beside the address is each message's organisation.
  const fromAddress = mailFromAddress(config.mailFrom, config.publicUrl);

  async function send(row: ClaimedRow & { email: string }, log: LogLines): Promise<void> {
    const message = composeMessage({
      kind: row.kind,
      displayName: row.display_name,
      courseTitle: row.course_title,
      dueDate: row.due_date,
      expiresAt: row.expires_at,
      locale: row.locale,
      reason: row.assignment_reason,
      assignmentId: row.assignment_id,
      organisation: row.tenant_name,
      logoUrl: row.logo_sha256 ? config.publicUrl + logoPath(row.logo_sha256) : null,
      publicUrl: config.publicUrl,
      today: todayUtc(),
    });
    const info = (await transport.sendMail({
      from: { name: row.tenant_name ?? DEFAULT_ORGANISATION_NAME, address: fromAddress },
      to: row.display_name ? { name: row.display_name, address: row.email } : row.email,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: { 'X-Notification-Id': row.id, 'Content-Language': message.language },
    })) as { message?: Buffer | string };
    if (!config.smtpUrl) {
      mkdirSync(config.mailDir, { recursive: true });
      const file = path.join(config.mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${row.id}.eml`);
      writeFileSync(file, info.message ?? '');
      log.info({ path: file, to: row.email, subject: message.subject }, 'e-mail written (no SMTP_URL)');
    }
  }

  async function deliver(row: ClaimedRow, round: DeliveryRound, log: LogLines): Promise<void> {
    // The claim skips rows without an address in SQL; an address stored before the address rule held
    // (or written past it) is checked here again and never mailed when it breaks the rule.
    if (row.email === null || emailAddressProblem(row.email) !== undefined) {
      round.skipped++;
      log.warn({ notification: row.id }, 'e-mail skipped: no usable address');
      await finish(prisma, row, 'skipped', row.email === null ? 'no e-mail address' : 'invalid e-mail address', null);
      return;
    }
    try {
      await send({ ...row, email: row.email }, log);
    } catch (error) {
      const reason = (error as Error).message ?? String(error);
      if (row.attempts >= config.emailMaxAttempts) {
        round.failed++;
        log.error({ err: error, notification: row.id, attempts: row.attempts }, 'e-mail failed for good');
        await finish(prisma, row, 'failed', reason, null);
      } else {
        round.retried++;
        const delay = config.emailRetryBaseMs * 2 ** (row.attempts - 1);
        log.warn({ err: error, notification: row.id, attempts: row.attempts, delay }, 'e-mail failed; will retry');
        await finish(prisma, row, 'pending', reason, new Date(Date.now() + delay));
      }
      return;
    }
    round.sent++;
    await finish(prisma, row, 'sent', null, null);
  }

  /** One claim and its sending, added to `totals`; returns how many rows the claim took or skipped. */
  async function batch(totals: DeliveryRound, log: LogLines): Promise<number> {
    const rows = await claim(prisma, config);
    for (const row of rows) {
      if (row.skipped_because !== null) {
        totals.skipped++;
      } else {
        totals.claimed++;
        await deliver(row, totals, log);
      }
    }
    return rows.length;
  }

  // One batch or round at a time per deliverer: a caller arriving mid-round waits for it, then runs its own.
  // A round's lines share one trace id.
  let chain: Promise<unknown> = Promise.resolve();
  const serialized =
    (work: (totals: DeliveryRound, log: LogLines) => Promise<void>) =>
    (log: LogLines = new RequestLog(logger)): Promise<DeliveryRound> => {
      const round = chain.then(async () => {
        const totals: DeliveryRound = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0 };
        await work(totals, log);
        return totals;
      });
      chain = round.catch(() => undefined);
      return round;
    };
  const runBatch = serialized(async (totals, log) => void (await batch(totals, log)));
  // Each batch takes what is due by then, so mail that arrives during a long round still gets its turn.
  const runOnce = serialized(async (totals, log) => {
    while ((await batch(totals, log)) > 0);
  });

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const log = new RequestLog(logger);
    try {
      const round = await runOnce(log);
      if (round.claimed + round.skipped > 0) log.info(round, 'notification e-mail round');
    } catch (error) {
      log.error({ err: error }, 'notification e-mail round failed');
    }
    if (!stopped && config.emailPollMs !== undefined) timer = setTimeout(() => void tick(), config.emailPollMs);
  };
  if (config.emailPollMs !== undefined) timer = setTimeout(() => void tick(), config.emailPollMs);

  return {
    runBatch,
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
      transport.close();
    },
  };
}
