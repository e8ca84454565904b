import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * The training records for auditors: `GET /exports/training-records.csv` and `.xlsx`, as admins and safety
 * officers, filtered, read as the caller under RLS.
 */

let server: TestServer;
let admin: Actor;
let officer: Actor;
let worker: Actor;
let worker2: Actor;
let stranger: Actor;
const ids = { course: '', tricky: '', zone: randomUUID(), equipment: randomUUID() };

const HEADINGS = [
  'Person',
  'Email',
  'Course',
  'Assigned',
  'Due',
  'Status',
  'Completed',
  'Source',
  'Evidence',
  'Evaluator',
  'Score',
  'Passed',
  'Certificate code',
  'Certificate status',
  'Expires',
];

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin', { name: 'Ada Admin' });
  officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
  worker = await server.actor('worker', { tenantId: admin.tenantId, name: 'Wei Chen', email: 'wei@example.com' });
  worker2 = await server.actor('worker', { tenantId: admin.tenantId, name: 'Ola, "the welder"' });
  stranger = await server.actor('admin');
  for (const actor of [admin, worker, worker2, stranger]) await actor.request('{ me { id } }');
  const { owner } = server;
  const tenant = admin.tenantId;
  const course = async (title: string) =>
    (await owner.insert('training_courses', { tenant_id: tenant, title, category: 'other', created_by: admin.userId }))
      .id as string;
  ids.course = await course('Working at Height');
  await owner.query('UPDATE training_courses SET requires_practical_evaluation = true WHERE id = $1', [ids.course]);
  ids.tricky = await course('=HYPERLINK("http://evil.example")');
  const assign = async (courseId: string, userId: string, status: string, assignedAt: string) =>
    (
      await owner.insert('training_assignments', {
        tenant_id: tenant,
        course_id: courseId,
        user_id: userId,
        status,
        assigned_at: assignedAt,
        due_date: '2026-03-31',
      })
    ).id as string;
  const done = await assign(ids.course, worker.userId, 'completed', '2026-03-01T09:00:00Z');
  await assign(ids.tricky, worker2.userId, 'assigned', '2026-03-02T09:00:00Z');
  await owner.insert('training_evidence', {
    tenant_id: tenant,
    assignment_id: done,
    user_id: worker.userId,
    kind: 'practical_evaluation',
    passed: true,
    score: 80,
    recorded_by: admin.userId,
    recorded_at: '2026-03-05T10:00:00Z',
  });
  const completion = await owner.insert('training_completions', {
    tenant_id: tenant,
    assignment_id: done,
    course_id: ids.course,
    user_id: worker.userId,
    score: 80,
    passed: true,
    completion_time_minutes: 30,
    completed_at: '2026-03-05T10:00:00Z',
    expires_at: '2027-03-05',
    source: 'practical_evaluation',
    evidence: JSON.stringify([
      {
        kind: 'practical_evaluation',
        passed: true,
        score: 80,
        recordedAt: '2026-03-05T10:00:00Z',
        recordedBy: admin.userId,
        recordedByName: 'Ada Admin',
      },
    ]),
  });
  await owner.insert('certificates', {
    tenant_id: tenant,
    completion_id: completion.id,
    user_id: worker.userId,
    course_id: ids.course,
    code: 'CERT-export-0000000000000001',
    expires_at: '2027-03-05',
  });
  await owner.insert('shift_assignments', {
    tenant_id: tenant,
    zone_id: ids.zone,
    user_id: worker.userId,
    starts_at: '2026-03-03T08:00:00Z',
    ends_at: '2026-03-03T16:00:00Z',
  });
  await owner.insert('equipment_operators', {
    tenant_id: tenant,
    equipment_id: ids.equipment,
    user_id: worker2.userId,
  });
});
afterAll(() => server.stop());

const exportUrl = (format: 'csv' | 'xlsx', query: Record<string, string> = {}) =>
  `${new URL(`/exports/training-records.${format}`, server.url)}?${new URLSearchParams(query)}`;

const get = (format: 'csv' | 'xlsx', actor: Actor | null, query: Record<string, string> = {}) =>
  fetch(exportUrl(format, query), { headers: actor ? { authorization: `Bearer ${actor.token}` } : {} });

