import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CompletionCertificateDocument,
  CourseValidityDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  RevokeCertificateDocument,
  StartTrainingAssignmentDocument,
  UpdateTrainingCourseDocument,
  VerifyCertificateDocument,
} from '../../src/generated/operations/graphql.js';
import { print } from 'graphql';
import { readPdf } from '../support/pdf.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { formatDate } from '../../src/core/i18n/index.js';

/**
 * Certificates: issued with a passed completion of a certifying course, read back as a PDF (its text and
 * QR code), verified publicly (HTML, JSON, GraphQL) without revealing anything about unknown codes,
 * rate-limited per client address, revoked by managers only, invisible across tenants; and the
 * risk-adaptive validity of highRiskExpiryMonths.
 */

const LOOKUP_LIMIT = 5;

let server: TestServer;
let officer: Actor;
let worker: Actor;
let origin: string;

beforeAll(async () => {
  // TRUST_PROXY: each test names its own client address in X-Forwarded-For, so the limit is per test.
  server = await startTestServer({ CERTIFICATE_LOOKUPS_PER_MINUTE: String(LOOKUP_LIMIT), TRUST_PROXY: 'true' });
  origin = new URL(server.url).origin;
  officer = await server.actor('safety_officer', { name: 'Sam Officer' });
  worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Wanda Worker' });
  await worker.request(MyTrainingAssignmentsDocument, {});
}, 120_000);
afterAll(() => server.stop());

let addresses = 0;
/** A client address of its own (X-Forwarded-For, trusted here), so each test has its own lookup budget. */
const newAddress = () => `203.0.113.${++addresses}`;

async function course(input: Record<string, unknown>) {
  const data = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: { title: `Course ${randomUUID().slice(0, 8)}`, category: 'EQUIPMENT_SAFETY', ...input },
    }),
  );
  return data.createTrainingCourse.id;
}

/** Assigns, starts and completes (passed unless told) a course as `who`; returns the assignment id. */
async function complete(courseId: string, who: Actor = worker, passed = true) {
  const { assignTrainingCourse } = await ok(
    officer.request(AssignTrainingCourseDocument, {
      input: { courseId, userId: who.userId, dueDate: dayFromToday(14) },
    }),
  );
  const id = assignTrainingCourse.id;
  await ok(who.request(StartTrainingAssignmentDocument, { assignmentId: id }));
  await ok(
    who.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId: id, score: passed ? 90 : 20, passed, completionTimeMinutes: 30 },
    }),
  );
  return id;
}

async function certified(title = `Forklift Safety ${randomUUID().slice(0, 6)}`, who: Actor = worker) {
  const courseId = await course({ title, expiryMonths: 12, issuesCertificate: true });
  const assignmentId = await complete(courseId, who);
  const { trainingCompletions } = await ok(who.request(CompletionCertificateDocument, { assignmentId }));
  const completion = trainingCompletions.nodes[0]!;
  return { courseId, assignmentId, completion, certificate: completion.certificate!, title };
}

function get(path: string, options: { accept?: string; address?: string } = {}) {
  return fetch(origin + path, {
    headers: { accept: options.accept ?? 'text/html', 'x-forwarded-for': options.address ?? newAddress() },
  });
}

/** verifyCertificate without a token, from a client address. */
async function verifyOverGraphQL(code: string, address = newAddress()) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query: print(VerifyCertificateDocument), variables: { code } }),
  });
  const body = (await response.json()) as {
    data?: { verifyCertificate: Record<string, unknown> | null } | null;
    errors?: { extensions?: { code?: string; retryAfter?: number } }[];
  };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ...body };
}

const certificateRow = async (code: string) =>
  (await server.owner.query('SELECT * FROM certificates WHERE code = $1', [code]))[0];

/** Months after a day, clamped to the month's end, as the API computes expiry. */
function addMonths(day: Date, months: number): string {
  const result = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, day.getUTCDate()));
  if (result.getUTCDate() !== day.getUTCDate()) result.setUTCDate(0);
  return result.toISOString().slice(0, 10);
}

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

