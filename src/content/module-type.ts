import type { Config } from '../core/config.js';
import { builder } from '../core/builder.js';
import { databaseEnum } from '../core/enums.js';
import { Course } from '../courses/course.js';
import { contentPath } from './routes.js';
import { signGrant } from './settings.js';

export const MODULE_KINDS = ['video', 'document', 'cmi5_au', 'link'] as const;
export type ModuleKindValue = (typeof MODULE_KINDS)[number];

export const ModuleKind = databaseEnum(
  'ModuleKind',
  MODULE_KINDS,
  'VIDEO and DOCUMENT report progress as xAPI statements; CMI5_AU is launched as cmi5 says; LINK is a page elsewhere.',
);

/**
 * A signed URL of an uploaded file (or of `entry` inside an imported package) for this user: what a `<video src>`
 * or a launched AU can open without an Authorization header, only in this tenant, only this file, for a while.
 */
export function signedContentUrl(
  config: Config,
  grant: { tenantId: string; userId: string; contentId: string },
  entry = '',
): string {
  const relative = entry.replace(/^\/+/, '');
  return `${config.publicUrl}${contentPath(grant.contentId)}/t/${signGrant(config, grant)}${relative ? `/${relative}` : ''}`;
}

/** An AU's place in its package (a relative URL) or elsewhere (an absolute one). */
export const isAbsoluteUrl = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url);

export const Cmi5Au = builder.objectRef<{
  activityId: string | null;
  courseActivityId: string | null;
  blockTitle: string | null;
  moveOn: string | null;
  masteryScore: number | null;
  launchMethod: string | null;
  launchParameters: string | null;
  entitlementKey: string | null;
}>('Cmi5Au');
Cmi5Au.implement({
  description: "A cmi5 AU's entry in its course structure (cmi5.xml), as imported.",
  fields: (t) => ({
    activityId: t.string({ resolve: (au) => au.activityId!, description: "The AU's id (an IRI)." }),
    courseActivityId: t.exposeString('courseActivityId', { nullable: true, description: "The cmi5 course's id." }),
    block: t.exposeString('blockTitle', { nullable: true, description: 'Title of the block holding the AU.' }),
    moveOn: t.string({
      resolve: (au) => au.moveOn!,
      description: 'Passed, Completed, CompletedAndPassed, CompletedOrPassed or NotApplicable (cmi5 spelling).',
    }),
    masteryScore: t.exposeFloat('masteryScore', { nullable: true, description: 'Scaled score (0–1) to pass.' }),
    launchMethod: t.string({ resolve: (au) => au.launchMethod!, description: 'AnyWindow or OwnWindow.' }),
    launchParameters: t.exposeString('launchParameters', { nullable: true }),
    entitlementKey: t.exposeString('entitlementKey', { nullable: true }),
  }),
});

export const CourseModule = builder.prismaObject('CourseModule', {
  select: { id: true },
  description: 'One part of a course: a video, a document, a cmi5 AU or a link.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    kind: t.field({ type: ModuleKind, select: { kind: true }, resolve: (m) => m.kind as ModuleKindValue }),
    required: t.exposeBoolean('required', { description: "Needed for the course's content requirement." }),
    position: t.exposeInt('position'),
    durationSeconds: t.exposeInt('durationSeconds', { nullable: true }),
    contentId: t.exposeID('contentId', { nullable: true, description: 'The uploaded file it plays, if any.' }),
    url: t.string({
      nullable: true,
      select: { url: true, contentId: true, tenantId: true },
      description:
        "Where it opens. An uploaded file's URL is signed for the caller (usable in a <video src>, for a few hours).",
      resolve: (m, _args, context) => {
        if (!m.contentId) return m.url;
        const grant = { tenantId: m.tenantId, userId: context.caller!.userId, contentId: m.contentId };
        if (m.url && isAbsoluteUrl(m.url)) return m.url;
        return signedContentUrl(context.services.config, grant, m.url ?? '');
      },
    }),
    cmi5: t.field({
      type: Cmi5Au,
      nullable: true,
      select: {
        kind: true,
        activityId: true,
        courseActivityId: true,
        blockTitle: true,
        moveOn: true,
        masteryScore: true,
        launchMethod: true,
        launchParameters: true,
        entitlementKey: true,
      },
      description: 'Its cmi5 course structure entry (CMI5_AU only).',
      resolve: (m) => (m.kind === 'cmi5_au' ? m : null),
    }),
  }),
});

builder.prismaObjectField(Course, 'modules', (t) =>
  t.relation('modules', {
    query: { orderBy: [{ position: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }] },
    description: "The course's modules in order.",
  }),
);
