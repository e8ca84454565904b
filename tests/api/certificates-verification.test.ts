import { describe, expect, it } from 'vitest';
import { CompletionCertificateDocument, RevokeCertificateDocument } from '../../src/generated/operations/graphql.js';
import { dayFromToday, ok } from '../support/server.js';
import { formatDate } from '../../src/core/i18n/index.js';
import {
  LOOKUP_LIMIT,
  server,
  officer,
  worker,
  useCertificatesServer,
  newAddress,
  course,
  certified,
  get,
  verifyOverGraphQL,
} from './certificates-fixtures.js';

/**
 * Public verification (HTML, JSON, GraphQL): what it says, that it reveals nothing about unknown codes, and its
 * limit per client address.
 */

useCertificatesServer();

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
