import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CompletionCertificateDocument,
  CourseValidityDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  UpdateTrainingCourseDocument,
} from '../../src/generated/operations/graphql.js';
import { readPdf } from '../support/pdf.js';
import { errorCode, ok, type Actor } from '../support/server.js';
import { formatDate } from '../../src/core/i18n/index.js';
import {
  server,
  officer,
  worker,
  origin,
  useCertificatesServer,
  course,
  complete,
  certified,
  get,
  certificateRow,
  addMonths,
} from './certificates-fixtures.js';

/** Issuing a certificate, its PDF, and how long it is valid (risk-adaptive highRiskExpiryMonths). */

useCertificatesServer();

describe('issuing', () => {
  it('gives a passed completion of a certifying course a certificate with an unguessable code, in its transaction', async () => {
    const { completion, certificate } = await certified();
    expect(certificate.code).toMatch(/^[A-Za-z0-9_-]{24}$/); // 144 random bits, base64url
    expect(certificate).toMatchObject({
      url: `${origin}/certificates/${certificate.code}.pdf`,
      verifyUrl: `${origin}/verify/${certificate.code}`,
      status: 'VALID',
      expiresAt: completion.expiresAt,
      issuedAt: completion.completedAt,
      revokedAt: null,
      revokeReason: null,
    });
    // The original column is now the PDF's URL.
    expect(completion.certificateUrl).toBe(certificate.url);
    const row = await certificateRow(certificate.code);
    expect(row).toMatchObject({ tenant_id: worker.tenantId, user_id: worker.userId, completion_id: completion.id });
  });

  it('gives no certificate to a failed attempt or a course that issues none', async () => {
    const certifying = await course({ expiryMonths: 12, issuesCertificate: true });
    const failed = await complete(certifying, worker, false);
    const plain = await complete(await course({ expiryMonths: 12 }));
    for (const assignmentId of [failed, plain]) {
      const data = await ok(officer.request(CompletionCertificateDocument, { assignmentId }));
      for (const node of data.trainingCompletions.nodes)
        expect(node).toMatchObject({ certificate: null, certificateUrl: null });
    }
    expect(
      await server.owner.count(
        'certificates',
        'completion_id IN (SELECT id FROM training_completions WHERE assignment_id = ANY($1::uuid[]))',
        [[failed, plain]],
      ),
    ).toBe(0);
  });

  it('makes a code that is unique across certificates', async () => {
    const a = await certified();
    const b = await certified();
    expect(a.certificate.code).not.toBe(b.certificate.code);
  });
});

