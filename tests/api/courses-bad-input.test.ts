import { beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTrainingCourseDocument,
  UpdateTrainingCourseDocument,
  type CreateTrainingCourseInput,
  type UpdateTrainingCourseInput,
} from '../../src/generated/operations/graphql.js';
import {
  server,
  admin,
  useCoursesServer,
  storedRow,
  createCourse,
  expectBadInput,
  FULL_INPUT,
} from './courses-fixtures.js';

/**
 * Bad input to createTrainingCourse and updateTrainingCourse is refused with BAD_USER_INPUT and changes
 * nothing, checked against the table itself, as the owner.
 */

useCoursesServer();

const courseCount = async (): Promise<number> =>
  Number((await server.owner.query<{ n: string }>('SELECT count(*) AS n FROM training_courses'))[0]!.n);

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

  describe('what a client translates', () => {
    it('names each refused field with its rule and parameters beside its English message', async () => {
      const response = await admin.request(CreateTrainingCourseDocument, {
        input: { ...FULL_INPUT, title: ' ', riskThreshold: 150, durationMinutes: 0 },
      });

      expectBadInput(response, 'input.title');
      expect(response.errors![0]!.extensions).toMatchObject({
        fields: [
          { field: 'input.title', message: 'must not be empty', rule: 'notEmpty', params: {} },
          {
            field: 'input.durationMinutes',
            message: 'must be an integer from 1 to 10000',
            rule: 'integerRange',
            params: { min: 1, max: 10000 },
          },
          {
            field: 'input.riskThreshold',
            message: 'must be from 0 to 100',
            rule: 'numberRange',
            params: { min: 0, max: 100 },
          },
        ],
      });
    });

    it("gives graphql-js' own refusals of a variable a rule too: a missing field, a value of another type", async () => {
      const missing = await admin.request(CreateTrainingCourseDocument, {
        input: { category: 'COMPLIANCE' } as CreateTrainingCourseInput,
      });
      expect(missing.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'required', params: {} });
      const mistyped = await admin.request(CreateTrainingCourseDocument, {
        input: { ...FULL_INPUT, riskThreshold: 'high' } as unknown as CreateTrainingCourseInput,
      });
      expect(mistyped.errors![0]!.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.riskThreshold',
        rule: 'invalidValue',
      });
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
