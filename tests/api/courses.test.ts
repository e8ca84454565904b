import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../src/core/page-size.js';
import {
  CreateTrainingCourseDocument,
  TrainingCourseDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
  type CourseFilter,
  type CreateTrainingCourseInput,
  type UpdateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode, startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../support/server.js';

/**
 * The course operations — createTrainingCourse, updateTrainingCourse,
 * trainingCourses, trainingCourse — over HTTP, as a dashboard calls them.
 * "Bad input changes nothing" is checked against the table itself, as the owner.
 */

let server: TestServer;
let admin: Actor;
let officer: Actor;
/** An admin of another tenant. */
let stranger: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
  stranger = await server.actor('admin');
});
afterAll(() => server.stop());

const UNKNOWN_ID = '6f0b1e4c-3a7d-4c1e-9f2a-8b5d7c9e0a11';

const courseCount = async (): Promise<number> =>
  Number((await server.owner.query<{ n: string }>('SELECT count(*) AS n FROM training_courses'))[0]!.n);

/** The stored row, as text: any change to any column shows. */
const storedRow = async (id: string): Promise<string | undefined> =>
  (
    await server.owner.query<{ row: string }>(
      'SELECT row_to_json(c)::text AS row FROM training_courses c WHERE id = $1',
      [id],
    )
  )[0]?.row;

