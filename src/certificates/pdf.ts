import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DEFAULT_ORGANISATION_NAME } from '../tenants/branding.js';
import type { PublicCertificate } from './certificates-sql.js';
import { evidenceLine } from './evidence-text.js';
import { certificateText, day, t } from './text.js';

/**
 * DejaVu Sans (the dejavu-fonts-ttf package; free licence, embedding allowed), embedded as a subset of the
 * glyphs used: it prints every Latin script (Polish, Vietnamese, Turkish …), Greek and Cyrillic, where the PDF
 * standard fonts stop at Latin-1. Read once, on the first certificate.
 */
const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | undefined;
const fontsOnce = () =>
  (fonts ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  });

const INK = '#1f2937';
const MUTED = '#4b5563';
const ACCENT = '#1d4ed8';
/** Evidence lines the page has room for; more are summed up in the last one. */
const EVIDENCE_LINES = 4;

/**
 * The certificate as one landscape A4 page in the holder's language: the issuing organisation (and its logo),
 * holder, course, dates in the holder's words, what it stood on, its status when no longer valid, and the
 * code with a QR code of the verify URL, spread over the page inside a border.
 */
export async function certificatePdf(certificate: PublicCertificate, code: string, verifyUrl: string): Promise<Buffer> {
  const text = certificateText(certificate.holderLocale);
  const organisation = certificate.organisation ?? DEFAULT_ORGANISATION_NAME;
  // Loaded on the first certificate: pdfkit (with its fonts' metrics) is some 18 MB of a process's memory.
  const [{ default: PDFDocument }, { default: QRCode }] = await Promise.all([import('pdfkit'), import('qrcode')]);
  const qr = await QRCode.toBuffer(verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 5 });
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    lang: text.locale,
    info: {
      Title: `${t(text, 'title')} ${code}`,
      Subject: certificate.courseTitle,
      Author: organisation,
      Creator: organisation,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const { regular, bold } = fontsOnce();
  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);

  const { width: pageWidth, height: pageHeight } = doc.page;
  doc
    .lineWidth(3)
    .strokeColor(ACCENT)
    .rect(24, 24, pageWidth - 48, pageHeight - 48)
    .stroke();
  doc
    .lineWidth(0.75)
    .rect(32, 32, pageWidth - 64, pageHeight - 64)
    .stroke();

  const left = 64;
  const width = pageWidth - 2 * left;
  const centred = (font: string, size: number, value: string, color = INK, gap = 0) => {
    doc
      .font(font)
      .fontSize(size)
      .fillColor(color)
      .text(value, left, doc.y + gap, { width, align: 'center' });
  };

  // The organisation heads the page: its logo beside its name.
  let top = 56;
  if (certificate.logo) {
    doc.image(certificate.logo, left, top, { fit: [140, 48] });
  }
  doc
    .font('bold')
    .fontSize(13)
    .fillColor(MUTED)
    .text(organisation, left, top + 16, { width, align: 'right' });
  top += 64;
  doc.y = top;
  centred('bold', 30, t(text, 'title'), ACCENT);
  centred('regular', 13, t(text, 'certifies'), MUTED, 18);
  centred('bold', 26, certificate.holderName ?? t(text, 'nameNotOnRecord'), INK, 8);
  centred('regular', 13, t(text, 'hasCompleted'), MUTED, 8);
  centred('bold', 18, certificate.courseTitle, INK, 6);
  centred('regular', 11, t(text, 'issuedBy', { organisation }), MUTED, 10);

  // The facts in columns on the left of the lower half, the QR code on its right.
  const qrSize = 118;
  const factsTop = Math.max(doc.y + 24, pageHeight - 64 - qrSize - 40);
  const columnWidth = (width - qrSize - 24) / 3;
  const facts: [string, string][] = [
    [t(text, 'completed'), day(text, certificate.completedAt ?? certificate.issuedAt)],
    [t(text, 'validUntil'), certificate.expiresAt ? day(text, certificate.expiresAt) : t(text, 'noExpiry')],
    [t(text, 'status'), t(text, `statusValue.${certificate.status}`)],
  ];
  facts.forEach(([label, value], index) => {
    const x = left + index * columnWidth;
    doc
      .font('regular')
      .fontSize(9)
      .fillColor(MUTED)
      .text(label.toLocaleUpperCase(text.locale), x, factsTop, { width: columnWidth - 12 });
    const color = index === 2 && certificate.status !== 'valid' ? '#a3121e' : INK;
    doc
      .font('bold')
      .fontSize(13)
      .fillColor(color)
      .text(value, x, factsTop + 13, { width: columnWidth - 12 });
  });
  if (certificate.evidence.length > 0) {
    const lines = certificate.evidence.slice(0, EVIDENCE_LINES).map((entry) => evidenceLine(text, entry));
    if (certificate.evidence.length > EVIDENCE_LINES) lines.push(`+ ${certificate.evidence.length - EVIDENCE_LINES}`);
    doc
      .font('regular')
      .fontSize(9)
      .fillColor(MUTED)
      .text(t(text, 'evidence').toLocaleUpperCase(text.locale), left, factsTop + 40);
    doc
      .font('regular')
      .fontSize(9)
      .fillColor(INK)
      .text(lines.join('\n'), left, factsTop + 52, {
        width: width - qrSize - 24,
        height: pageHeight - 48 - (factsTop + 52) - 24,
        ellipsis: true,
      });
  }
  const qrX = pageWidth - left - qrSize;
  doc.image(qr, qrX, factsTop - 8, { width: qrSize, height: qrSize });
  doc.font('regular').fontSize(8).fillColor(MUTED);
  doc.text(`${t(text, 'code')}: ${code}`, left, pageHeight - 56, { width, align: 'right' });
  doc.text(t(text, 'verifyAt', { url: verifyUrl }), left, pageHeight - 46, { width, align: 'right', lineBreak: false });
  doc.end();
  return done;
}