/** RFC 4180, enough for these files: quoted fields with doubled quotes and commas. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean)) {
    const fields: string[] = [];
    for (const match of line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)) {
      const field = match[1]!;
      fields.push(field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field);
    }
    rows.push(fields);
  }
  return rows;
}

const csvRows = async (actor: Actor, query: Record<string, string> = {}) => {
  const response = await get('csv', actor, query);
  expect(response.status).toBe(200);
  return parseCsv(await response.text());
};

describe('training records export', () => {
  it('CSV: who was trained in what, when, the evidence and its evaluator, the certificate and its expiry', async () => {
    const response = await get('csv', officer);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="training-records-.*\.csv"$/);
    const [headings, ...rows] = parseCsv(await response.text());
    expect(headings).toEqual(HEADINGS);
    expect(rows).toEqual([
      [
        'Wei Chen',
        'wei@example.com',
        'Working at Height',
        '2026-03-01T09:00:00Z',
        '2026-03-31',
        'completed',
        '2026-03-05T10:00:00Z',
        'practical_evaluation',
        expect.stringMatching(/^practical_evaluation score 80 on \d{4}-\d{2}-\d{2}$/),
        'Ada Admin',
        '80',
        'true',
        'CERT-export-0000000000000001',
        'valid',
        '2027-03-05',
      ],
      // A formula in a title is written inert; a comma and quotes survive quoting.
      [
        'Ola, "the welder"',
        '',
        `'=HYPERLINK("http://evil.example")`,
        '2026-03-02T09:00:00Z',
        '2026-03-31',
        'assigned',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ],
    ]);
  });

  it('filters by course, user, zone, equipment and time, together', async () => {
    const people = async (query: Record<string, string>) => (await csvRows(admin, query)).slice(1).map((row) => row[0]);
    expect(await people({ course: ids.course })).toEqual(['Wei Chen']);
    expect(await people({ user: worker2.userId })).toEqual(['Ola, "the welder"']);
    expect(await people({ zone: ids.zone })).toEqual(['Wei Chen']);
    expect(await people({ equipment: ids.equipment })).toEqual(['Ola, "the welder"']);
    expect(await people({ from: '2026-03-04', to: '2026-03-06' })).toEqual(['Wei Chen']);
    expect(await people({ from: '2026-03-02T00:00:00Z', to: '2026-03-03' })).toEqual(['Ola, "the welder"']);
    expect(await people({ course: ids.course, zone: randomUUID() })).toEqual([]);
  });

  it("XLSX: the same rows in a workbook; another tenant's admin gets none of them", async () => {
    const response = await get('xlsx', admin);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as never);
    const sheet = workbook.getWorksheet('Training records')!;
    const cells: unknown[][] = [];
    sheet.eachRow((row) => cells.push((row.values as unknown[]).slice(1)));
    expect(cells[0]).toEqual(HEADINGS);
    expect(cells).toHaveLength(3);
    expect(cells[1]!.slice(0, 3)).toEqual(['Wei Chen', 'wei@example.com', 'Working at Height']);
    expect(cells[1]![10]).toBe(80);
    expect(cells[2]![2]).toBe(`'=HYPERLINK("http://evil.example")`);

    expect(await csvRows(stranger)).toEqual([HEADINGS]);
  });

  it('admins and safety officers only; a bad filter is refused with its field, before any file', async () => {
    const refused = async (response: Response, status: number, code: string, field?: string) => {
      expect(response.status).toBe(status);
      const body = (await response.json()) as { errors: { extensions: { code: string; field?: string } }[] };
      expect(body.errors[0]!.extensions).toMatchObject(field ? { code, field } : { code });
    };
    await refused(await get('csv', worker), 403, 'FORBIDDEN');
    await refused(await get('xlsx', null), 401, 'UNAUTHENTICATED');
    await refused(await get('csv', admin, { course: 'nope' }), 400, 'BAD_USER_INPUT', 'course');
    await refused(await get('csv', admin, { from: 'yesterday' }), 400, 'BAD_USER_INPUT', 'from');
    await refused(await get('csv', admin, { from: '2026-03-02', to: '2026-03-01' }), 400, 'BAD_USER_INPUT', 'to');
    const post = await fetch(exportUrl('csv'), { method: 'POST', headers: { authorization: `Bearer ${admin.token}` } });
    expect(post.status).toBe(405);
  });
});
