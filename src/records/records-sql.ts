import { Prisma } from '../generated/prisma/client.js';

/** The filters of an export, checked (ids are UUIDs, bounds are instants). */
export interface RecordFilter {
  courseId?: string;
  zoneId?: string;
  equipmentId?: string;
  userId?: string;
  from?: Date;
  to?: Date;
}

/**
 * The file's columns, in order, with their headings: the columns `trainingRecordsSql` selects, in its order, each
 * a text or null (a row arrives as an array of them).
 */
export const RECORD_COLUMNS = [
  ['person', 'Person'],
  ['email', 'Email'],
  ['course', 'Course'],
  ['assigned', 'Assigned'],
  ['due', 'Due'],
  ['status', 'Status'],
  ['completed', 'Completed'],
  ['source', 'Source'],
  ['evidence', 'Evidence'],
  ['evaluator', 'Evaluator'],
  ['score', 'Score'],
  ['passed', 'Passed'],
  ['certificate', 'Certificate code'],
  ['certificate_status', 'Certificate status'],
  ['expires', 'Expires'],
] as const;

const instant = (column: Prisma.Sql) => Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/**
 * Who was trained in what: one row per assignment of the caller's tenant (RLS: run as the caller) with its latest
 * completion, the evidence behind it and who recorded it, and its certificate. `from`/`to` bound the completion
 * time, or the assignment time of what is not completed. Ordered by assignment time, so files are stable. It
 * names the caller's tenant itself (`tenantId`), as every statement as a caller does, besides RLS, in each
 * subquery too: a database distributed by tenant then sends it whole to the tenant's shard.
 */
export function trainingRecordsSql(filter: RecordFilter, tenantId: string): Prisma.Sql {
  const where: Prisma.Sql[] = [Prisma.sql`a.tenant_id = ${tenantId}::uuid`];
  if (filter.courseId) where.push(Prisma.sql`a.course_id = ${filter.courseId}::uuid`);
  if (filter.userId) where.push(Prisma.sql`a.user_id = ${filter.userId}::uuid`);
  if (filter.zoneId) {
    where.push(Prisma.sql`a.user_id IN (SELECT s.user_id FROM shift_assignments s
                                        WHERE s.tenant_id = ${tenantId}::uuid AND s.zone_id = ${filter.zoneId}::uuid)`);
  }
  if (filter.equipmentId) {
    where.push(Prisma.sql`a.user_id IN (SELECT o.user_id FROM equipment_operators o
                                        WHERE o.tenant_id = ${tenantId}::uuid AND o.equipment_id = ${filter.equipmentId}::uuid)`);
  }
  const when = Prisma.sql`coalesce(c.completed_at, a.assigned_at)`;
  if (filter.from) where.push(Prisma.sql`${when} >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) where.push(Prisma.sql`${when} < ${filter.to.toISOString()}::timestamptz`);
  return Prisma.sql`
    SELECT p.display_name AS person, p.email, co.title AS course,
           ${instant(Prisma.sql`a.assigned_at`)} AS assigned, a.due_date::text AS due, a.status,
           ${instant(Prisma.sql`c.completed_at`)} AS completed, c.source,
           (SELECT string_agg(concat_ws(' ', e ->> 'kind', CASE WHEN e ->> 'passed' = 'false' THEN 'failed' END,
                                        'score ' || (e ->> 'score'), 'on ' || left(e ->> 'recordedAt', 10)), '; ')
              FROM jsonb_array_elements(c.evidence) e) AS evidence,
           (SELECT string_agg(DISTINCT coalesce(e ->> 'recordedByName', e ->> 'recordedBy'), '; ')
              FROM jsonb_array_elements(c.evidence) e WHERE e ->> 'recordedBy' IS NOT NULL) AS evaluator,
           c.score::text AS score, c.passed::text AS passed, ce.code AS certificate,
           CASE WHEN ce.id IS NULL THEN NULL
                WHEN ce.revoked_at IS NOT NULL THEN 'revoked'
                WHEN ce.expires_at < training_today() THEN 'expired'
                ELSE 'valid' END AS certificate_status,
           coalesce(ce.expires_at, c.expires_at)::text AS expires
      FROM training_assignments a
      JOIN training_courses co ON co.tenant_id = a.tenant_id AND co.id = a.course_id
      LEFT JOIN profiles p ON p.tenant_id = a.tenant_id AND p.id = a.user_id
      LEFT JOIN LATERAL (
            SELECT * FROM training_completions c
             WHERE c.tenant_id = ${tenantId}::uuid AND c.assignment_id = a.id
             ORDER BY c.completed_at DESC, c.id DESC LIMIT 1) c ON true
      LEFT JOIN certificates ce ON ce.tenant_id = a.tenant_id AND ce.completion_id = c.id
     WHERE ${Prisma.join(where, ' AND ')}
     ORDER BY a.assigned_at, a.id`;
}
