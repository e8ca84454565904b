import { createHash } from 'node:crypto';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../src/core/i18n/index.js';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CompletionCertificateDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { pngImage } from '../support/images.js';
import { readPdf } from '../support/pdf.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Certificates for people of any Latin, Greek or Cyrillic name, in their language, naming the issuing
 * organisation: the PDF's text read back with pdf.js equals the name (the embedded DejaVu Sans has every
 * glyph), its dates are in the holder's words, its content fills the page; the verify page speaks the
 * viewer's language (Accept-Language), branded with the organisation's name and logo.
 */

const ORGANISATION = 'Nhà máy Đông Á · Zakład Łódź';
const logo = pngImage(40, [200, 30, 30]);
const logoPath = `/branding/logo/${createHash('sha256').update(logo).digest('hex')}`;

let server: TestServer;
let officer: Actor;
let origin: string;
let courseId: string;

beforeAll(async () => {
  server = await startTestServer();
  origin = new URL(server.url).origin;
  const admin = await server.actor('admin');
  officer = await server.actor('safety_officer', { tenantId: admin.tenantId, name: 'Sam Officer' });
  await ok(
    admin.request(`mutation($input: TenantSettingsInput!) { updateTenantSettings(input: $input) { name } }`, {
      input: { name: ORGANISATION, logo: logo.toString('base64') },
    }),
  );
  const created = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Работа на высоте', category: 'EQUIPMENT_SAFETY', expiryMonths: 12, issuesCertificate: true },
    }),
  );
  courseId = created.createTrainingCourse.id;
}, setupTimeout(120_000));
afterAll(() => server.stop());

/** A worker of this name and language with a certificate of the course; its code and completion. */
async function certificateOf(name: string, locale?: string) {
  const worker = await server.actor('worker', { tenantId: officer.tenantId, name, locale });
  await ok(worker.request('{ me { id } }'));
  const { assignTrainingCourse } = await ok(
    officer.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: worker.userId, dueDate: dayFromToday(9) },
    }),
  );
  const assignmentId = assignTrainingCourse.id;
  await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId }));
  await ok(
    worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId, score: 95, passed: true, completionTimeMinutes: 15 },
    }),
  );
  const { trainingCompletions } = await ok(worker.request(CompletionCertificateDocument, { assignmentId }));
  const completion = trainingCompletions.nodes[0]!;
  return { code: completion.certificate!.code, completion };
}

const pdfOf = async (code: string) => {
  const response = await fetch(`${origin}/certificates/${code}.pdf`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
};

/** How much of the page's height the text spans (0 to 1), from pdf.js's text positions. */
async function textSpan(bytes: Buffer): Promise<{ pages: number; span: number }> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const page = await pdf.getPage(1);
  const [, , , height] = page.view as [number, number, number, number];
  const ys = (await page.getTextContent()).items.flatMap((item) =>
    'transform' in item ? [item.transform[5] as number] : [],
  );
  const result = { pages: pdf.numPages, span: (Math.max(...ys) - Math.min(...ys)) / height };
  await pdf.destroy();
  return result;
}

const NAMES: [string, string | undefined][] = [
  ['Nguyễn Thị Lựu', 'vi'],
  ['Łukasz Żółć', 'pl'],
  ['Şükrü Öztürk', undefined],
  ['Γιώργος Παπαδόπουλος', 'es'],
  ['Дмитрий Иванов', undefined],
];

describe('the certificate PDF', () => {
  it.each(NAMES)('prints %s exactly, in the holder’s language (%s), with embedded fonts', async (name, locale) => {
    const { code, completion } = await certificateOf(name, locale);
    const bytes = await pdfOf(code);
    const { text, qrCodes } = await readPdf(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
    );
    const lines = text.split('\n');
    expect(lines).toContain(name);
    expect(lines).toContain('Работа на высоте');
    expect(text).toContain(ORGANISATION);
    expect(text).toContain(formatDate(locale ?? 'en', new Date(completion.completedAt!)));
    expect(text).toContain(formatDate(locale ?? 'en', new Date(completion.expiresAt!)));
    expect(qrCodes).toEqual([`${origin}/verify/${code}`]);
    // The fonts travel inside the file (TrueType subsets); none of the 14 standard fonts is used.
    const raw = bytes.toString('latin1');
    expect(raw).toMatch(/\/FontFile2 /);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
    expect(raw).not.toMatch(/\/BaseFont \/(Helvetica|Times|Courier)/);
  });

  it('speaks Polish to a Polish holder and fills its one page', async () => {
    const { code } = await certificateOf('Łukasz Żółć', 'pl');
    const bytes = await pdfOf(code);
    const { text } = await readPdf(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
    );
    for (const words of [
      'Certyfikat ukończenia',
      'ukończył(a) szkolenie',
      `Wystawca: ${ORGANISATION}`,
      'WAŻNY DO',
      'Ważny',
    ])
      expect(text).toContain(words);
    const { pages, span } = await textSpan(bytes);
    expect(pages).toBe(1);
    expect(span).toBeGreaterThan(0.75);
  });
});

describe('the verify page', () => {
  it('is branded and speaks the viewer’s language (Accept-Language), English by default', async () => {
    const { code, completion } = await certificateOf('Nguyễn Thị Lựu', 'vi');
    const cases: [string | undefined, string, string][] = [
      [undefined, 'en', 'Valid certificate'],
      ['es-ES,es;q=0.9,en;q=0.5', 'es-ES', 'Certificado válido'],
      ['de-DE, pl;q=0.8', 'pl', 'Certyfikat ważny'],
      ['vi', 'vi', 'Chứng nhận hợp lệ'],
    ];
    for (const [acceptLanguage, locale, headline] of cases) {
      const headers: Record<string, string> = { accept: 'text/html' };
      if (acceptLanguage) headers['accept-language'] = acceptLanguage;
      const response = await fetch(`${origin}/verify/${code}`, { headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-language')).toBe(locale);
      expect(response.headers.get('content-security-policy')).toContain("img-src 'self'");
      const html = await response.text();
      expect(html).toContain(`<html lang="${locale}">`);
      expect(html).toContain(`<h1>${headline}</h1>`);
      expect(html).toContain('Nguyễn Thị Lựu');
      expect(html).toContain(ORGANISATION);
      expect(html).toContain(`<img src="${logoPath}"`);
      expect(html).toContain(formatDate(locale, new Date(completion.expiresAt!)));
    }
    // The logo it shows is served from that address.
    const image = await fetch(origin + logoPath);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('says "not found" in the viewer’s language too', async () => {
    const response = await fetch(`${origin}/verify/${'A'.repeat(24)}`, { headers: { 'accept-language': 'pl' } });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Nie znaleziono certyfikatu');
  });
});
