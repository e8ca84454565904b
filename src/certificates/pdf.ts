import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { PublicCertificate } from './certificates-sql.js';
import { evidenceLine } from './evidence-text.js';

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : null);

/**
 * The certificate as a one-page A4 PDF (pdfkit, its built-in Helvetica): holder, course, completion date,
 * expiry, the evidence it stood on, status when no longer valid, the code, and a QR code (a PNG image) of the
 * verify URL.
 */
export async function certificatePdf(certificate: PublicCertificate, code: string, verifyUrl: string): Promise<Buffer> {
  const qr = await QRCode.toBuffer(verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `Certificate ${code}`, Subject: certificate.courseTitle, Creator: 'Safety Training API' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 112;
  doc.font('Helvetica-Bold').fontSize(28).text('Certificate of Completion', { align: 'center', width });
  doc.moveDown(1.5);
  doc.font('Helvetica').fontSize(13).text('This certifies that', { align: 'center', width });
  doc.moveDown(0.5);
  doc
    .font('Helvetica-Bold')
    .fontSize(22)
    .text(certificate.holderName ?? '(name not on record)', { align: 'center', width });
  doc.moveDown(0.5);
  doc.font('Helvetica').fontSize(13).text('has completed the course', { align: 'center', width });
  doc.moveDown(0.5);
  doc.font('Helvetica-Bold').fontSize(18).text(certificate.courseTitle, { align: 'center', width });
  doc.moveDown(1.5);
  doc.font('Helvetica').fontSize(12);
  doc.text(`Completed: ${day(certificate.completedAt ?? certificate.issuedAt)}`, { align: 'center', width });
  doc.text(`Expires: ${day(certificate.expiresAt) ?? 'never'}`, { align: 'center', width });
  if (certificate.evidence.length > 0) {
    doc.moveDown(0.5);
    doc.fontSize(10).text('Evidence:', { align: 'center', width });
    for (const evidence of certificate.evidence) doc.text(evidenceLine(evidence), { align: 'center', width });
    doc.fontSize(12);
  }
  if (certificate.status !== 'valid') {
    doc.moveDown(0.5);
    doc
      .font('Helvetica-Bold')
      .text(`Status: ${certificate.status.toUpperCase()}`, { align: 'center', width })
      .font('Helvetica');
  }
  doc.moveDown(1.5);
  const qrSize = 150;
  doc.image(qr, (doc.page.width - qrSize) / 2, doc.y, { width: qrSize, height: qrSize });
  doc.y += qrSize + 12;
  doc.fontSize(10).text(`Certificate code: ${code}`, 56, doc.y, { align: 'center', width });
  doc.text(`Verify at ${verifyUrl}`, { align: 'center', width });
  doc.end();
  return done;
}
