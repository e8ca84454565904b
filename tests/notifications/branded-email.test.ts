import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../src/core/i18n/index.js';
import { createLogger } from '../../src/core/logger.js';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { createDeliverer, type DelivererConfig } from '../../src/notifications/deliverer.js';
import { pngImage } from '../support/images.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { headerOf, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { setupTimeout } from '../support/citus.js';

/**
 * What a worker receives by e-mail, through a real SMTP server: the organisation's name (From and heading) and
 * logo, their language (the due date in words in it), why the training was assigned, a link to the assignment
 * and to the e-mail preferences, in an HTML and a text part. Mail whose subject is no longer current when the
 * deliverer reaches it (the assignment cancelled or completed) is not sent, and the API says why.
 */

const PUBLIC_URL = 'https://training.example.com';
const ORGANISATION = 'Acme Łódź Sp. z o.o.';
const logo = pngImage(24);
const logoUrl = `${PUBLIC_URL}/branding/logo/${createHash('sha256').update(logo).digest('hex')}`;

let server: TestServer;
let smtp: TestSmtpServer;
let admin: Actor;
let courseId: string;

const config = (): DelivererConfig => ({
  smtpUrl: smtp.url,
  mailFrom: 'training@acme.example',
  mailDir: '/nonexistent',
  publicUrl: PUBLIC_URL,
  emailPollMs: undefined,
  emailMaxAttempts: 3,
  emailRetryBaseMs: 20,
  emailBatchSize: 50,
  emailBatchPerTenant: 50,
});

beforeAll(async () => {
  server = await startTestServer({ PUBLIC_URL });
  smtp = await startSmtpServer();
  admin = await server.actor('admin');
  await ok(
    admin.request(`mutation($input: TenantSettingsInput!) { updateTenantSettings(input: $input) { name } }`, {
      input: { name: ORGANISATION, logo: logo.toString('base64') },
    }),
  );
  const created = await ok(
    admin.request(CreateTrainingCourseDocument, {
      input: { title: 'Praca na wysokości', category: 'HAZARD_AWARENESS' },
    }),
  );
  courseId = created.createTrainingCourse.id;
}, setupTimeout(120_000));
afterAll(async () => {
  await smtp.close();
  await server.stop();
});

async function worker(name: string, email: string, locale?: string): Promise<Actor> {
  const actor = await server.actor('worker', { tenantId: admin.tenantId, name, email, locale });
  await ok(actor.request('{ me { id } }'));
  return actor;
}

async function assign(actor: Actor, days: number, assignmentReason?: string): Promise<string> {
  const input = { courseId, userId: actor.userId, dueDate: dayFromToday(days), assignmentReason };
  return (await ok(admin.request(AssignTrainingCourseDocument, { input }))).assignTrainingCourse.id;
}

const mailTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));

type Notes = { myNotifications: { nodes: { kind: string; emailStatus: string; emailNote: string | null }[] } };
const notesOf = async (actor: Actor) =>
  (await ok(actor.request<Notes, never>('{ myNotifications { nodes { kind emailStatus emailNote } } }')))
    .myNotifications.nodes;

describe('a notification e-mail', () => {
  it("is branded, in the worker's language, says why and when in words, and links to the assignment and preferences", async () => {
    const reason = 'Wynik ryzyka 72 dla strefy Magazyn B (próg 60)';
    const lukasz = await worker('Łukasz Żółć', 'lukasz@example.com', 'pl');
    const assignmentId = await assign(lukasz, 12, reason);
    expect(
      await createDeliverer({ prisma: server.db.prisma, config: config(), logger: createLogger('silent') }).runOnce(),
    ).toMatchObject({ sent: 1, failed: 0 });
    const [mail] = mailTo('lukasz@example.com');
    expect(mail).toBeDefined();
    expect(mail!.from).toBe('training@acme.example');
    expect(headerOf(mail!.raw, 'From')).toBe(`${ORGANISATION} <training@acme.example>`);
    expect(headerOf(mail!.raw, 'Content-Language')).toBe('pl');
    expect(mail!.subject).toBe('Nowe szkolenie: Praca na wysokości');

    const due = formatDate('pl', new Date(dayFromToday(12)), 'full'); // e.g. "piątek, 18 grudnia 2026"
    expect(due).toMatch(/^\p{L}+, \d{1,2} \p{L}+ \d{4}$/u);
    const link = `${PUBLIC_URL}/?assignment=${assignmentId}`;
    for (const part of [mail!.text, mail!.html]) {
      expect(part).toContain(ORGANISATION);
      expect(part).toContain('Dzień dobry, Łukasz Żółć,');
      expect(part).toContain(`Przypisano Ci szkolenie „Praca na wysokości”, termin: ${due} (za 12 dni).`);
      expect(part).toContain(`Dlaczego je przypisano: ${reason}`);
      expect(part).toContain(link);
      expect(part).toContain(`${PUBLIC_URL}/notifications`);
      expect(part).toContain('Wybierz, jakie e-maile otrzymujesz');
    }
    expect(mail!.html).toContain(`<html lang="pl">`);
    expect(mail!.html).toContain(`<img src="${logoUrl}"`);
    expect(mail!.html).toContain(`<a href="${link}"`);
    expect(mail!.text).not.toContain('<');
  });

  it('speaks each language the product has, and English to a user without one', async () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['nguyen@example.com', 'vi', /^Khóa đào tạo mới: Praca na wysokości$/],
      ['maria@example.com', 'es-MX', /^Nueva formación: Praca na wysokości$/],
      ['sam@example.com', undefined, /^New training: Praca na wysokości$/],
    ];
    for (const [email, locale] of cases) await assign(await worker(email.split('@')[0]!, email, locale), 5);
    await createDeliverer({ prisma: server.db.prisma, config: config(), logger: createLogger('silent') }).runOnce();
    for (const [email, locale, subject] of cases) {
      const [mail] = mailTo(email);
      expect(mail?.subject, email).toMatch(subject);
      expect(mail!.text).toContain(formatDate(locale ?? 'en', new Date(dayFromToday(5)), 'full'));
    }
  });

  it('is not sent when its assignment was cancelled or completed before the deliverer reached it, and says why', async () => {
    const cancelled = await worker('Şükrü Öztürk', 'sukru@example.com');
    const done = await worker('Дмитрий Иванов', 'dmitry@example.com', 'pl');
    const cancelledId = await assign(cancelled, 7);
    const doneId = await assign(done, 7);
    await ok(admin.request(CancelTrainingAssignmentDocument, { assignmentId: cancelledId, reason: 'Moved site' }));
    await ok(done.request(StartTrainingAssignmentDocument, { assignmentId: doneId }));
    await ok(
      done.request(CompleteTrainingAssignmentDocument, {
        input: { assignmentId: doneId, score: 90, passed: true, completionTimeMinutes: 20 },
      }),
    );
    const round = await createDeliverer({
      prisma: server.db.prisma,
      config: config(),
      logger: createLogger('silent'),
    }).runOnce();
    expect(round).toMatchObject({ sent: 0, skipped: 2 });
    expect(mailTo('sukru@example.com')).toEqual([]);
    expect(mailTo('dmitry@example.com')).toEqual([]);
    expect(await notesOf(cancelled)).toEqual([
      { kind: 'ASSIGNMENT_CREATED', emailStatus: 'SKIPPED', emailNote: 'assignment cancelled' },
    ]);
    expect(await notesOf(done)).toContainEqual({
      kind: 'ASSIGNMENT_CREATED',
      emailStatus: 'SKIPPED',
      emailNote: 'assignment already completed',
    });
  });
});
