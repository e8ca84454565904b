import { runAsAppRole } from '../core/caller/index.js';
import { CERTIFICATE_CODE } from '../completions/certificate-code.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { PublicEvidence } from './evidence-text.js';

/** What the public may learn about one certificate (the verify page, the PDF, `verifyCertificate`). */
export interface PublicCertificate {
  status: 'valid' | 'expired' | 'revoked';
  holderName: string | null;
  courseTitle: string;
  completedAt: Date | null;
  issuedAt: Date;
  expiresAt: Date | null;
  /** What it stood on, oldest first. */
  evidence: PublicEvidence[];
  /** The holder's language (the PDF is written in it); null: English. */
  holderLocale: string | null;
  /** The issuing organisation: the tenant's name (null: not set) and logo (PNG or JPEG bytes, its hash). */
  organisation: string | null;
  logo: Buffer | null;
  logoSha256: string | null;
}

/** One entry of the completion's evidence as the database wrote it. */
interface StoredEvidence {
  kind: PublicEvidence['kind'];
  passed: boolean;
  score: number | null;
  recordedAt: string;
  recordedByName: string | null;
}

interface PublicCertificateRow {
  status: PublicCertificate['status'];
  holder_name: string | null;
  course_title: string;
  completed_at: Date | null;
  issued_at: Date;
  expires_at: Date | null;
  evidence: StoredEvidence[];
  holder_locale: string | null;
  tenant_name: string | null;
  logo: Uint8Array | null;
  logo_sha256: string | null;
}

/**
 * Looks a code up without a caller: one transaction as `training_app` with no tenant, whose only way to
 * any row is the SECURITY DEFINER function `verify_certificate(code)`, which returns the public fields of
 * that one certificate (migration 20261202000300). Malformed codes never reach SQL. Null: unknown.
 */
export async function lookupCertificate(prisma: PrismaClient, code: string): Promise<PublicCertificate | null> {
  if (!CERTIFICATE_CODE.test(code)) return null;
  const rows = await runAsAppRole(
    prisma,
    (tx) => tx.$queryRaw<PublicCertificateRow[]>`
      SELECT status, holder_name, course_title, completed_at, issued_at, expires_at, evidence, holder_locale,
             tenant_name, logo, logo_sha256
      FROM verify_certificate(${code})`,
    { statementTimeoutMs: 5_000 },
  );
  const row = rows[0];
  if (!row) return null;
  return {
    status: row.status,
    holderName: row.holder_name,
    courseTitle: row.course_title,
    completedAt: row.completed_at,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    evidence: row.evidence.map((entry) => ({
      kind: entry.kind,
      passed: entry.passed,
      score: entry.score,
      recordedAt: new Date(entry.recordedAt),
      recordedByName: entry.recordedByName,
    })),
    holderLocale: row.holder_locale,
    organisation: row.tenant_name,
    logo: row.logo ? Buffer.from(row.logo) : null,
    logoSha256: row.logo_sha256,
  };
}
