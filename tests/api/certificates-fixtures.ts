import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CompletionCertificateDocument,
  CreateTrainingCourseDocument,
  MyTrainingAssignmentsDocument,
  StartTrainingAssignmentDocument,
  VerifyCertificateDocument,
} from '../../src/generated/operations/graphql.js';
import { print } from 'graphql';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Shared by the certificates-*.test.ts files. Certificates: issued with a passed completion of a certifying
 * course, read back as a PDF (its text and QR code), verified publicly (HTML, JSON, GraphQL) without revealing
 * anything about unknown codes, rate-limited per client address, revoked by managers only, invisible across
 * tenants; and the risk-adaptive validity of highRiskExpiryMonths.
 */

export const LOOKUP_LIMIT = 5;

export let server: TestServer;
export let officer: Actor;
export let worker: Actor;
export let origin: string;

/** Starts the file's server, a safety officer and a worker of one tenant; call once at the top of a test file. */
export function useCertificatesServer(): void {
  beforeAll(async () => {
    // TRUST_PROXY: each test names its own client address in X-Forwarded-For, so the limit is per test.
    server = await startTestServer({ CERTIFICATE_LOOKUPS_PER_MINUTE: String(LOOKUP_LIMIT), TRUST_PROXY: 'true' });
    origin = new URL(server.url).origin;
    officer = await server.actor('safety_officer', { name: 'Sam Officer' });
    worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Wanda Worker' });
    await worker.request(MyTrainingAssignmentsDocument, {});
  }, setupTimeout(120_000));
  afterAll(() => server.stop());
}

let addresses = 0;
/** A client address of its own (X-Forwarded-For, trusted here), so each test has its own lookup budget. */
export const newAddress = () => `203.0.113.${++addresses}`;

export async function course(input: Record<string, unknown>) {
  const data = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: { title: `Course ${randomUUID().slice(0, 8)}`, category: 'EQUIPMENT_SAFETY', ...input },
    }),
  );
  return data.createTrainingCourse.id;
}

/** Assigns, starts and completes (passed unless told) a course as `who`; returns the assignment id. */
export async function complete(courseId: string, who: Actor = worker, passed = true) {
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

export async function certified(title = `Forklift Safety ${randomUUID().slice(0, 6)}`, who: Actor = worker) {
  const courseId = await course({ title, expiryMonths: 12, issuesCertificate: true });
  const assignmentId = await complete(courseId, who);
  const { trainingCompletions } = await ok(who.request(CompletionCertificateDocument, { assignmentId }));
  const completion = trainingCompletions.nodes[0]!;
  return { courseId, assignmentId, completion, certificate: completion.certificate!, title };
}

export function get(path: string, options: { accept?: string; address?: string } = {}) {
  return fetch(origin + path, {
    headers: { accept: options.accept ?? 'text/html', 'x-forwarded-for': options.address ?? newAddress() },
  });
}

/** verifyCertificate without a token, from a client address. */
export async function verifyOverGraphQL(code: string, address = newAddress()) {
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

export const certificateRow = async (code: string) =>
  (await server.owner.query('SELECT * FROM certificates WHERE code = $1', [code]))[0];

/** Months after a day, clamped to the month's end, as the API computes expiry. */
export function addMonths(day: Date, months: number): string {
  const result = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, day.getUTCDate()));
  if (result.getUTCDate() !== day.getUTCDate()) result.setUTCDate(0);
  return result.toISOString().slice(0, 10);
}
