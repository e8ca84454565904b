import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retractRequirement } from '../../src/completions/evidence.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  CompletionCertificateDocument,
  MyNotificationsDocument,
  RecordPracticalEvaluationDocument,
  VerifyCertificateDocument,
} from '../../src/generated/operations/graphql.js';
import { readPdf } from '../support/pdf.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { formatDate } from '../../src/core/i18n/index.js';
import { todayUtc } from '../../src/core/today.js';
import { setupTimeout } from '../support/citus.js';

/**
 * A certificate says what it stood on: the PDF, the verify page (HTML and JSON) and verifyCertificate list
 * the quiz and the practical evaluation with their dates and the evaluator's name; a retracted quiz
 * (a regrade) revokes the certificate, reopens the training and tells the worker.
 */

let server: TestServer;
let admin: Actor;
let officer: Actor;
let worker: Actor;
let origin: string;

beforeAll(async () => {
  server = await startTestServer();
  origin = new URL(server.url).origin;
  admin = await server.actor('admin', { name: 'Ada Admin' });
  officer = await server.actor('safety_officer', { tenantId: admin.tenantId, name: 'Sam Officer' });
  worker = await server.actor('worker', { tenantId: admin.tenantId, name: 'Wanda Worker' });
  for (const actor of [admin, officer, worker]) await ok(actor.request('{ me { id } }'));
}, setupTimeout(120_000));
afterAll(() => server.stop());

// Dates as the pages write them for a reader of English.
const today = () => formatDate('en', todayUtc());

/** A forklift course needing a quiz and a practical evaluation, passed by the worker: its assignment and code. */
async function certifiedOnEvidence(): Promise<{ assignmentId: string; code: string }> {
  const courseId = await createCourse(officer, {
    title: 'Forklift Operation',
    category: 'EQUIPMENT_SAFETY',
    issuesCertificate: true,
    expiryMonths: 36,
    requirements: { quiz: true, practicalEvaluation: true },
  });
  const assignmentId = await assignCourse(officer, courseId, worker.userId);
  // The quiz passed, as the quiz feature records it in the worker's name.
  await server.owner.query(
    `INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, score)
     VALUES ($1, $2, $3, 'quiz', true, 85)`,
    [admin.tenantId, assignmentId, worker.userId],
  );
  await ok(
    officer.request(RecordPracticalEvaluationDocument, {
      input: { assignmentId, passed: true, score: 90, notes: 'Load handled safely' },
    }),
  );
  const data = await ok(worker.request(CompletionCertificateDocument, { assignmentId }));
  return { assignmentId, code: data.trainingCompletions.nodes[0]!.certificate!.code };
}

const summary = () => `Quiz 85 % on ${today()}; practical evaluation by Sam Officer on ${today()}`;

describe('a certificate shows its evidence', () => {
  it('in the PDF, on the verify page, in its JSON and in verifyCertificate', async () => {
    const { code } = await certifiedOnEvidence();

    const pdf = await readPdf(await (await fetch(`${origin}/certificates/${code}.pdf`)).arrayBuffer());
    expect(pdf.text).toContain(`Quiz 85 % on ${today()}`);
    expect(pdf.text).toContain(`Practical evaluation by Sam Officer on ${today()}`);
    const html = await (await fetch(`${origin}/verify/${code}`)).text();
    expect(html).toContain(summary());
    const json = (await (
      await fetch(`${origin}/verify/${code}`, { headers: { accept: 'application/json' } })
    ).json()) as { evidence: unknown };
    const evidence = [
      { kind: 'QUIZ', passed: true, score: 85, recordedAt: expect.any(String), recordedByName: null },
      {
        kind: 'PRACTICAL_EVALUATION',
        passed: true,
        score: 90,
        recordedAt: expect.any(String),
        recordedByName: 'Sam Officer',
      },
    ];
    expect(json.evidence).toEqual(evidence);
    const graphql = await ok(server.request(VerifyCertificateDocument, { code }));
    expect(graphql.verifyCertificate).toMatchObject({ status: 'VALID', evidence });
  });

  it('a retracted quiz revokes it ("regrade"), reopens the training and tells the worker', async () => {
    const { assignmentId, code } = await certifiedOnEvidence();

    const { completionIds } = await runAsCaller(
      server.db.prisma,
      { tenantId: admin.tenantId, userId: admin.userId, role: 'admin' },
      (tx) =>
        retractRequirement(tx, admin.tenantId, { assignmentIds: [assignmentId], kind: 'quiz', reason: 'regrade' }),
    );

    expect(completionIds).toHaveLength(1);
    const html = await (await fetch(`${origin}/verify/${code}`)).text();
    expect(html).toContain('Revoked certificate');
    expect(html).toContain(`Quiz 85 % on ${today()} (no longer passing)`);
    const notifications = await ok(worker.request(MyNotificationsDocument, {}));
    expect(notifications.myNotifications.nodes).toContainEqual(
      expect.objectContaining({
        kind: 'COMPLETION_RETRACTED',
        assignment: expect.objectContaining({ id: assignmentId }),
      }),
    );
    const { _entities } = await ok(
      worker.request<{ _entities: { status: string; completion: { passed: boolean } }[] }, { id: string }>(
        `query($id: ID!) { _entities(representations: [{ __typename: "Assignment", id: $id }]) {
           ... on Assignment { status completion { passed } } } }`,
        { id: assignmentId },
      ),
    );
    expect(_entities[0]).toEqual({ status: 'ASSIGNED', completion: { passed: false } });
  });
});
