import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  UpdateTrainingCourseDocument,
  type CourseCategory,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * The audit trail is complete: for random sequences of writes (through the API, and the owner's cascading
 * deletes), replaying a tenant's audit events in order rebuilds every audited row exactly as it is stored.
 */

const TABLES = ['profiles', 'training_courses', 'training_assignments'] as const;
const CATEGORIES: CourseCategory[] = ['SAFETY_FUNDAMENTALS', 'HAZARD_AWARENESS', 'COMPLIANCE', 'OTHER'];

type Command =
  | { kind: 'createCourse'; title: string; category: CourseCategory }
  | { kind: 'updateCourse'; pick: number; title?: string; durationMinutes?: number | null; required?: boolean }
  | { kind: 'assign'; pick: number; worker: number; dueInDays: number }
  | { kind: 'start' | 'cancel'; pick: number }
  | { kind: 'deleteCourse'; pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('createCourse' as const),
    title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0),
    category: fc.constantFrom(...CATEGORIES),
  }),
  fc.record(
    {
      kind: fc.constant('updateCourse' as const),
      pick: fc.nat(),
      title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0),
      durationMinutes: fc.option(fc.integer({ min: 1, max: 600 })),
      required: fc.boolean(),
    },
    { requiredKeys: ['kind', 'pick'] },
  ),
  fc.record({
    kind: fc.constant('assign' as const),
    pick: fc.nat(),
    worker: fc.nat({ max: 2 }),
    dueInDays: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({ kind: fc.constantFrom('start' as const, 'cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deleteCourse' as const), pick: fc.nat() }),
);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** Runs one command; a write the API refuses (a duplicate assignment, an illegal transition) is part of the test too. */
async function run(step: Command, officer: Actor, workers: Actor[], courses: string[], assignments: string[]) {
  const pickFrom = (list: string[], pick: number) => (list.length ? list[pick % list.length] : undefined);
  switch (step.kind) {
    case 'createCourse': {
      const response = await officer.request(CreateTrainingCourseDocument, {
        input: { title: step.title, category: step.category },
      });
      if (response.data) courses.push(response.data.createTrainingCourse.id);
      return;
    }
    case 'updateCourse': {
      const id = pickFrom(courses, step.pick);
      const { title, durationMinutes, required } = step;
      if (id) await officer.request(UpdateTrainingCourseDocument, { id, input: { title, durationMinutes, required } });
      return;
    }
    case 'assign': {
      const courseId = pickFrom(courses, step.pick);
      if (!courseId) return;
      const response = await officer.request(AssignTrainingCourseDocument, {
        input: { courseId, userId: workers[step.worker]!.userId, dueDate: dayFromToday(step.dueInDays) },
      });
      if (response.data) assignments.push(response.data.assignTrainingCourse.id);
      return;
    }
    case 'start': {
      const id = pickFrom(assignments, step.pick);
      const worker = id && (await assigneeOf(id, workers));
      if (worker) await worker.request(StartTrainingAssignmentDocument, { assignmentId: id });
      return;
    }
    case 'cancel': {
      const id = pickFrom(assignments, step.pick);
      if (id) await officer.request(CancelTrainingAssignmentDocument, { assignmentId: id, reason: 'replay test' });
      return;
    }
    case 'deleteCourse': {
      // No operation deletes a course: the owner does, and the database cascades to its assignments.
      const id = pickFrom(courses, step.pick);
      if (!id) return;
      await server.owner.query('DELETE FROM training_courses WHERE id = $1', [id]);
      courses.splice(courses.indexOf(id), 1);
      return;
    }
  }
}

async function assigneeOf(assignmentId: string, workers: Actor[]): Promise<Actor | undefined> {
  const [row] = await server.owner.query<{ user_id: string }>(
    'SELECT user_id FROM training_assignments WHERE id = $1',
    [assignmentId],
  );
  return workers.find((worker) => worker.userId === row?.user_id);
}

/** Each audited row of the tenant, rebuilt from its audit events in order: create sets it, update merges, delete removes. */
async function replayed(tenantId: string): Promise<Map<string, unknown>> {
  const events = await server.owner.query<{
    entity_type: string;
    entity_id: string;
    action: string;
    changes: { after: Record<string, unknown> | null };
  }>(
    'SELECT entity_type, entity_id, action, changes FROM audit_events WHERE tenant_id = $1 AND entity_type = ANY($2) ORDER BY seq',
    [tenantId, TABLES],
  );
  const rows = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const key = `${event.entity_type}/${event.entity_id}`;
    if (event.action === 'delete') rows.delete(key);
    else rows.set(key, { ...(event.action === 'update' ? rows.get(key) : {}), ...event.changes.after });
  }
  return rows;
}

async function stored(tenantId: string): Promise<Map<string, unknown>> {
  const rows = new Map<string, unknown>();
  for (const table of TABLES) {
    const found = await server.owner.query<{ id: string; row: unknown }>(
      `SELECT id, to_jsonb(t) AS row FROM "${table}" t WHERE tenant_id = $1`,
      [tenantId],
    );
    for (const { id, row } of found) rows.set(`${table}/${id}`, row);
  }
  return rows;
}

describe('audit replay', () => {
  it('replaying the audit trail reproduces every audited row of the tenant', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
        const officer = await server.actor('safety_officer');
        const workers = [
          await server.actor('worker', { tenantId: officer.tenantId }),
          await server.actor('worker', { tenantId: officer.tenantId }),
          await server.actor('worker', { tenantId: officer.tenantId }),
        ];
        const courses: string[] = [];
        const assignments: string[] = [];
        for (const step of commands) await run(step, officer, workers, courses, assignments);
        const [actual, rebuilt] = [await stored(officer.tenantId), await replayed(officer.tenantId)];
        expect(Object.fromEntries(rebuilt)).toEqual(Object.fromEntries(actual));
      }),
      { numRuns: 12 },
    );
  });
});