describe('the PDF', () => {
  it('is served without a token and says who, what, when, until when, the code, with a QR code of the verify URL', async () => {
    const { certificate, completion, title } = await certified('Forklift Safety');
    const response = await get(`/certificates/${certificate.code}.pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { text, qrCodes } = await readPdf(await response.arrayBuffer());
    expect(text).toContain('Wanda Worker');
    expect(text).toContain(title);
    expect(text).toContain(formatDate('en', new Date(completion.completedAt!)));
    expect(text).toContain(formatDate('en', new Date(completion.expiresAt!)));
    expect(text).toContain(certificate.code);
    expect(qrCodes).toEqual([certificate.verifyUrl]);
  });

  it('answers 404 for an unknown or malformed code', async () => {
    for (const path of [`/certificates/${'A'.repeat(24)}.pdf`, '/certificates/not-a-code!.pdf', '/certificates/x']) {
      expect((await get(path)).status).toBe(404);
    }
  });
});

describe('risk-adaptive validity (highRiskExpiryMonths)', () => {
  /** Scores written by the owner as the risk engine would (older first), without auto-assignment. */
  async function scores(entityType: string, entityId: string, ...values: number[]) {
    for (const [index, score] of values.entries()) {
      await server.owner.insert('predictive_scores', {
        tenant_id: worker.tenantId,
        entity_type: entityType,
        entity_id: entityId,
        score,
        computed_at: new Date(Date.now() - (values.length - index) * 3_600_000),
      });
    }
  }

  async function expiryOf(assignmentId: string, who: Actor) {
    const node = (await ok(who.request(CompletionCertificateDocument, { assignmentId }))).trainingCompletions.nodes[0]!;
    expect(node.certificate?.expiresAt).toBe(node.expiresAt);
    return { expiresAt: node.expiresAt, completedAt: new Date(node.completedAt!) };
  }

  it('shortens validity for a user whose relevant latest score is at or above the threshold', async () => {
    const courseId = await course({
      riskThreshold: 60,
      entityType: 'WORKER',
      expiryMonths: 24,
      highRiskExpiryMonths: 6,
      issuesCertificate: true,
    });
    const high = await server.actor('worker', { tenantId: worker.tenantId });
    const dropped = await server.actor('worker', { tenantId: worker.tenantId });
    const exactly = await server.actor('worker', { tenantId: worker.tenantId });
    const driverOnly = await server.actor('worker', { tenantId: worker.tenantId });
    for (const who of [high, dropped, exactly, driverOnly]) await who.request(MyTrainingAssignmentsDocument, {});
    await scores('worker', high.userId, 20, 75); // latest 75 ≥ 60
    await scores('worker', dropped.userId, 95, 40); // was high, latest 40 < 60
    await scores('worker', exactly.userId, 60); // at the threshold counts
    await scores('driver', driverOnly.userId, 99); // a driver score: not what a WORKER course answers

    const months = async (who: Actor) => {
      const { expiresAt, completedAt } = await expiryOf(await complete(courseId, who), who);
      return [6, 24].find((m) => addMonths(completedAt, m) === expiresAt);
    };
    expect(await months(high)).toBe(6);
    expect(await months(dropped)).toBe(24);
    expect(await months(exactly)).toBe(6);
    expect(await months(driverOnly)).toBe(24);
  });

  it('follows zones through shifts and equipment through operators for a GENERAL course', async () => {
    const courseId = await course({
      riskThreshold: 70,
      entityType: 'GENERAL',
      expiryMonths: 12,
      highRiskExpiryMonths: 3,
      issuesCertificate: true,
    });
    const inZone = await server.actor('worker', { tenantId: worker.tenantId });
    const operator = await server.actor('worker', { tenantId: worker.tenantId });
    const oldShift = await server.actor('worker', { tenantId: worker.tenantId });
    for (const who of [inZone, operator, oldShift]) await who.request(MyTrainingAssignmentsDocument, {});
    const zone = randomUUID();
    const equipment = randomUUID();
    const hour = 3_600_000;
    await server.owner.insert('shift_assignments', {
      tenant_id: worker.tenantId,
      zone_id: zone,
      user_id: inZone.userId,
      starts_at: new Date(Date.now() - 2 * hour),
      ends_at: new Date(Date.now() + 6 * hour),
    });
    await server.owner.insert('shift_assignments', {
      tenant_id: worker.tenantId,
      zone_id: zone,
      user_id: oldShift.userId,
      starts_at: new Date(Date.now() - 60 * 24 * hour),
      ends_at: new Date(Date.now() - 59 * 24 * hour),
    });
    await server.owner.insert('equipment_operators', {
      tenant_id: worker.tenantId,
      equipment_id: equipment,
      user_id: operator.userId,
    });
    await scores('zone', zone, 85);
    await scores('equipment', equipment, 10, 70);

    for (const [who, expected] of [
      [inZone, 3],
      [operator, 3],
      [oldShift, 12], // the shift ended 59 days ago: that zone no longer concerns them
    ] as const) {
      const { expiresAt, completedAt } = await expiryOf(await complete(courseId, who), who);
      expect(expiresAt).toBe(addMonths(completedAt, expected));
    }
  });

  it('is validated: at most expiryMonths, which it needs; refused changes write nothing', async () => {
    const tooLong = await officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Too long', category: 'COMPLIANCE', expiryMonths: 6, highRiskExpiryMonths: 7 },
    });
    expect(errorCode(tooLong)).toBe('BAD_USER_INPUT');
    expect(tooLong.errors?.[0]?.extensions?.field).toBe('input.highRiskExpiryMonths');
    const alone = await officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Alone', category: 'COMPLIANCE', highRiskExpiryMonths: 3 },
    });
    expect(errorCode(alone)).toBe('BAD_USER_INPUT');
    const zero = await officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Zero', category: 'COMPLIANCE', expiryMonths: 6, highRiskExpiryMonths: 0 },
    });
    expect(errorCode(zero)).toBe('BAD_USER_INPUT');
    expect(await server.owner.count('training_courses', "title IN ('Too long', 'Alone', 'Zero')")).toBe(0);

    const id = await course({ expiryMonths: 12, highRiskExpiryMonths: 6 });
    const before = (await ok(officer.request(CourseValidityDocument, { id }))).trainingCourse;
    expect(before).toMatchObject({ expiryMonths: 12, highRiskExpiryMonths: 6 });
    for (const [input, field] of [
      [{ expiryMonths: 5 }, 'input.expiryMonths'],
      [{ expiryMonths: null }, 'input.expiryMonths'],
      [{ highRiskExpiryMonths: 13 }, 'input.highRiskExpiryMonths'],
    ] as const) {
      const response = await officer.request(UpdateTrainingCourseDocument, { id, input });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect((await ok(officer.request(CourseValidityDocument, { id }))).trainingCourse).toEqual(before);
    const changed = await ok(
      officer.request(UpdateTrainingCourseDocument, { id, input: { expiryMonths: 3, highRiskExpiryMonths: 2 } }),
    );
    expect(changed.updateTrainingCourse).toMatchObject({ expiryMonths: 3 });
    expect((await ok(officer.request(CourseValidityDocument, { id }))).trainingCourse).toMatchObject({
      highRiskExpiryMonths: 2,
    });
  });
});
