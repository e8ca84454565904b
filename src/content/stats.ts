import { Prisma } from '../generated/prisma/client.js';
import { builder } from '../core/builder.js';
import { unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { ModuleKind, type ModuleKindValue } from './module-type.js';

interface ModuleStatsRow {
  module_id: string;
  title: string;
  kind: ModuleKindValue;
  position: number;
  learners: number;
  launched: number;
  satisfied: number;
  total_seconds: number;
  average_seconds: number | null;
  average_position: number | null;
  stopped_here: number;
}

const ModuleStats = builder.objectRef<ModuleStatsRow>('ModuleStats');
ModuleStats.implement({
  description: "How a course's learners get on with one of its modules (from their statements).",
  fields: (t) => ({
    moduleId: t.id({ resolve: (row) => row.module_id }),
    title: t.exposeString('title'),
    kind: t.field({ type: ModuleKind, resolve: (row) => row.kind }),
    position: t.exposeInt('position'),
    learners: t.exposeInt('learners', { description: 'Assignments with any progress on it.' }),
    launched: t.exposeInt('launched'),
    satisfied: t.exposeInt('satisfied', { description: 'Done: an AU by its moveOn, a video or document completed.' }),
    totalSecondsSpent: t.float({ resolve: (row) => row.total_seconds }),
    averageSecondsSpent: t.float({ nullable: true, resolve: (row) => row.average_seconds }),
    averagePositionSeconds: t.float({
      nullable: true,
      resolve: (row) => row.average_position,
      description: 'Videos: the mean furthest point reached.',
    }),
    stoppedHere: t.int({
      resolve: (row) => row.stopped_here,
      description: 'Learners for whom this is the furthest module reached, not done: where they drop off.',
    }),
  }),
});

builder.queryField('moduleStats', (t) =>
  t.withAuth({ may: 'content.manage' }).field({
    type: [ModuleStats],
    description:
      "Time spent per module of a course and where learners stop (admin, safety officer), in the course's order.",
    args: { courseId: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const courseId = validate.uuid('courseId', args.courseId);
      const { tenantId } = context.caller;
      const rows = await context.read<ModuleStatsRow & { course: boolean }>(Prisma.sql`
        WITH modules AS (
          SELECT id, title, kind, position, created_at FROM course_modules
          WHERE tenant_id = ${tenantId}::uuid AND course_id = ${courseId}::uuid
        ), progress AS (
          SELECT p.assignment_id, p.module_id, p.launched_at, p.satisfied_at, p.seconds_spent, p.position_seconds,
                 m.position, m.created_at
          FROM module_progress p JOIN modules m ON m.id = p.module_id
          WHERE p.tenant_id = ${tenantId}::uuid
        ), furthest AS (
          SELECT DISTINCT ON (assignment_id) assignment_id, module_id, satisfied_at FROM progress
          ORDER BY assignment_id, position DESC, created_at DESC
        )
        SELECT m.id::text AS module_id, m.title, m.kind, m.position, true AS course,
               count(p.assignment_id)::int AS learners, count(p.launched_at)::int AS launched,
               count(p.satisfied_at)::int AS satisfied, coalesce(sum(p.seconds_spent), 0)::float8 AS total_seconds,
               avg(p.seconds_spent)::float8 AS average_seconds, avg(p.position_seconds)::float8 AS average_position,
               (SELECT count(*) FROM furthest f WHERE f.module_id = m.id AND f.satisfied_at IS NULL)::int AS stopped_here
        FROM modules m LEFT JOIN progress p ON p.module_id = m.id
        GROUP BY m.id, m.title, m.kind, m.position, m.created_at
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, false, 0, 0, 0, 0, NULL, NULL, 0
        WHERE NOT EXISTS (SELECT 1 FROM training_courses WHERE tenant_id = ${tenantId}::uuid AND id = ${courseId}::uuid)
        ORDER BY 4, 1`);
      if (rows.some((row) => !row.course)) throw unknownAt('courseId', 'no such course', 'course');
      return rows;
    },
  }),
);
