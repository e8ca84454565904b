import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayFromToday, errorCode, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Every free-text argument keeps text outside the BMP (emoji such as 🦺) intact, and refuses a NUL
 * character (PostgreSQL text cannot hold one) with BAD_USER_INPUT naming the argument, writing nothing.
 */

const VEST = '\u{1F9BA}';

let server: TestServer;
let officer: Actor;
let service: Actor;
let worker: Actor;
let courseId: string;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  service = await server.actor('service', { tenantId: officer.tenantId });
  worker = await server.actor('worker', { tenantId: officer.tenantId });
  await worker.request('{ me { id } }');
  const created = await officer.request<{ createTrainingCourse: { id: string } }, Record<string, unknown>>(
    'mutation ($input: CreateTrainingCourseInput!) { createTrainingCourse(input: $input) { id } }',
    { input: { title: 'Text fields', category: 'OTHER' } },
  );
  courseId = created.data!.createTrainingCourse.id;
  // A fresh database and a server on a machine shared with other test runs: allow for a slow start.
}, setupTimeout(180_000));
afterAll(() => server.stop());

/** Every row the API can write, hashed: any insert, update or delete changes it. */
async function everything(): Promise<unknown> {
  const tables = ['profiles', 'training_courses', 'training_assignments'];
  return server.db.withConnection((c) =>
    c.query(
      `SELECT ${tables
        .map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM ${t} x) AS ${t}`)
        .join(', ')}`,
    ),
  );
}

/** One call per free-text argument, sending `text` in it (after `prepare`); `read` returns what was stored. */
let assignmentId: string;
const FIELDS: {
  field: string;
  prepare?: () => Promise<void>;
  send: (
    text: string,
  ) => Promise<{ errors?: { message: string; extensions?: { code?: string; field?: string } }[]; data?: unknown }>;
  read: (data: unknown) => Promise<string | null | undefined> | string | null | undefined;
}[] = [
  {
    field: 'input.title',
    send: (text) =>
      officer.request(
        'mutation ($input: CreateTrainingCourseInput!) { createTrainingCourse(input: $input) { title } }',
        {
          input: { title: text, category: 'OTHER' },
        },
      ),
    read: (data) => (data as { createTrainingCourse: { title: string } }).createTrainingCourse.title,
  },
  {
    field: 'input.description',
    send: (text) =>
      officer.request(
        'mutation ($id: ID!, $input: UpdateTrainingCourseInput!) { updateTrainingCourse(id: $id, input: $input) { description } }',
        { id: courseId, input: { description: text } },
      ),
    read: (data) => (data as { updateTrainingCourse: { description: string } }).updateTrainingCourse.description,
  },
  {
    field: 'filter.search',
    send: (text) =>
      officer.request('query ($search: String) { trainingCourses(filter: { search: $search }) { nodes { title } } }', {
        search: text,
      }),
    read: (data) => (data as { trainingCourses: { nodes: { title: string }[] } }).trainingCourses.nodes[0]?.title,
  },
  {
    field: 'input.assignmentReason',
    prepare: async () => {
      await server.db.withConnection((c) => c.query('DELETE FROM training_assignments'));
    },
    send: (text) =>
      officer.request(
        'mutation ($input: AssignTrainingCourseInput!) { assignTrainingCourse(input: $input) { assignmentReason } }',
        { input: { courseId, userId: worker.userId, dueDate: dayFromToday(7), assignmentReason: text } },
      ),
    read: (data) =>
      (data as { assignTrainingCourse: { assignmentReason: string } }).assignTrainingCourse.assignmentReason,
  },
  {
    field: 'reason',
    prepare: async () => {
      await server.db.withConnection((c) => c.query('DELETE FROM training_assignments'));
      const assigned = await officer.request<{ assignTrainingCourse: { id: string } }, Record<string, unknown>>(
        'mutation ($input: AssignTrainingCourseInput!) { assignTrainingCourse(input: $input) { id } }',
        { input: { courseId, userId: worker.userId } },
      );
      assignmentId = assigned.data!.assignTrainingCourse.id;
    },
    send: (text) =>
      officer.request(
        'mutation ($id: ID!, $reason: String) { cancelTrainingAssignment(assignmentId: $id, reason: $reason) { cancelReason } }',
        { id: assignmentId, reason: text },
      ),
    read: (data) =>
      (data as { cancelTrainingAssignment: { cancelReason: string } }).cancelTrainingAssignment.cancelReason,
  },
  // profiles[0].email is not free text: it holds one address (tests/api/profile-emails.test.ts).
  (() => {
    const id = randomUUID();
    return {
      field: 'profiles[0].displayName',
      send: (text: string) =>
        service.request('mutation ($profiles: [ProfileInput!]!) { upsertProfiles(profiles: $profiles) }', {
          profiles: [{ id, role: 'WORKER', displayName: text }],
        }),
      read: async () => {
        const [row] = await server.db.withConnection((c) =>
          c.query<{ value: string }>('SELECT display_name AS value FROM profiles WHERE id = $1', [id]),
        );
        return row?.value;
      },
    };
  })(),
];

describe.each(FIELDS)('$field', ({ field, prepare, send, read }) => {
  it(`keeps emoji (${VEST}) intact`, async () => {
    const text = `Hi-vis ${VEST} vest ${VEST}`;
    // The search finds the course whose title holds the text.
    if (field === 'filter.search') await FIELDS[0]!.send(text);
    await prepare?.();

    const response = await send(text);

    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(await read(response.data)).toBe(text);
  });

  it('refuses a NUL character with BAD_USER_INPUT naming the argument, writing nothing', async () => {
    await prepare?.();
    const before = await everything();

    const response = await send('before\u0000after');

    expect(errorCode(response as never)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.message).toBe(`${field}: must not contain NUL characters`);
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await everything()).toEqual(before);
  });
});
