import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { builder } from '../core/builder.js';
import { badInput, unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { Course } from '../courses/course.js';
import { Cmi5Error, parseCmi5, type Cmi5Au } from './cmi5-xml.js';
import { checkZip, type CheckedZip } from './cmi5-zip.js';
import { isAbsoluteUrl } from './module-type.js';
import { contentSettings } from './settings.js';
import { exists, filePath, packageFolder } from './storage.js';
import { ContentRule } from './input-rules.js';

/** The largest cmi5.xml uploaded alone. */
const MAX_XML_BYTES = 20 * 1024 * 1024;

async function readXml(file: string): Promise<string> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    if (size > MAX_XML_BYTES) throw new Cmi5Error('cmi5.xml is larger than 20 MB');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The AU's file in its package, as its relative URL names it (without query or fragment). */
const entryOf = (url: string) => decodeURIComponent(url.replace(/[?#].*$/, '').replace(/^\.?\//, ''));

builder.mutationField('importCmi5Package', (t) =>
  t.withAuth({ may: 'content.manage' }).prismaField({
    type: Course,
    description:
      'Imports a cmi5 package uploaded with POST /content (a zip holding cmi5.xml, or the XML alone for AUs hosted ' +
      "elsewhere) into a course: each AU becomes a CMI5_AU module, in the package's order, with its moveOn, " +
      'masteryScore, launchMethod and launch parameters; importing again updates the AUs in place. A zip entry ' +
      'escaping its folder, a zip expanding past CONTENT_MAX_BYTES or an invalid cmi5.xml is refused (BAD_USER_INPUT, ' +
      'field contentId, with the reason) and nothing is stored.',
    args: { courseId: t.arg.id({ required: true }), contentId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const courseId = validate.uuid('courseId', args.courseId);
      const contentId = validate.uuid('contentId', args.contentId);
      const { config } = context.services;
      const { tenantId } = context.caller;
      const [course, file] = await context.transaction((tx) =>
        Promise.all([
          tx.trainingCourse.findFirst({ where: { id: courseId, tenantId }, select: { id: true } }),
          tx.contentFile.findFirst({ where: { id: contentId, tenantId }, select: { contentType: true } }),
        ]),
      );
      if (!course) throw unknownAt('courseId', 'no such course', 'course');
      if (!file) throw unknownAt('contentId', 'no such content in this tenant', 'content');
      const stored = filePath(config, tenantId, contentId);
      let zip: CheckedZip | undefined;
      let extracted: string | undefined;
      try {
        let xml: string;
        if (file.contentType === 'application/zip') {
          zip = await checkZip(stored, contentSettings.of(config).maxBytes);
          if (zip.cmi5Xml === null) throw new Cmi5Error('the zip has no cmi5.xml at its root');
          xml = zip.cmi5Xml;
        } else if (file.contentType === 'application/xml') xml = await readXml(stored);
        else throw new Cmi5Error(`a ${file.contentType} file is not a cmi5 package (a zip or cmi5.xml)`);
        const structure = parseCmi5(xml);
        const packaged = structure.aus.filter((au) => !isAbsoluteUrl(au.url));
        for (const au of packaged) {
          if (!zip) throw new Cmi5Error(`AU ${au.activityId} has a relative url: upload the zip holding its files`);
          if (!zip.names.has(entryOf(au.url))) {
            throw new Cmi5Error(`AU ${au.activityId}: its url ${au.url} names no file of the package`);
          }
        }
        const folder = packageFolder(config, tenantId, contentId);
        if (zip && packaged.length > 0 && !(await exists(folder))) {
          extracted = `${folder}.${randomUUID()}.tmp`;
          await zip.extractTo(extracted);
        }
        await context.transaction(
          async (tx) => {
            await tx.$executeRaw`
              WITH base AS (
                SELECT coalesce(max(position) + 1, 0) AS next FROM course_modules
                WHERE tenant_id = ${tenantId}::uuid AND course_id = ${courseId}::uuid
              )
              INSERT INTO course_modules (tenant_id, course_id, position, title, kind, required, url, content_id,
                                          activity_id, course_activity_id, block_title, move_on, mastery_score,
                                          launch_method, launch_parameters, entitlement_key)
              SELECT ${tenantId}::uuid, ${courseId}::uuid, base.next + x.n, x.title, 'cmi5_au',
                     x."moveOn" <> 'NotApplicable', x.url, ${contentId}::uuid, x."activityId", ${structure.courseId},
                     x."blockTitle", x."moveOn", x."masteryScore", x."launchMethod", x."launchParameters",
                     x."entitlementKey"
              FROM base, jsonb_to_recordset(${JSON.stringify(rows(structure.aus))}::jsonb) AS x(
                n int, title text, url text, "activityId" text, "blockTitle" text, "moveOn" text,
                "masteryScore" float8, "launchMethod" text, "launchParameters" text, "entitlementKey" text)
              ON CONFLICT (tenant_id, course_id, activity_id) WHERE activity_id IS NOT NULL DO UPDATE SET
                title = excluded.title, url = excluded.url, content_id = excluded.content_id,
                course_activity_id = excluded.course_activity_id, block_title = excluded.block_title,
                move_on = excluded.move_on, mastery_score = excluded.mastery_score, required = excluded.required,
                launch_method = excluded.launch_method, launch_parameters = excluded.launch_parameters,
                entitlement_key = excluded.entitlement_key, position = excluded.position`;
            // In place before the rows commit; a failed commit removes it below.
            if (extracted) await rename(extracted, folder);
          },
          { timeout: 60_000 },
        );
        extracted = undefined;
      } catch (error) {
        if (error instanceof Cmi5Error) {
          throw badInput('contentId', error.message, ContentRule.cmi5Package, { detail: error.message });
        }
        throw error;
      } finally {
        zip?.close();
        if (extracted) {
          await rm(extracted, { recursive: true, force: true });
          await rm(packageFolder(config, tenantId, contentId), { recursive: true, force: true });
        }
      }
      return context.db.trainingCourse.findUniqueOrThrow({ ...query, where: { id: courseId } });
    },
  }),
);

const rows = (aus: Cmi5Au[]) => aus.map((au, n) => ({ n, ...au }));
