import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignTrainingCourseDocument, CreateTrainingCourseDocument } from '../../src/generated/operations/graphql.js';
import { createLogger } from '../../src/core/logger.js';
import { createDeliverer, type Deliverer, type DelivererConfig } from '../../src/notifications/deliverer.js';
import { dayFromToday, ok, startTestServer, type TestServer } from '../support/server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { eventually } from '../support/wait.js';

/**
 * How the deliverer takes its batches, against a real SMTP server: fairly between tenants (a tenant
 * with thousands of notifications does not hold up another tenant's one), with the rows that need no
 * e-mail (no address, opted out) skipped by the claim in bulk instead of taking places in batches, and
 * never to a stored address that breaks the address rule. Order is asserted by batches, not by time.
 */

const BATCH = 20;
const PER_TENANT = 5;
const logger = createLogger('silent');

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  server = await startTestServer();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
  await server?.stop();
});

function deliverer(): Deliverer {
  const config: DelivererConfig = {
    smtpUrl: smtp.url,
    mailFrom: 'Safety Training <training@example.com>',
    mailDir: '/nonexistent',
    publicUrl: 'https://training.example.com',
    emailPollMs: undefined,
    emailMaxAttempts: 5,
    emailRetryBaseMs: 60_000,
    emailBatchSize: BATCH,
    emailBatchPerTenant: PER_TENANT,
  };
  return createDeliverer({ prisma: server.db.prisma, config, logger });
}

/**
 * A tenant's backlog, written as a bulk run would leave it, oldest first: `withoutAddress` notifications
 * of users without an address, then `optedOut` of users who opted out of the kind, then `withAddress` of
 * users with one (`<tenant prefix>-<n>@backlog.example.com`). Returns the tenant id.
 */
async function backlog(counts: { withoutAddress: number; optedOut: number; withAddress: number }): Promise<string> {
  const tenantId = crypto.randomUUID();
  const { withoutAddress, optedOut, withAddress } = counts;
  const total = withoutAddress + optedOut + withAddress;
  await server.owner.query(
    `INSERT INTO profiles (id, tenant_id, display_name, email, role)
     SELECT gen_random_uuid(), $1::uuid, 'Backlog ' || i,
            CASE WHEN i > $2::int THEN left($1::text, 8) || '-' || i || '@backlog.example.com' END, 'worker'
     FROM generate_series(1, $3::int) AS i`,
    [tenantId, withoutAddress, total],
  );
  await server.owner.query(
    `INSERT INTO notification_preferences (tenant_id, user_id, email_opt_out)
     SELECT tenant_id, id, '{assignment_created}' FROM profiles
     WHERE tenant_id = $1::uuid AND substring(display_name FROM 9)::int BETWEEN $2::int + 1 AND $2::int + $3::int`,
    [tenantId, withoutAddress, optedOut],
  );
  await server.owner.query(
    `INSERT INTO notifications (tenant_id, user_id, kind, subject, created_at, email_next_attempt_at)
     SELECT tenant_id, id, 'assignment_created', id::text,
            now() - interval '1 hour' + substring(display_name FROM 9)::int * interval '1 millisecond',
            now() - interval '1 hour' + substring(display_name FROM 9)::int * interval '1 millisecond'
     FROM profiles WHERE tenant_id = $1::uuid`,
    [tenantId],
  );
  return tenantId;
}

/** A tenant in which an admin assigns one course to one worker with `email`, through the API, now. */
async function oneAssignment(email: string): Promise<void> {
  const admin = await server.actor('admin');
  const worker = await server.actor('worker', { tenantId: admin.tenantId, email });
  await ok(worker.request('{ me { id } }'));
  const course = await ok(
    admin.request(CreateTrainingCourseDocument, { input: { title: 'Lockout', category: 'EQUIPMENT_SAFETY' } }),
  );
  await ok(
    admin.request(AssignTrainingCourseDocument, {
      input: { courseId: course.createTrainingCourse.id, userId: worker.userId, dueDate: dayFromToday(7) },
    }),
  );
}

const recipients = (from = 0) => smtp.received.slice(from).flatMap((mail) => mail.to);

