import type { Prisma } from '../generated/prisma/client.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { builder } from '../core/builder.js';
import { badInput, notFound, unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { Course } from '../courses/course.js';
import { CourseModule, ModuleKind, type ModuleKindValue } from './module-type.js';
import { ContentRule } from './input-rules.js';
import { Rule } from '../core/field-rules.js';

/** The file types each kind of module may play (an upload sniffed as one of them). */
const PLAYABLE: Record<Exclude<ModuleKindValue, 'cmi5_au' | 'link'>, RegExp> = {
  video: /^(video|audio)\//,
  document: /^(application\/pdf|image\/)/,
};

const CourseModuleInput = builder.inputType('CourseModuleInput', {
  fields: (t) => ({
    title: t.string({ required: true, description: '1–500 characters.' }),
    kind: t.field({ type: ModuleKind, required: true, description: 'VIDEO, DOCUMENT or LINK (AUs are imported).' }),
    required: t.boolean({ defaultValue: true }),
    url: t.string({ description: 'An absolute http(s) URL (LINK, or a video or document hosted elsewhere).' }),
    contentId: t.id({ description: 'An uploaded file (POST /content) to play; instead of url.' }),
    durationSeconds: t.int({ description: '0–1,000,000.' }),
  }),
});

const UpdateCourseModuleInput = builder.inputType('UpdateCourseModuleInput', {
  fields: (t) => ({
    title: t.string(),
    required: t.boolean(),
    url: t.string(),
    contentId: t.id(),
    durationSeconds: t.int(),
    position: t.int({ description: 'Its place in the course (0 first).' }),
  }),
});

/** The file of `contentId` in the caller's tenant, checked to suit `kind`; NOT_FOUND (never FORBIDDEN) otherwise. */
async function playableContent(tx: CallerTransaction, tenantId: string, kind: ModuleKindValue, contentId: string) {
  const id = validate.uuid('input.contentId', contentId);
  const file = await tx.contentFile.findFirst({ where: { id, tenantId }, select: { contentType: true } });
  if (!file) throw unknownAt('input.contentId', 'no such content in this tenant', 'content');
  const pattern = kind === 'video' || kind === 'document' ? PLAYABLE[kind] : undefined;
  if (!pattern?.test(file.contentType)) {
    throw badInput(
      'input.contentId',
      `a ${kind.toUpperCase()} module cannot play ${file.contentType}`,
      ContentRule.moduleCannotPlay,
      {
        kind: kind.toUpperCase(),
        contentType: file.contentType,
      },
    );
  }
  return id;
}

function fields(input: typeof UpdateCourseModuleInput.$inferInput) {
  return {
    title: input.title == null ? undefined : validate.text('input.title', input.title, { min: 1, max: 500 }),
    required: validate.present('input.required', input.required),
    url: input.url == null ? input.url : validate.httpUrl('input.url', input.url),
    durationSeconds:
      input.durationSeconds == null
        ? input.durationSeconds
        : validate.integer('input.durationSeconds', input.durationSeconds, { min: 0, max: 1_000_000 }),
  };
}

builder.mutationFields((t) => ({
  addCourseModule: t.withAuth({ may: 'content.manage' }).prismaField({
    type: CourseModule,
    description: 'Adds a video, document or link to the end of a course (admin, safety officer).',
    args: { courseId: t.arg.id({ required: true }), input: t.arg({ type: CourseModuleInput, required: true }) },
    resolve: async (query, _root, { courseId, input }, context) => {
      const course = validate.uuid('courseId', courseId);
      const kind = input.kind;
      if (kind === 'cmi5_au') {
        throw badInput('input.kind', 'cmi5 AUs come from importCmi5Package', ContentRule.cmi5FromPackage);
      }
      const data = fields(input);
      if ((input.url == null) === (input.contentId == null)) {
        throw badInput('input.url', 'give exactly one of url and contentId', Rule.exactlyOneOf, {
          fields: 'url, contentId',
        });
      }
      if (kind === 'link' && input.contentId != null) {
        throw badInput('input.contentId', 'a LINK module has a url', ContentRule.linkHasUrl);
      }
      const { tenantId } = context.caller;
      const id = await context.transaction(async (tx) => {
        const [row] = await tx.$queryRaw<{ next: number }[]>`
          SELECT coalesce(max(m.position) + 1, 0)::int AS next
          FROM training_courses c LEFT JOIN course_modules m ON m.tenant_id = c.tenant_id AND m.course_id = c.id
          WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ${course}::uuid
          GROUP BY c.id`;
        if (!row) throw unknownAt('courseId', 'no such course', 'course');
        const contentId = input.contentId == null ? null : await playableContent(tx, tenantId, kind, input.contentId);
        const created = await tx.courseModule.create({
          data: { ...data, title: data.title!, tenantId, courseId: course, kind, position: row.next, contentId },
          select: { id: true },
        });
        return created.id;
      });
      return context.db.courseModule.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateCourseModule: t.withAuth({ may: 'content.manage' }).prismaField({
    type: CourseModule,
    description: 'Changes the fields sent (admin, safety officer). A cmi5 AU keeps its course structure entry.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateCourseModuleInput, required: true }) },
    resolve: async (query, _root, { id, input }, context) => {
      const moduleId = validate.uuid('id', id);
      const data: Prisma.CourseModuleUncheckedUpdateInput = fields(input);
      if (input.position != null) {
        data.position = validate.integer('input.position', input.position, { min: 0, max: 100_000 });
      }
      const { tenantId } = context.caller;
      await context.transaction(async (tx) => {
        const current = await tx.courseModule.findFirst({ where: { id: moduleId, tenantId }, select: { kind: true } });
        if (!current) throw notFound('Course module');
        if (current.kind === 'cmi5_au' && (input.url != null || input.contentId != null)) {
          throw badInput('input.url', "a cmi5 AU's location comes from its package", ContentRule.cmi5FromPackage);
        }
        if (input.contentId != null) {
          data.contentId = await playableContent(tx, tenantId, current.kind as ModuleKindValue, input.contentId);
          data.url = null;
        } else if (input.url != null) data.contentId = null;
        await tx.courseModule.update({ where: { id: moduleId }, data, select: { id: true } });
      });
      return context.db.courseModule.findUniqueOrThrow({ ...query, where: { id: moduleId } });
    },
  }),
  removeCourseModule: t.withAuth({ may: 'content.manage' }).prismaField({
    type: Course,
    description: 'Removes a module (and the progress recorded on it); answers its course.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, context) => {
      const moduleId = validate.uuid('id', id);
      const { tenantId } = context.caller;
      const courseId = await context.transaction(async (tx) => {
        const [removed] = await tx.$queryRaw<{ course_id: string }[]>`
          DELETE FROM course_modules WHERE tenant_id = ${tenantId}::uuid AND id = ${moduleId}::uuid
          RETURNING course_id::text`;
        if (!removed) throw notFound('Course module');
        return removed.course_id;
      });
      return context.db.trainingCourse.findUniqueOrThrow({ ...query, where: { id: courseId } });
    },
  }),
}));
