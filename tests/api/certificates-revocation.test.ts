import { describe, expect, it } from 'vitest';
import { CompletionCertificateDocument, RevokeCertificateDocument } from '../../src/generated/operations/graphql.js';
import { errorCode, ok } from '../support/server.js';
import { server, officer, worker, useCertificatesServer, certified, certificateRow } from './certificates-fixtures.js';

/** Revoking a certificate: managers only, checked input, and never across tenants. */

useCertificatesServer();

describe('revocation', () => {
  it('is for admins and safety officers: a worker gets FORBIDDEN and nothing changes', async () => {
    const { certificate } = await certified();
    const before = await certificateRow(certificate.code);
    const response = await worker.request(RevokeCertificateDocument, { code: certificate.code, reason: 'Mine' });
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(await certificateRow(certificate.code)).toEqual(before);

    const admin = await server.actor('admin', { tenantId: officer.tenantId });
    const revoked = await ok(admin.request(RevokeCertificateDocument, { code: certificate.code, reason: ' Cheated ' }));
    expect(revoked.revokeCertificate).toMatchObject({
      code: certificate.code,
      status: 'REVOKED',
      revokeReason: 'Cheated',
    });
    expect(revoked.revokeCertificate.revokedAt).toBeTruthy();
    expect(await certificateRow(certificate.code)).toMatchObject({
      revoked_by: admin.userId,
      revoke_reason: 'Cheated',
    });
  });

  it('refuses bad input with a code naming the field and writes nothing', async () => {
    const { certificate } = await certified();
    const before = await certificateRow(certificate.code);
    for (const [variables, field] of [
      [{ code: certificate.code, reason: '   ' }, 'reason'],
      [{ code: certificate.code, reason: 'x'.repeat(1001) }, 'reason'],
      [{ code: 'not a code', reason: 'Wrong' }, 'code'],
    ] as const) {
      const response = await officer.request(RevokeCertificateDocument, variables);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect(await certificateRow(certificate.code)).toEqual(before);
  });

  it('answers NOT_FOUND for an unknown code and CONFLICT for a second revocation, which changes nothing', async () => {
    const unknown = await officer.request(RevokeCertificateDocument, { code: 'B'.repeat(24), reason: 'Wrong' });
    expect(errorCode(unknown)).toBe('NOT_FOUND');

    const { certificate } = await certified();
    await ok(officer.request(RevokeCertificateDocument, { code: certificate.code, reason: 'First' }));
    const first = await certificateRow(certificate.code);
    const again = await officer.request(RevokeCertificateDocument, { code: certificate.code, reason: 'Second' });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(await certificateRow(certificate.code)).toEqual(first);
  });
});

describe('tenancy', () => {
  it("keeps another tenant's officer from seeing or revoking a certificate (NOT_FOUND, nothing written)", async () => {
    const { certificate, assignmentId } = await certified();
    const before = await certificateRow(certificate.code);
    const stranger = await server.actor('safety_officer');
    const revoke = await stranger.request(RevokeCertificateDocument, { code: certificate.code, reason: 'Mine now' });
    expect(errorCode(revoke)).toBe('NOT_FOUND');
    expect(await certificateRow(certificate.code)).toEqual(before);
    const read = await ok(stranger.request(CompletionCertificateDocument, { assignmentId }));
    expect(read.trainingCompletions.nodes).toEqual([]);
    // Another worker of the same tenant does not see it either (RLS: workers read their own).
    const colleague = await server.actor('worker', { tenantId: worker.tenantId });
    expect(
      (await ok(colleague.request(CompletionCertificateDocument, { assignmentId }))).trainingCompletions.nodes,
    ).toEqual([]);
  });
});
