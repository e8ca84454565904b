import { CERTIFICATE_CODE, certificatePdfPath, certificateVerifyPath } from '../completions/certificate-code.js';
import { Completion } from '../completions/completion.js';
import { CompletionSource } from '../completions/evidence-fields.js';
import { builder } from '../core/builder.js';
import type { Context } from '../core/caller/index.js';
import { badInput, conflict, notFound, tooManyRequests } from '../core/errors.js';
import { todayUtc } from '../core/today.js';
import * as validate from '../core/validate.js';
import { DEFAULT_ORGANISATION_NAME } from '../tenants/branding.js';
import { announceQualificationChange } from '../users/qualification-change.js';
import { lookupCertificate, type PublicCertificate } from './certificates-sql.js';
import type { PublicEvidence } from './evidence-text.js';
import { lookupLimiter } from './settings.js';
import { fieldRules } from '../core/field-rules.js';

const CertificateRule = fieldRules('certificateCode');

/**
 * Certificates of passed completions of certifying courses: the holder's view (`Completion.certificate`),
 * public verification by code (`verifyCertificate`, also `GET /verify/<code>`) and revocation.
 */

type CertificateStatusValue = 'valid' | 'expired' | 'revoked';

export const CertificateStatus = builder.enumType('CertificateStatus', {
  description: 'VALID until its expiry date has passed (EXPIRED) or it is revoked (REVOKED, whatever the date).',
  values: {
    VALID: { value: 'valid' },
    EXPIRED: { value: 'expired' },
    REVOKED: { value: 'revoked' },
  } as const,
});

export function certificateStatus(certificate: {
  revokedAt: Date | null;
  expiresAt: Date | null;
}): CertificateStatusValue {
  if (certificate.revokedAt) return 'revoked';
  if (certificate.expiresAt && certificate.expiresAt < todayUtc()) return 'expired';
  return 'valid';
}

export const Certificate = builder.prismaObject('Certificate', {
  select: { id: true },
  description: "A passed completion's certificate. Its code is the capability behind the public PDF and verify page.",
  fields: (t) => ({
    code: t.exposeString('code', { description: 'Unguessable, URL-safe (base64url, 144 random bits).' }),
    url: t.string({
      description: 'The PDF: `<PUBLIC_URL>/certificates/<code>.pdf` (no token needed).',
      select: { code: true },
      resolve: (certificate, _args, context) =>
        context.services.config.publicUrl + certificatePdfPath(certificate.code),
    }),
    verifyUrl: t.string({
      description: 'The public verify page: `<PUBLIC_URL>/verify/<code>` (JSON with Accept: application/json).',
      select: { code: true },
      resolve: (certificate, _args, context) =>
        context.services.config.publicUrl + certificateVerifyPath(certificate.code),
    }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', {
      type: 'Date',
      nullable: true,
      description: 'Last valid day (the completion expiry); null: never expires.',
    }),
    status: t.field({
      type: CertificateStatus,
      select: { revokedAt: true, expiresAt: true },
      resolve: (certificate) => certificateStatus(certificate),
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    revokeReason: t.exposeString('revokeReason', { nullable: true }),
    completion: t.relation('completion', { type: Completion }),
  }),
});

builder.prismaObjectFields(Completion, (t) => ({
  certificate: t.relation('certificate', {
    type: Certificate,
    nullable: true,
    description: 'The certificate of a passed completion of a course that issues certificates.',
  }),
}));

interface Verification extends PublicCertificate {
  status: CertificateStatusValue;
}

export const CertificateEvidence = builder.objectRef<PublicEvidence>('CertificateEvidence').implement({
  description: 'One piece of evidence a certificate stood on, as anyone holding its code may read it.',
  fields: (t) => ({
    kind: t.expose('kind', { type: CompletionSource }),
    passed: t.exposeBoolean('passed', { description: 'False once retracted (a regraded quiz).' }),
    score: t.exposeFloat('score', { nullable: true }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime' }),
    recordedByName: t.exposeString('recordedByName', {
      nullable: true,
      description: 'Who recorded it (the evaluator of a practical evaluation), by name as on that day.',
    }),
  }),
});

export const CertificateVerification = builder.objectRef<Verification>('CertificateVerification').implement({
  description: 'What anyone holding a certificate code may learn about it, and nothing else.',
  fields: (t) => ({
    status: t.field({ type: CertificateStatus, resolve: (verification) => verification.status }),
    holderName: t.exposeString('holderName', { nullable: true }),
    courseTitle: t.exposeString('courseTitle'),
    issuedBy: t.string({
      description: "The issuing organisation: the tenant's name (see tenantSettings).",
      resolve: (verification) => verification.organisation ?? DEFAULT_ORGANISATION_NAME,
    }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'Date', nullable: true }),
    evidence: t.expose('evidence', {
      type: [CertificateEvidence],
      description: 'What it stood on, oldest first: the quiz, content or practical evaluation, or a reported result.',
    }),
  }),
});

/** Counts one public lookup for the client's address; over the limit: TOO_MANY_REQUESTS (HTTP 429, Retry-After). */
export function countLookup(context: Pick<Context, 'services' | 'clientAddress'>): void {
  const retryAfter = lookupLimiter(context.services).take(context.clientAddress ?? 'unknown');
  if (retryAfter > 0) throw tooManyRequests(retryAfter);
}

builder.queryField('verifyCertificate', (t) =>
  t.field({
    type: CertificateVerification,
    nullable: true,
    description:
      'Public (no token): the status, holder name, course title, dates and evidence of the certificate with this code; ' +
      'null for an unknown code. Rate-limited per client address.',
    skipTypeScopes: true,
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, args, context) => {
      countLookup(context);
      // The owner client, deliberately: the lookup runs as training_app with no tenant, through the one
      // narrow SECURITY DEFINER function (see lookupCertificate).
      return lookupCertificate(context.services.prisma, args.code.trim());
    },
  }),
);

builder.mutationField('revokeCertificate', (t) =>
  t.withAuth({ may: 'certificates.revoke' }).prismaField({
    type: Certificate,
    description:
      'Revokes a certificate of the tenant (admin, safety officer): it verifies as REVOKED from now on. ' +
      'Revoking it again is CONFLICT.',
    args: { code: t.arg.string({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const caller = context.caller;
      const code = args.code.trim();
      if (!CERTIFICATE_CODE.test(code))
        throw badInput('code', 'is not a certificate code', CertificateRule.certificateCode);
      const reason = validate.text('reason', args.reason, { min: 1, max: 1000 });
      await context.transaction(async (tx) => {
        const revoked = await tx.certificate.updateManyAndReturn({
          where: { code, tenantId: caller.tenantId, revokedAt: null },
          data: { revokedAt: new Date(), revokedBy: caller.userId, revokeReason: reason },
          select: { userId: true },
        });
        if (revoked.length > 0) {
          // A revoked certificate no longer qualifies its holder.
          await announceQualificationChange(
            tx,
            caller.tenantId,
            revoked.map((row) => row.userId),
          );
          return;
        }
        const existing = await tx.certificate.findFirst({
          where: { code, tenantId: caller.tenantId },
          select: { id: true },
        });
        if (!existing) throw notFound('Certificate');
        throw conflict('This certificate is already revoked');
      });
      return context.db.certificate.findUniqueOrThrow({
        ...query,
        where: { tenantId_code: { tenantId: caller.tenantId, code } },
      });
    },
  }),
);
