import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  MyNotificationsDocument,
  UpdateNotificationPreferencesDocument,
} from '../../src/generated/operations/graphql.js';
import { createDeliverer, type DelivererConfig } from '../../src/notifications/deliverer.js';
import { sleep } from '../support/wait.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { parseMail, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { formatDate } from '../../src/core/i18n/index.js';

/**
 * E-mail delivery of the outbox to a real SMTP server started here: exactly the
 * expected messages arrive (recipients, subjects, both parts, links), none twice,
 * with deliverers racing and with the server refusing the first attempts; opt-outs
 * and users without an address get no e-mail but keep the in-app notification;
 * without SMTP_URL the messages are .eml files.
 */

const PUBLIC_URL = 'https://training.example.com';
const logger = createLogger('silent');

let server: TestServer;
let smtp: TestSmtpServer;
let admin: Actor;
let courseId: string;

const config = (overrides: Partial<DelivererConfig> = {}): DelivererConfig => ({
  smtpUrl: smtp.url,
  mailFrom: 'Safety Training <training@example.com>',
  mailDir: '/nonexistent',
  publicUrl: PUBLIC_URL,
  emailPollMs: undefined,
  emailMaxAttempts: 5,
  emailRetryBaseMs: 20,
  emailBatchSize: 50,
  emailBatchPerTenant: 10,
  ...overrides,
});

beforeAll(async () => {
  server = await startTestServer({ PUBLIC_URL });
  smtp = await startSmtpServer();
  admin = await server.actor('admin');
  const created = await ok(
    admin.request(CreateTrainingCourseDocument, { input: { title: 'Confined Spaces', category: 'HAZARD_AWARENESS' } }),
  );
  courseId = created.createTrainingCourse.id;
});
afterAll(async () => {
  await smtp.close();
  await server.stop();
});

/** A worker of the admin's tenant, known to the API (their profile holds `email`). */
async function worker(options: { name?: string; email?: string } = {}): Promise<Actor> {
  const actor = await server.actor('worker', { tenantId: admin.tenantId, ...options });
  await ok(actor.request('{ me { id } }'));
  return actor;
}

async function assign(actor: Actor, course = courseId): Promise<string> {
  const assigned = await ok(
    admin.request(AssignTrainingCourseDocument, {
      input: { courseId: course, userId: actor.userId, dueDate: dayFromToday(7) },
    }),
  );
  return assigned.assignTrainingCourse.id;
}

const emailState = (userId: string) =>
  server.owner.query<{ email_status: string; email_attempts: number; email_last_error: string | null }>(
    'SELECT email_status, email_attempts, email_last_error FROM notifications WHERE user_id = $1',
    [userId],
  );