describe('verification', () => {
  it('says VALID with holder, course, dates and evidence only, as HTML, JSON and GraphQL', async () => {
    const { certificate, title } = await certified();
    const expected = {
      status: 'VALID',
      holderName: 'Wanda Worker',
      courseTitle: title,
      issuedBy: 'Safety Training',
      issuedAt: certificate.issuedAt,
      expiresAt: certificate.expiresAt,
      // The worker's own report (tests/api/certificate-evidence.test.ts has evaluations and quizzes).
      evidence: [
        {
          kind: 'SELF_REPORT',
          passed: true,
          score: 90,
          recordedAt: certificate.issuedAt,
          recordedByName: 'Wanda Worker',
        },
      ],
    };
    const asJson = await get(`/verify/${certificate.code}`, { accept: 'application/json' });
    expect(asJson.status).toBe(200);
    expect(await asJson.json()).toEqual(expected);
    const graphql = await verifyOverGraphQL(certificate.code);
    expect(graphql.errors).toBeUndefined();
    expect(graphql.data?.verifyCertificate).toEqual(expected);
    const html = await (await get(`/verify/${certificate.code}`)).text();
    expect(html).toContain('Valid certificate');
    expect(html).toContain('Wanda Worker');
    expect(html).toContain(title);
    expect(html).toContain(formatDate('en', new Date(certificate.expiresAt!)));
    expect(html).not.toContain(worker.userId);
    expect(html).not.toContain(worker.tenantId);
  });

  it('escapes what it shows', async () => {
    const { certificate } = await certified('<script>alert("x")</script> & Co');
    const html = await (await get(`/verify/${certificate.code}`)).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
  });

  it('says EXPIRED once the expiry date has passed', async () => {
    // Known data: a completion that expired yesterday, written by the owner.
    const courseId = await course({ expiryMonths: 1, issuesCertificate: true, title: 'Old Course' });
    const assignment = await server.owner.insert('training_assignments', {
      tenant_id: worker.tenantId,
      course_id: courseId,
      user_id: worker.userId,
      status: 'completed',
      completed_at: new Date(Date.now() - 40 * 86_400_000),
    });
    const completion = await server.owner.insert('training_completions', {
      tenant_id: worker.tenantId,
      assignment_id: assignment.id,
      course_id: courseId,
      user_id: worker.userId,
      completed_at: new Date(Date.now() - 40 * 86_400_000),
      expires_at: dayFromToday(-1),
    });
    const code = 'expired-certificate-0001';
    await server.owner.insert('certificates', {
      tenant_id: worker.tenantId,
      completion_id: completion.id,
      user_id: worker.userId,
      course_id: courseId,
      code,
      issued_at: completion.completed_at,
      expires_at: dayFromToday(-1),
    });
    const json = (await (await get(`/verify/${code}`, { accept: 'application/json' })).json()) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ status: 'EXPIRED', courseTitle: 'Old Course', expiresAt: dayFromToday(-1) });
    expect((await verifyOverGraphQL(code)).data?.verifyCertificate).toMatchObject({ status: 'EXPIRED' });
    expect(await (await get(`/verify/${code}`)).text()).toContain('Expired certificate');
    const { certificate } = (
      await ok(worker.request(CompletionCertificateDocument, { assignmentId: String(assignment.id) }))
    ).trainingCompletions.nodes[0]!;
    expect(certificate?.status).toBe('EXPIRED');
  });

  it('says REVOKED after revocation', async () => {
    const { certificate } = await certified();
    await ok(officer.request(RevokeCertificateDocument, { code: certificate.code, reason: 'Issued in error' }));
    const json = (await (await get(`/verify/${certificate.code}`, { accept: 'application/json' })).json()) as Record<
      string,
      unknown
    >;
    expect(json.status).toBe('REVOKED');
    expect(json).not.toHaveProperty('revokeReason');
    expect((await verifyOverGraphQL(certificate.code)).data?.verifyCertificate).toMatchObject({ status: 'REVOKED' });
    expect(await (await get(`/verify/${certificate.code}`)).text()).toContain('Revoked certificate');
  });

  it('reveals nothing about unknown codes: the same 404 for unknown and malformed, null in GraphQL', async () => {
    const { certificate } = await certified();
    const unknown = certificate.code.slice(0, -1) + (certificate.code.endsWith('A') ? 'B' : 'A');
    const answers = [];
    for (const code of [unknown, 'x', 'not a code', '%3Cscript%3E', 'a'.repeat(100)]) {
      const html = await get(`/verify/${code}`);
      const json = await get(`/verify/${code}`, { accept: 'application/json' });
      answers.push([html.status, await html.text(), json.status, await json.text()]);
      const graphql = await verifyOverGraphQL(decodeURIComponent(code));
      expect(graphql.errors).toBeUndefined();
      expect(graphql.data?.verifyCertificate).toBeNull();
    }
    expect(answers[0]![0]).toBe(404);
    expect(answers[0]![2]).toBe(404);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('limits lookups per client address: 429 with Retry-After, coded over GraphQL; other addresses unaffected', async () => {
    const { certificate } = await certified();
    const address = newAddress();
    for (let i = 0; i < LOOKUP_LIMIT; i++) {
      const path = i % 2 ? `/verify/${certificate.code}` : `/certificates/${certificate.code}.pdf`;
      expect((await get(path, { address })).status).toBe(200);
    }
    const refused = await get(`/verify/${certificate.code}`, { address, accept: 'application/json' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'TOO_MANY_REQUESTS' } }] });
    // Unknown codes count too, so guessing is limited the same way.
    expect((await get('/verify/unknown-code-unknown-code', { address })).status).toBe(429);

    const graphql = await verifyOverGraphQL(certificate.code, address);
    expect(graphql.status).toBe(429);
    expect(Number(graphql.retryAfter)).toBeGreaterThan(0);
    expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS' });

    expect((await get(`/verify/${certificate.code}`)).status).toBe(200);
    expect((await verifyOverGraphQL(certificate.code)).data?.verifyCertificate).toMatchObject({ status: 'VALID' });
  });
});

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
