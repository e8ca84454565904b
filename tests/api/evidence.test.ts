import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  RecordPracticalEvaluationDocument,
  StartTrainingAssignmentDocument,
  TrainingCourseDocument,
  UpdateTrainingCourseDocument,
  type CreateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Trusted completions over the API: a course's requirements, EVIDENCE_REQUIRED for a reported result of a
 * course that takes evidence (nothing written), an integration's completions, practical evaluations, and the
 * source and evidence of every completion.
 */

let server: TestServer;
let admin: Actor;
let officer: Actor;
let worker: Actor;
let service: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin', { name: 'Ada Admin' });
  const tenantId = admin.tenantId;
  officer = await server.actor('safety_officer', { tenantId, name: 'Sam Officer' });
  worker = await server.actor('worker', { tenantId, name: 'Wanda Worker' });
  service = await server.actor('service', { tenantId, name: 'Acme LMS' });
  for (const actor of [admin, officer, worker, service]) await ok(actor.request('{ me { id } }'));
}, setupTimeout(120_000));
afterAll(() => server.stop());

const newCourse = (input: Partial<CreateTrainingCourseInput> = {}) =>
  createCourse(officer, {
    title: `Forklift ${randomUUID().slice(0, 8)}`,
    category: 'EQUIPMENT_SAFETY',
    issuesCertificate: true,
    expiryMonths: 12,
    ...input,
  });

/** A fresh assignment of a course with these requirements for the worker. */
async function assigned(requirements: CreateTrainingCourseInput['requirements'] = {}): Promise<string> {
  return assignCourse(officer, await newCourse({ requirements }), worker.userId);
}

const EVIDENCE = 'kind passed score recordedAt recordedBy { id displayName } notes';
const ASSIGNMENT = `query($id: ID!) { _entities(representations: [{ __typename: "Assignment", id: $id }]) {
  ... on Assignment { status evidence { ${EVIDENCE} }
    completion { source passed score expiresAt evidence { ${EVIDENCE} } certificate { status } } } } }`;

interface EvidenceRow {
  kind: string;
  passed: boolean;
  score: number | null;
  recordedAt: string;
  recordedBy: { id: string; displayName: string | null } | null;
  notes: string | null;
}
interface AssignmentView {
  status: string;
  evidence: EvidenceRow[];
  completion: {
    source: string;
    passed: boolean;
    score: number | null;
    expiresAt: string | null;
    evidence: EvidenceRow[];
    certificate: { status: string } | null;
  } | null;
}

async function view(id: string, as: Actor = officer): Promise<AssignmentView> {
  const data = await ok(as.request<{ _entities: AssignmentView[] }, { id: string }>(ASSIGNMENT, { id }));
  return data._entities[0]!;
}

/** Every row of the tenant's training tables: any write changes it. */
const tenantRows = () =>
  server.owner.fingerprints(
    ['training_assignments', 'training_completions', 'certificates', 'training_evidence', 'notifications'],
    admin.tenantId,
  );

const complete = (as: Actor, assignmentId: string, attempt: { score?: number; passed?: boolean } = {}) =>
  as.request(CompleteTrainingAssignmentDocument, {
    input: { assignmentId, score: 90, completionTimeMinutes: 30, ...attempt },
  });

const evaluate = (as: Actor, assignmentId: string, input: { passed: boolean; score?: number; notes?: string }) =>
  as.request(RecordPracticalEvaluationDocument, { input: { assignmentId, ...input } });

describe('a course states what completing it takes', () => {
  it('none by default; set on create; changed field by field on update; null refused', async () => {
    const plain = await newCourse();
    const evaluated = await newCourse({ requirements: { practicalEvaluation: true } });
    const requirementsOf = async (id: string) =>
      (await ok(officer.request(TrainingCourseDocument, { id }))).trainingCourse!.requirements;

    expect(await requirementsOf(plain)).toEqual({ quiz: false, content: false, practicalEvaluation: false });
    expect(await requirementsOf(evaluated)).toEqual({ quiz: false, content: false, practicalEvaluation: true });
    await ok(officer.request(UpdateTrainingCourseDocument, { id: evaluated, input: { requirements: { quiz: true } } }));
    expect(await requirementsOf(evaluated)).toEqual({ quiz: true, content: false, practicalEvaluation: true });

    const refused = await officer.request(UpdateTrainingCourseDocument, {
      id: evaluated,
      input: { requirements: { quiz: null } },
    });
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0]!.extensions).toMatchObject({ field: 'input.requirements.quiz' });
    expect(await requirementsOf(evaluated)).toEqual({ quiz: true, content: false, practicalEvaluation: true });
  });
});