const emailStates = (tenantId: string) =>
  server.owner.query<{ email_status: string; email_last_error: string | null; email_attempts: number; n: number }>(
    `SELECT email_status, email_last_error, email_attempts, count(*)::int AS n FROM notifications
     WHERE tenant_id = $1::uuid GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [tenantId],
  );

describe('batches', () => {
  it("skip a tenant's thousands of address-less rows in bulk: another tenant's mail goes in the first batch", async () => {
    const bulk = await backlog({ withoutAddress: 3_000, optedOut: 200, withAddress: 40 });
    await oneAssignment('other-tenant@example.com');
    const mailer = deliverer();
    const before = smtp.received.length;
    try {
      const first = await mailer.runBatch();

      expect(recipients(before)).toContain('other-tenant@example.com');
      // The first claim looked at the oldest rows, all without an address: skipped, none claimed.
      expect(first).toMatchObject({ claimed: 1, sent: 1, failed: 0, retried: 0 });
      expect(first.skipped).toBeGreaterThan(0);

      // The rest, batch after batch, in one round that never fails (each claim is one bounded statement).
      const rest = await mailer.runOnce();
      expect(rest).toMatchObject({ claimed: 40, sent: 40, failed: 0, retried: 0, skipped: 3_200 - first.skipped });
      const mine = recipients(before).filter((to) => to.endsWith('@backlog.example.com'));
      expect(mine).toHaveLength(40);
      expect(new Set(mine).size).toBe(40);
      expect(await emailStates(bulk)).toEqual([
        { email_status: 'sent', email_last_error: null, email_attempts: 1, n: 40 },
        { email_status: 'skipped', email_last_error: 'no e-mail address', email_attempts: 0, n: 3_000 },
        { email_status: 'skipped', email_last_error: 'opted out', email_attempts: 0, n: 200 },
      ]);
      expect(await mailer.runOnce()).toMatchObject({ claimed: 0, skipped: 0 });
    } finally {
      await mailer.stop();
    }
  }, 120_000);

  it('take turns between tenants: a tenant with more mail than a batch gets its share, the others theirs', async () => {
    const BUSY = 200;
    const busy = await backlog({ withoutAddress: 0, optedOut: 0, withAddress: BUSY });
    await oneAssignment('second@example.com');
    await oneAssignment('third@example.com');
    const mailer = deliverer();
    const before = smtp.received.length;
    try {
      const first = await mailer.runBatch();

      // Every tenant's first row, then every tenant's second...: the busy tenant's oldest goes first,
      // the two others' right after it, and it gets no more than its share of the batch.
      expect(first).toMatchObject({ claimed: PER_TENANT + 2, sent: PER_TENANT + 2, skipped: 0 });
      const order = recipients(before);
      expect(order).toHaveLength(PER_TENANT + 2);
      expect(order[0]).toMatch(/@backlog\.example\.com$/);
      expect(order.slice(1, 3).sort()).toEqual(['second@example.com', 'third@example.com']);
      expect(order.filter((to) => to.endsWith('@backlog.example.com'))).toHaveLength(PER_TENANT);

      const second = await mailer.runBatch();
      expect(second).toMatchObject({ claimed: PER_TENANT, sent: PER_TENANT });

      // A round works through the busy tenant's rest; mail of another tenant that arrives meanwhile
      // goes in the next batch, not after the round: at most the batch in flight, then the busy
      // tenant's one row of that turn, before it.
      const round = mailer.runOnce();
      await eventually(() => recipients(before).length > 2 * PER_TENANT + 2 + 1);
      const sentBeforeItArrived = recipients(before).length;
      await oneAssignment('latecomer@example.com');
      const sentWhenItArrived = recipients(before).length;
      expect(await round).toMatchObject({ claimed: BUSY - 2 * PER_TENANT + 1, failed: 0 });
      const position = recipients(before).indexOf('latecomer@example.com');
      expect(position).toBeGreaterThanOrEqual(sentBeforeItArrived);
      expect(position).toBeLessThanOrEqual(sentWhenItArrived + PER_TENANT + 1);

      expect(new Set(recipients(before)).size).toBe(BUSY + 3);
      expect(recipients(before)).toHaveLength(BUSY + 3);
      expect(await emailStates(busy)).toEqual([
        { email_status: 'sent', email_last_error: null, email_attempts: 1, n: BUSY },
      ]);
    } finally {
      await mailer.stop();
    }
  }, 120_000);
});

describe('stored addresses that break the address rule', () => {
  it('are never mailed to: skipped by the claim, or by the deliverer when only its parser sees the fault', async () => {
    const tenantId = crypto.randomUUID();
    const bad = [
      'victim@example.com,\r\nBcc: spy@evil.example',
      'Ana <ana@evil.example>',
      'ana@example.com;spy@evil.example',
      'ana@example',
      'ana..lima@example.com',
    ];
    // Rows written before the rule held: the database's triggers, its check among them, are off while they are
    // written (for this transaction only, on every node of a distributed database too).
    const literals = bad.map((address) => `E'${address.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}'`);
    await server.db.withConnection(async (c) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(
        `INSERT INTO profiles (id, tenant_id, email, role)
         SELECT gen_random_uuid(), '${tenantId}', address, 'worker' FROM unnest(ARRAY[${literals.join(', ')}]) AS address`,
      );
      await c.query('SET LOCAL session_replication_role = origin');
      await c.query(
        `INSERT INTO notifications (tenant_id, user_id, kind, subject)
         SELECT tenant_id, id, 'assignment_created', id::text FROM profiles WHERE tenant_id = '${tenantId}'`,
      );
      await c.query('COMMIT');
    });
    const mailer = deliverer();
    const before = smtp.received.length;
    try {
      const round = await mailer.runOnce();

      expect(round).toMatchObject({ sent: 0, skipped: bad.length, failed: 0, retried: 0 });
      expect(smtp.received.length).toBe(before);
      // The SQL form of the rule skips four at the claim; the parser finds the double dot of the fifth.
      expect(await emailStates(tenantId)).toEqual([
        { email_status: 'skipped', email_last_error: 'invalid e-mail address', email_attempts: 0, n: 4 },
        { email_status: 'skipped', email_last_error: 'invalid e-mail address', email_attempts: 1, n: 1 },
      ]);
    } finally {
      await mailer.stop();
    }
  });
});
