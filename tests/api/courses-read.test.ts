import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../src/core/page-size.js';
import {
  TrainingCourseDocument,
  TrainingCoursesDocument,
  type CourseFilter,
  type CreateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { type Actor } from '../support/server.js';
import {
  server,
  admin,
  stranger,
  useCoursesServer,
  UNKNOWN_ID,
  createCourse,
  expectBadInput,
} from './courses-fixtures.js';

/** Reading courses: trainingCourses filters and Relay pagination, and trainingCourse(id). */

useCoursesServer();

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