describe('delivery over SMTP', () => {
  it('sends exactly the expected message: recipient, subject, text and HTML parts with the link', async () => {
    const ana = await worker({ name: 'Ana Lima', email: 'ana@example.com' });
    const nobody = await worker(); // no e-mail address
    const quiet = await worker({ email: 'quiet@example.com' });
    await ok(quiet.request(UpdateNotificationPreferencesDocument, { input: { emailOptOut: ['ASSIGNMENT_CREATED'] } }));
    for (const actor of [ana, nobody, quiet]) await assign(actor);

    const deliverer = createDeliverer({ prisma: server.db.prisma, config: config(), logger });
    const round = await deliverer.runOnce();
    // The two that need no e-mail are skipped by the claim itself: only Ana's is claimed.
    expect(round).toMatchObject({ claimed: 1, sent: 1, skipped: 2, retried: 0, failed: 0 });
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail!.to).toEqual(['ana@example.com']);
    expect(mail!.from).toBe('training@example.com');
    expect(mail!.subject).toBe('New training: Confined Spaces');
    expect(mail!.raw).toMatch(/^To: "?Ana Lima"? <ana@example\.com>/m);
    expect(mail!.text).toContain('Hello Ana Lima,');
    const due = formatDate('en', new Date(dayFromToday(7)), 'full');
    expect(mail!.text).toContain(`You have been assigned “Confined Spaces”, due on ${due} (in 7 days).`);
    expect(mail!.text).toContain(`${PUBLIC_URL}/?assignment=`);
    expect(mail!.html).toContain(`<a href="${PUBLIC_URL}/?assignment=`);
    expect(mail!.html).toContain('“Confined Spaces”');

    // Nothing is sent twice: a second round finds nothing due.
    expect(await deliverer.runOnce()).toMatchObject({ claimed: 0 });
    expect(smtp.received).toHaveLength(1);

    // Opted out and address-less: no e-mail (and no attempt), the in-app notification is kept.
    expect(await emailState(quiet.userId)).toEqual([
      { email_status: 'skipped', email_attempts: 0, email_last_error: 'opted out' },
    ]);
    expect(await emailState(nobody.userId)).toEqual([
      { email_status: 'skipped', email_attempts: 0, email_last_error: 'no e-mail address' },
    ]);
    for (const actor of [quiet, nobody]) {
      const mine = await ok(actor.request(MyNotificationsDocument, {}));
      expect(mine.myNotifications.nodes.map((node) => node.kind)).toEqual(['ASSIGNMENT_CREATED']);
    }
    await deliverer.stop();
  });

  it('two deliverers racing send every message once', async () => {
    // The server holds each message until released: the first deliverer is mid-send when the second claims.
    const slow = await startSmtpServer({ hold: true });
    const workers = await Promise.all(Array.from({ length: 12 }, (_, i) => worker({ email: `w${i}@example.com` })));
    for (const actor of workers) await assign(actor);
    // A second "instance": its own connection pool on PostgreSQL (PGlite has one session).
    const secondDb: Database = server.db.url ? await openDatabase({ url: server.db.url, poolMax: 3 }) : server.db;
    await secondDb.prisma.$queryRaw`SELECT 1`; // connected before the race starts
    const small = config({ smtpUrl: slow.url, emailBatchSize: 2 });
    const a = createDeliverer({ prisma: server.db.prisma, config: small, logger });
    const b = createDeliverer({ prisma: secondDb.prisma, config: small, logger });
    try {
      const roundA = a.runOnce();
      await slow.whenHolding(1);
      const roundB = b.runOnce();
      await slow.whenHolding(2);
      slow.release();
      const [ra, rb] = await Promise.all([roundA, roundB]);
      expect(ra.sent + rb.sent).toBe(12);
      expect(ra.claimed + rb.claimed).toBe(12);
      // The second claimed past the first's leased rows instead of waiting for them.
      expect(ra.sent > 0 && rb.sent > 0).toBe(true);
      const recipients = slow.received.flatMap((mail) => mail.to).sort();
      expect(recipients).toEqual(workers.map((_, i) => `w${i}@example.com`).sort());
      expect(await Promise.all([a.runOnce(), b.runOnce()])).toMatchObject([{ claimed: 0 }, { claimed: 0 }]);
      expect(slow.received).toHaveLength(12);
    } finally {
      await a.stop();
      await b.stop();
      await slow.close();
      if (secondDb !== server.db) await secondDb.close();
    }
  });

  it('retries with backoff while the server refuses, then sends once', async () => {
    const refusing = await startSmtpServer({ refuseFirst: 2 });
    const deliverer = createDeliverer({
      prisma: server.db.prisma,
      config: config({ smtpUrl: refusing.url, emailRetryBaseMs: 50 }),
      logger,
    });
    try {
      const bo = await worker({ email: 'bo@example.com' });
      await assign(bo);
      // One batch at a time: a round would try again as soon as the backoff has passed.
      expect(await deliverer.runBatch()).toMatchObject({ claimed: 1, retried: 1 });
      // Not due again before its backoff has passed.
      expect(await deliverer.runOnce()).toMatchObject({ claimed: 0 });
      await sleep(60);
      expect(await deliverer.runBatch()).toMatchObject({ claimed: 1, retried: 1 });
      await sleep(110); // the second wait is twice the first
      expect(await deliverer.runBatch()).toMatchObject({ claimed: 1, sent: 1 });
      expect(refusing.refused).toBe(2);
      expect(refusing.received.map((mail) => mail.to)).toEqual([['bo@example.com']]);
      expect(await emailState(bo.userId)).toEqual([
        { email_status: 'sent', email_attempts: 3, email_last_error: null },
      ]);
      await sleep(120);
      expect(await deliverer.runOnce()).toMatchObject({ claimed: 0 });
      expect(refusing.received).toHaveLength(1);
    } finally {
      await deliverer.stop();
      await refusing.close();
    }
  });

  it('gives up after the last attempt and marks the e-mail failed', async () => {
    const refusing = await startSmtpServer({ refuseFirst: 100 });
    const deliverer = createDeliverer({
      prisma: server.db.prisma,
      config: config({ smtpUrl: refusing.url, emailRetryBaseMs: 1, emailMaxAttempts: 2 }),
      logger,
    });
    try {
      const cy = await worker({ email: 'cy@example.com' });
      await assign(cy);
      expect(await deliverer.runBatch()).toMatchObject({ retried: 1 });
      await sleep(20);
      expect(await deliverer.runBatch()).toMatchObject({ failed: 1 });
      await sleep(20);
      expect(await deliverer.runOnce()).toMatchObject({ claimed: 0 });
      const [state] = await emailState(cy.userId);
      expect(state).toMatchObject({ email_status: 'failed', email_attempts: 2 });
      expect(state!.email_last_error).toMatch(/451|Try again later/);
      expect(refusing.received).toHaveLength(0);
    } finally {
      await deliverer.stop();
      await refusing.close();
    }
  });
});

describe('without SMTP_URL', () => {
  it('writes each message as an .eml file in the mail folder', async () => {
    const mailDir = mkdtempSync(path.join(tmpdir(), 'training-mail-'));
    const deliverer = createDeliverer({
      prisma: server.db.prisma,
      config: config({ smtpUrl: undefined, mailDir }),
      logger,
    });
    try {
      const dee = await worker({ name: 'Dee', email: 'dee@example.com' });
      await assign(dee);
      expect(await deliverer.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
      const files = readdirSync(mailDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.eml$/);
      const mail = parseMail(readFileSync(path.join(mailDir, files[0]!), 'utf8'));
      expect(mail.raw).toMatch(/^To: "?Dee"? <dee@example\.com>/m);
      expect(mail.raw).toMatch(/^From: Safety Training <training@example\.com>/m);
      expect(mail.subject).toBe('New training: Confined Spaces');
      expect(mail.text).toContain(`${PUBLIC_URL}/`);
      expect(mail.html).toContain(`<a href="${PUBLIC_URL}/?assignment=`);
      expect(await deliverer.runOnce()).toMatchObject({ claimed: 0 });
      expect(readdirSync(mailDir)).toHaveLength(1);
    } finally {
      await deliverer.stop();
      rmSync(mailDir, { recursive: true, force: true });
    }
  });
});