async function createCourse(actor: Actor, input: Partial<CreateTrainingCourseInput> = {}) {
  const response = await actor.request(CreateTrainingCourseDocument, {
    input: { title: 'Working at Height', category: 'SAFETY_FUNDAMENTALS', ...input },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createTrainingCourse;
}

function expectBadInput(response: GraphQLResponse<unknown>, field?: string): void {
  expect(errorCode(response), JSON.stringify(response.errors)).toBe('BAD_USER_INPUT');
  if (field) expect(response.errors![0]!.extensions?.field).toBe(field);
}

const FULL_INPUT: CreateTrainingCourseInput = {
  title: 'Forklift Operation',
  description: 'Safe operation of counterbalance forklifts.',
  category: 'EQUIPMENT_SAFETY',
  contentUrl: 'https://learning.example.com/courses/forklift',
  durationMinutes: 90,
  difficultyLevel: 'BEGINNER',
  riskThreshold: 72.5,
  entityType: 'WORKER',
  autoAssignEnabled: true,
  required: true,
  expiryMonths: 12,
  issuesCertificate: true,
};

describe('createTrainingCourse', () => {
  it('creates a course with every field, and reads it back by id and in the list', async () => {
    const created = await createCourse(admin, FULL_INPUT);

    expect(created).toMatchObject({ ...FULL_INPUT, createdBy: { id: admin.userId } });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(created.createdAt!).toISOString()).toBe(created.createdAt);
    expect(created.updatedAt).toBe(created.createdAt);

    const byId = await admin.request(TrainingCourseDocument, { id: created.id });
    expect(byId.errors).toBeUndefined();
    expect(byId.data?.trainingCourse).toEqual(created);

    const list = await admin.request(TrainingCoursesDocument, {});
    expect(list.data?.trainingCourses.nodes).toContainEqual(created);
  });

  it('stores the enums as the database spells them (GraphQL EQUIPMENT_SAFETY is equipment_safety)', async () => {
    const created = await createCourse(admin, FULL_INPUT);

    const [row] = await server.owner.query('SELECT * FROM training_courses WHERE id = $1', [created.id]);
    expect(row).toMatchObject({
      tenant_id: admin.tenantId,
      created_by: admin.userId,
      category: 'equipment_safety',
      difficulty_level: 'beginner',
      entity_type: 'worker',
      auto_assign_enabled: true,
      required: true,
      expiry_months: 12,
    });
    expect(Number(row!.risk_threshold)).toBe(72.5);
  });

  it('needs only a title and a category; the rest defaults to false or null', async () => {
    const created = await createCourse(officer, { title: 'Manual Handling', category: 'HAZARD_AWARENESS' });

    expect(created).toMatchObject({
      title: 'Manual Handling',
      category: 'HAZARD_AWARENESS',
      description: null,
      contentUrl: null,
      durationMinutes: null,
      difficultyLevel: null,
      riskThreshold: null,
      entityType: null,
      autoAssignEnabled: false,
      required: false,
      expiryMonths: null,
      issuesCertificate: false,
      createdBy: { id: officer.userId },
    });
  });

  it('trims the title and stores a blank description as null', async () => {
    const created = await createCourse(admin, { title: '  Ladder Safety \n', description: '   ' });

    expect(created.title).toBe('Ladder Safety');
    expect(created.description).toBeNull();
  });

  it('accepts values on the edges of every range', async () => {
    const created = await createCourse(admin, {
      title: 'T'.repeat(200),
      description: 'D'.repeat(5000),
      contentUrl: 'http://intranet.local/course',
      durationMinutes: 1,
      riskThreshold: 0,
      expiryMonths: 1,
    });
    expect(created.title).toHaveLength(200);
    expect(created.description).toHaveLength(5000);

    const top = await createCourse(admin, { riskThreshold: 100 });
    expect(top.riskThreshold).toBe(100);
  });
});

describe('updateTrainingCourse', () => {
  it('changes only the fields sent', async () => {
    const before = await createCourse(admin, FULL_INPUT);

    const response = await admin.request(UpdateTrainingCourseDocument, {
      id: before.id,
      input: { durationMinutes: 45, difficultyLevel: 'ADVANCED' },
    });

    expect(response.errors).toBeUndefined();
    const after = response.data!.updateTrainingCourse;
    expect(after).toEqual({
      ...before,
      durationMinutes: 45,
      difficultyLevel: 'ADVANCED',
      updatedAt: after.updatedAt,
    });
    expect(Date.parse(after.updatedAt!)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt!));
    const reread = await admin.request(TrainingCourseDocument, { id: before.id });
    expect(reread.data?.trainingCourse).toEqual(after);
  });

  it('clears every optional field sent as null, keeping the required ones', async () => {
    const before = await createCourse(admin, FULL_INPUT);

    const response = await officer.request(UpdateTrainingCourseDocument, {
      id: before.id,
      input: {
        description: null,
        contentUrl: null,
        durationMinutes: null,
        difficultyLevel: null,
        riskThreshold: null,
        entityType: null,
        expiryMonths: null,
      },
    });

    expect(response.errors).toBeUndefined();
    expect(response.data!.updateTrainingCourse).toMatchObject({
      title: FULL_INPUT.title,
      category: FULL_INPUT.category,
      autoAssignEnabled: true,
      required: true,
      issuesCertificate: true,
      description: null,
      contentUrl: null,
      durationMinutes: null,
      difficultyLevel: null,
      riskThreshold: null,
      entityType: null,
      expiryMonths: null,
    });
  });

  it('changes every field at once', async () => {
    const before = await createCourse(admin, FULL_INPUT);
    const input: UpdateTrainingCourseInput = {
      title: 'Forklift Refresher',
      description: 'Yearly refresher.',
      category: 'COMPLIANCE',
      contentUrl: 'http://learning.example.com/refresher',
      durationMinutes: 30,
      difficultyLevel: 'INTERMEDIATE',
      riskThreshold: 40,
      entityType: 'EQUIPMENT',
      autoAssignEnabled: false,
      required: false,
      expiryMonths: 24,
      issuesCertificate: false,
    };

    const response = await admin.request(UpdateTrainingCourseDocument, { id: before.id, input });

    expect(response.errors).toBeUndefined();
    expect(response.data!.updateTrainingCourse).toMatchObject({ ...input, id: before.id, createdBy: before.createdBy });
  });

  it.each(['title', 'category', 'autoAssignEnabled', 'required', 'issuesCertificate'] as const)(
    'refuses null for the required field %s with BAD_USER_INPUT naming it, and changes nothing',
    async (field) => {
      const course = await createCourse(admin, FULL_INPUT);
      const stored = await storedRow(course.id);

      const response = await admin.request(UpdateTrainingCourseDocument, {
        id: course.id,
        input: { description: 'changed too', [field]: null },
      });

      expectBadInput(response, `input.${field}`);
      expect(await storedRow(course.id)).toBe(stored);
    },
  );

  it('answers NOT_FOUND for an id no course has', async () => {
    const response = await admin.request(UpdateTrainingCourseDocument, { id: UNKNOWN_ID, input: { title: 'Ghost' } });

    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('answers BAD_USER_INPUT naming `id` for an id that is not a UUID', async () => {
    const response = await admin.request(UpdateTrainingCourseDocument, { id: 'course-1', input: { title: 'Ghost' } });

    expectBadInput(response, 'id');
  });

  it("answers NOT_FOUND for another tenant's course, and leaves it unchanged", async () => {
    const theirs = await createCourse(stranger, FULL_INPUT);
    const stored = await storedRow(theirs.id);

    const response = await admin.request(UpdateTrainingCourseDocument, {
      id: theirs.id,
      input: { title: 'Hijacked', required: false },
    });

    expect(errorCode(response)).toBe('NOT_FOUND');
    expect(await storedRow(theirs.id)).toBe(stored);
  });
});

/** Invalid values of every argument, with the field the error must name. */
const INVALID_INPUTS: { case: string; input: Partial<CreateTrainingCourseInput>; field: string }[] = [
  { case: 'an empty title', input: { title: '' }, field: 'input.title' },
  { case: 'a whitespace-only title', input: { title: ' \t\n ' }, field: 'input.title' },
  { case: 'a title over 200 characters', input: { title: 'T'.repeat(201) }, field: 'input.title' },
  { case: 'a description over 5000 characters', input: { description: 'D'.repeat(5001) }, field: 'input.description' },
  { case: 'an ftp contentUrl', input: { contentUrl: 'ftp://files.example.com/a.pdf' }, field: 'input.contentUrl' },
  { case: 'a contentUrl that is not a URL', input: { contentUrl: 'not a url' }, field: 'input.contentUrl' },
  { case: 'a javascript: contentUrl', input: { contentUrl: 'javascript:alert(1)' }, field: 'input.contentUrl' },
  { case: 'a relative contentUrl', input: { contentUrl: '/courses/forklift' }, field: 'input.contentUrl' },
  { case: 'durationMinutes 0', input: { durationMinutes: 0 }, field: 'input.durationMinutes' },
  { case: 'a negative durationMinutes', input: { durationMinutes: -30 }, field: 'input.durationMinutes' },
  { case: 'riskThreshold -1', input: { riskThreshold: -1 }, field: 'input.riskThreshold' },
  { case: 'riskThreshold 100.5', input: { riskThreshold: 100.5 }, field: 'input.riskThreshold' },
  { case: 'expiryMonths 0', input: { expiryMonths: 0 }, field: 'input.expiryMonths' },
  { case: 'a negative expiryMonths', input: { expiryMonths: -12 }, field: 'input.expiryMonths' },
];

/** Values GraphQL itself refuses while coercing the variables (Apollo: BAD_USER_INPUT, HTTP 400). */
const UNCOERCIBLE_INPUTS: { case: string; input: Record<string, unknown> }[] = [
  { case: 'an unknown category', input: { category: 'CHEMISTRY' } },
  { case: 'the database spelling of a category', input: { category: 'equipment_safety' } },
  { case: 'an unknown difficultyLevel', input: { difficultyLevel: 'EXPERT' } },
  { case: 'an unknown entityType', input: { entityType: 'PLANET' } },
  { case: 'a fractional durationMinutes', input: { durationMinutes: 1.5 } },
  { case: 'a string riskThreshold', input: { riskThreshold: 'high' } },
];

describe('bad input is refused with BAD_USER_INPUT and writes nothing', () => {
  describe('createTrainingCourse', () => {
    it.each(INVALID_INPUTS)('$case → names $field', async ({ input, field }) => {
      const before = await courseCount();

      const response = await admin.request(CreateTrainingCourseDocument, {
        input: { title: 'Valid title', category: 'COMPLIANCE', ...input },
      });

      expectBadInput(response, field);
      expect(response.data?.createTrainingCourse ?? null).toBeNull();
      expect(await courseCount()).toBe(before);
    });

    it.each(['autoAssignEnabled', 'required', 'issuesCertificate'] as const)(
      '%s: null → names the field',
      async (field) => {
        const before = await courseCount();

        const response = await admin.request(CreateTrainingCourseDocument, {
          input: { title: 'Valid title', category: 'COMPLIANCE', [field]: null },
        });

        expectBadInput(response, `input.${field}`);
        expect(await courseCount()).toBe(before);
      },
    );

    it.each(UNCOERCIBLE_INPUTS)('$case (variable coercion)', async ({ input }) => {
      const before = await courseCount();

      const response = await admin.request(CreateTrainingCourseDocument, {
        input: { title: 'Valid title', category: 'COMPLIANCE', ...input } as CreateTrainingCourseInput,
      });

      expectBadInput(response);
      expect(response.status).toBe(400);
      expect(response.errors![0]!.message).toMatch(/^Variable "\$input" got invalid value/);
      expect(await courseCount()).toBe(before);
    });

    it('a missing title or category (variable coercion)', async () => {
      const before = await courseCount();

      const noTitle = await admin.request(CreateTrainingCourseDocument, {
        input: { category: 'COMPLIANCE' } as CreateTrainingCourseInput,
      });
      const noCategory = await admin.request(CreateTrainingCourseDocument, {
        input: { title: 'Valid title' } as CreateTrainingCourseInput,
      });

      expectBadInput(noTitle);
      expect(noTitle.errors![0]!.message).toMatch(/"title"/);
      expectBadInput(noCategory);
      expect(noCategory.errors![0]!.message).toMatch(/"category"/);
      expect(await courseCount()).toBe(before);
    });
  });

  describe('updateTrainingCourse', () => {
    let courseId: string;
    let stored: string | undefined;
    beforeAll(async () => {
      courseId = (await createCourse(admin, FULL_INPUT)).id;
      stored = await storedRow(courseId);
    });

    it.each(INVALID_INPUTS)('$case → names $field', async ({ input, field }) => {
      const response = await admin.request(UpdateTrainingCourseDocument, {
        id: courseId,
        input: { required: false, ...input },
      });

      expectBadInput(response, field);
      expect(await storedRow(courseId)).toBe(stored);
    });

    it.each(UNCOERCIBLE_INPUTS)('$case (variable coercion)', async ({ input }) => {
      const response = await admin.request(UpdateTrainingCourseDocument, {
        id: courseId,
        input: { required: false, ...input } as UpdateTrainingCourseInput,
      });

      expectBadInput(response);
      expect(response.status).toBe(400);
      expect(await storedRow(courseId)).toBe(stored);
    });
  });
});

describe('trainingCourses filters', () => {
  let catalogue: Actor;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    catalogue = await server.actor('safety_officer');
    const courses: CreateTrainingCourseInput[] = [
      {
        title: 'Forklift Operation',
        category: 'EQUIPMENT_SAFETY',
        entityType: 'EQUIPMENT',
        autoAssignEnabled: true,
        riskThreshold: 70,
        required: true,
      },
      {
        title: 'Fire Drill',
        description: 'Evacuation routes that keep clear of FORKLIFT traffic.',
        category: 'EMERGENCY_RESPONSE',
        entityType: 'ZONE',
      },
      {
        title: 'Hazard Basics',
        category: 'HAZARD_AWARENESS',
        entityType: 'GENERAL',
        autoAssignEnabled: true,
        riskThreshold: 50,
        required: true,
      },
      { title: 'Lockout/Tagout', description: '100% energy isolation before service.', category: 'EQUIPMENT_SAFETY' },
      {
        title: 'Driver Fatigue',
        description: 'Shift_planning for drivers.',
        category: 'RISK_MANAGEMENT',
        entityType: 'DRIVER',
        autoAssignEnabled: true,
        riskThreshold: 60,
      },
    ];
    for (const input of courses) ids[input.title] = (await createCourse(catalogue, input)).id;
    // Another tenant's look-alike must never show up.
    await createCourse(stranger, { title: 'Forklift Operation', category: 'EQUIPMENT_SAFETY', required: true });
  });

  async function titles(filter: CourseFilter | undefined) {
    const response = await catalogue.request(TrainingCoursesDocument, { filter });
    expect(response.errors).toBeUndefined();
    const connection = response.data!.trainingCourses;
    expect(connection.totalCount).toBe(connection.nodes.length);
    return connection.nodes.map((course) => course.title).sort();
  }

  it.each<{ filter: CourseFilter | undefined; expected: string[] }>([
    {
      filter: undefined,
      expected: ['Driver Fatigue', 'Fire Drill', 'Forklift Operation', 'Hazard Basics', 'Lockout/Tagout'],
    },
    { filter: { category: 'EQUIPMENT_SAFETY' }, expected: ['Forklift Operation', 'Lockout/Tagout'] },
    { filter: { autoAssignEnabled: true }, expected: ['Driver Fatigue', 'Forklift Operation', 'Hazard Basics'] },
    { filter: { autoAssignEnabled: false }, expected: ['Fire Drill', 'Lockout/Tagout'] },
    { filter: { entityType: 'EQUIPMENT' }, expected: ['Forklift Operation'] },
    { filter: { entityType: 'GENERAL' }, expected: ['Hazard Basics'] },
    { filter: { required: true }, expected: ['Forklift Operation', 'Hazard Basics'] },
    { filter: { required: false }, expected: ['Driver Fatigue', 'Fire Drill', 'Lockout/Tagout'] },
    { filter: { category: 'EQUIPMENT_SAFETY', autoAssignEnabled: true }, expected: ['Forklift Operation'] },
    { filter: { category: 'COMPLIANCE' }, expected: [] },
  ])('filter $filter', async ({ filter, expected }) => {
    expect(await titles(filter)).toEqual(expected);
  });

  it.each<{ search: string; expected: string[] }>([
    { search: 'forklift', expected: ['Fire Drill', 'Forklift Operation'] },
    { search: 'FIRE', expected: ['Fire Drill'] },
    { search: 'eNeRgY IsOlAtIoN', expected: ['Lockout/Tagout'] },
    { search: '  basics  ', expected: ['Hazard Basics'] },
    { search: 'nothing like this', expected: [] },
  ])('search "$search" matches title or description, ignoring case', async ({ search, expected }) => {
    expect(await titles({ search })).toEqual(expected);
  });

  it.each<{ search: string; expected: string[] }>([
    { search: '%', expected: ['Lockout/Tagout'] },
    { search: '_', expected: ['Driver Fatigue'] },
  ])('search "$search" matches the character itself, not as a LIKE wildcard', async ({ search, expected }) => {
    expect(await titles({ search })).toEqual(expected);
  });

  it('combines search with the other filters', async () => {
    expect(await titles({ search: 'forklift', category: 'EQUIPMENT_SAFETY' })).toEqual(['Forklift Operation']);
  });
});

