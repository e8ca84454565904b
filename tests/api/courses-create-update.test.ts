import { describe, expect, it } from 'vitest';
import {
  TrainingCourseDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
  type UpdateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import { errorCode } from '../support/server.js';
import {
  server,
  admin,
  officer,
  stranger,
  useCoursesServer,
  UNKNOWN_ID,
  storedRow,
  createCourse,
  expectBadInput,
  FULL_INPUT,
} from './courses-fixtures.js';

/** createTrainingCourse and updateTrainingCourse with good input: what is stored and read back. */

useCoursesServer();

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