describe('completeTrainingAssignment', () => {
  it('a reported result of a course with requirements is EVIDENCE_REQUIRED, from the assignee or an officer, and writes nothing', async () => {
    const id = await assigned({ quiz: true, practicalEvaluation: true });
    await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId: id }));
    const before = await tenantRows();

    for (const as of [worker, officer, admin]) {
      const response = await complete(as, id, { score: 100, passed: true });
      expect(errorCode(response), as.role).toBe('EVIDENCE_REQUIRED');
      expect(response.errors![0]!.extensions).toMatchObject({ requirements: ['quiz', 'practicalEvaluation'] });
    }

    expect(await tenantRows()).toEqual(before);
    expect((await view(id)).status).toBe('IN_PROGRESS');
  });

  it('a self-report of a course without requirements: SELF_REPORT, its one piece of evidence the reported result', async () => {
    const id = await assigned();
    await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId: id }));

    await ok(complete(worker, id, { score: 77 }));

    const { completion } = await view(id, worker);
    expect(completion).toMatchObject({ source: 'SELF_REPORT', passed: true, score: 77 });
    expect(completion!.evidence).toEqual([
      expect.objectContaining({
        kind: 'SELF_REPORT',
        passed: true,
        score: 77,
        recordedBy: { id: worker.userId, displayName: 'Wanda Worker' },
      }),
    ]);
  });

  it('an integration records any active assignment of its tenant, started or not, requirements or not: INTEGRATION', async () => {
    const notStarted = await assigned({ practicalEvaluation: true });
    const failed = await assigned();

    const data = await ok(complete(service, notStarted, { score: 93 }));
    await ok(complete(service, failed, { score: 20, passed: false }));

    expect(data.completeTrainingAssignment.status).toBe('COMPLETED');
    const { completion } = await view(notStarted);
    expect(completion).toMatchObject({
      source: 'INTEGRATION',
      passed: true,
      score: 93,
      certificate: { status: 'VALID' },
      evidence: [
        expect.objectContaining({ kind: 'INTEGRATION', recordedBy: expect.objectContaining({ id: service.userId }) }),
      ],
    });
    expect(completion!.expiresAt).toEqual(expect.any(String));
    // A failed result leaves the assignment to be taken again, as a failed attempt does.
    expect(await view(failed)).toMatchObject({
      status: 'ASSIGNED',
      completion: { source: 'INTEGRATION', passed: false },
    });
    // A completed assignment is not recorded twice.
    expect(errorCode(await complete(service, notStarted))).toBe('CONFLICT');
  });
});

describe('recordPracticalEvaluation', () => {
  it('failed: kept with evaluator, date and notes, the assignment stays open; passed: completed with its score', async () => {
    const id = await assigned({ practicalEvaluation: true });

    const failed = await ok(evaluate(officer, id, { passed: false, score: 45, notes: 'Forks raised while turning' }));
    expect(failed.recordPracticalEvaluation).toMatchObject({ status: 'ASSIGNED', completion: null });
    const passed = await ok(evaluate(admin, id, { passed: true, score: 88, notes: '  Smooth and safe  ' }));

    expect(passed.recordPracticalEvaluation.status).toBe('COMPLETED');
    const state = await view(id, worker);
    expect(state.evidence).toEqual([
      {
        kind: 'PRACTICAL_EVALUATION',
        passed: false,
        score: 45,
        recordedAt: expect.any(String),
        recordedBy: { id: officer.userId, displayName: 'Sam Officer' },
        notes: 'Forks raised while turning',
      },
      expect.objectContaining({
        passed: true,
        score: 88,
        notes: 'Smooth and safe',
        recordedBy: expect.objectContaining({ id: admin.userId }),
      }),
    ]);
    expect(state.completion).toMatchObject({
      source: 'PRACTICAL_EVALUATION',
      passed: true,
      score: 88,
      certificate: { status: 'VALID' },
      evidence: [expect.objectContaining({ kind: 'PRACTICAL_EVALUATION', passed: true, score: 88, notes: null })],
    });
  });

  it('with a quiz required too, the evaluation waits for it; the completion lists both in order with the quiz score', async () => {
    const id = await assigned({ quiz: true, practicalEvaluation: true });
    // The quiz passed (written as the quiz feature would, in the worker's name).
    await server.owner.query(
      `INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, score)
       VALUES ($1, $2, $3, 'quiz', true, 81)`,
      [admin.tenantId, id, worker.userId],
    );

    await ok(evaluate(officer, id, { passed: true, score: 95 }));

    const { completion } = await view(id);
    expect(completion).toMatchObject({ source: 'PRACTICAL_EVALUATION', score: 81 });
    expect(completion!.evidence.map((e) => [e.kind, e.score])).toEqual([
      ['QUIZ', 81],
      ['PRACTICAL_EVALUATION', 95],
    ]);
  });

  it('refuses bad input, a course without the requirement, a closed or unknown assignment, and workers; nothing is written', async () => {
    const open = await assigned({ practicalEvaluation: true });
    const cancelled = await assigned({ practicalEvaluation: true });
    await ok(officer.request(CancelTrainingAssignmentDocument, { assignmentId: cancelled, reason: 'Left' }));
    const selfReported = await assigned();
    const before = await tenantRows();

    const cases: [string, Promise<{ errors?: { extensions?: { code?: string; field?: string } }[] }>, string][] = [
      ['score over 100', evaluate(officer, open, { passed: true, score: 101 }), 'BAD_USER_INPUT'],
      ['notes too long', evaluate(officer, open, { passed: true, notes: 'x'.repeat(5001) }), 'BAD_USER_INPUT'],
      ['not an id', evaluate(officer, 'forklift', { passed: true }), 'BAD_USER_INPUT'],
      ['no such assignment', evaluate(officer, randomUUID(), { passed: true }), 'NOT_FOUND'],
      ['not required', evaluate(officer, selfReported, { passed: true }), 'CONFLICT'],
      ['cancelled', evaluate(officer, cancelled, { passed: true }), 'CONFLICT'],
      ['a worker', evaluate(worker, open, { passed: true }), 'FORBIDDEN'],
      ['an integration', evaluate(service, open, { passed: true }), 'FORBIDDEN'],
    ];
    for (const [what, response, code] of cases) {
      expect((await response).errors?.[0]?.extensions?.code, what).toBe(code);
    }
    expect((await evaluate(officer, open, { passed: true, score: 101 })).errors![0]!.extensions).toMatchObject({
      field: 'input.score',
    });

    expect(await tenantRows()).toEqual(before);
  });
});