describe('trainingCourses pagination (Relay)', () => {
  let pager: Actor;
  const TITLES = ['Course A', 'Course B', 'Course C', 'Course D', 'Course E'];

  beforeAll(async () => {
    pager = await server.actor('admin');
    for (const title of TITLES) await createCourse(pager, { title, required: title < 'Course D' });
  });

  it('walks every course exactly once with first/after, totalCount independent of the page', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    const pages: { size: number; hasNextPage: boolean; totalCount: number }[] = [];
    do {
      const response = await pager.request(TrainingCoursesDocument, { first: 2, after });
      expect(response.errors).toBeUndefined();
      const { nodes, pageInfo, totalCount } = response.data!.trainingCourses;
      seen.push(...nodes.map((course) => course.title));
      pages.push({ size: nodes.length, hasNextPage: pageInfo.hasNextPage, totalCount });
      after = pageInfo.hasNextPage ? pageInfo.endCursor : undefined;
      if (pageInfo.hasNextPage) expect(after).toEqual(expect.any(String));
    } while (after);

    expect(pages).toEqual([
      { size: 2, hasNextPage: true, totalCount: 5 },
      { size: 2, hasNextPage: true, totalCount: 5 },
      { size: 1, hasNextPage: false, totalCount: 5 },
    ]);
    expect([...seen].sort()).toEqual(TITLES);
  });

  it('lists the newest course first', async () => {
    const response = await pager.request(TrainingCoursesDocument, {});

    expect(response.data?.trainingCourses.nodes.map((course) => course.title)).toEqual([...TITLES].reverse());
  });

  it('counts what the filter matches, not what the page holds', async () => {
    const response = await pager.request(TrainingCoursesDocument, { filter: { required: true }, first: 1 });

    expect(response.data?.trainingCourses.nodes).toHaveLength(1);
    expect(response.data?.trainingCourses.totalCount).toBe(3);
    expect(response.data?.trainingCourses.pageInfo.hasNextPage).toBe(true);
  });

  it(`returns ${DEFAULT_PAGE_SIZE} by default and caps \`first\` above ${MAX_PAGE_SIZE} at ${MAX_PAGE_SIZE}`, async () => {
    const bulk = await server.actor('admin');
    await server.owner.query(
      `INSERT INTO training_courses (tenant_id, title, category, created_by)
       SELECT $1, 'Bulk course ' || n, 'other', $2 FROM generate_series(1, $3::int) AS n`,
      [bulk.tenantId, bulk.userId, MAX_PAGE_SIZE + 1],
    );

    const byDefault = await bulk.request(TrainingCoursesDocument, {});
    const tooMany = await bulk.request(TrainingCoursesDocument, { first: MAX_PAGE_SIZE + 100 });

    expect(byDefault.data?.trainingCourses.nodes).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(tooMany.errors).toBeUndefined();
    expect(tooMany.data?.trainingCourses.nodes).toHaveLength(MAX_PAGE_SIZE);
    expect(tooMany.data?.trainingCourses.pageInfo.hasNextPage).toBe(true);
    expect(tooMany.data?.trainingCourses.totalCount).toBe(MAX_PAGE_SIZE + 1);
  });
});

describe('trainingCourse(id)', () => {
  it('returns null for an id no course has', async () => {
    const response = await admin.request(TrainingCourseDocument, { id: UNKNOWN_ID });

    expect(response.errors).toBeUndefined();
    expect(response.data?.trainingCourse).toBeNull();
  });

  it("returns null for another tenant's course", async () => {
    const theirs = await createCourse(stranger);

    const response = await admin.request(TrainingCourseDocument, { id: theirs.id });

    expect(response.errors).toBeUndefined();
    expect(response.data?.trainingCourse).toBeNull();
  });

  it('answers BAD_USER_INPUT naming `id` for an id that is not a UUID', async () => {
    const response = await admin.request(TrainingCourseDocument, { id: "1' OR '1'='1" });

    expectBadInput(response, 'id');
  });
});
