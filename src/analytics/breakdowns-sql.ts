import { Prisma } from '../generated/prisma/client.js';
import type { FiguresOf, Breakdown } from './analytics-sql.js';

/**
 * The statements behind the filtered breakdowns of Training Analytics (by zone, equipment, course, week, and
 * their totals). Unlike the headline figures they read the assignment rows, not the counters: a date range
 * or a zone cannot be summed from per-course buckets. Each is one statement for the whole list, run as the
 * caller under RLS.
 */

/** A checked AnalyticsFilter: ids are UUIDs, `from`/`to` are whole UTC days, `to` included. */
export interface BreakdownFilter {
  from?: Date;
  to?: Date;
  courseId?: string;
  zoneId?: string;
  equipmentId?: string;
}

export type Grouping = 'total' | 'zone' | 'equipment' | 'course';

export interface GroupRow extends Breakdown {
  key: string | null;
  people: bigint;
}

const DAY_MS = 86_400_000;
const instant = (day: Date) => Prisma.sql`${day.toISOString()}::timestamptz`;
const dayText = (day: Date) => day.toISOString().slice(0, 10);
/** The instant a UTC day (a date column) ends. */
const endOf = (day: string) => Prisma.raw(`((${day} + 1)::timestamp AT TIME ZONE 'UTC')`);
/** The instant a UTC day starts. */
const startOf = (day: string) => Prisma.raw(`(${day}::timestamp AT TIME ZONE 'UTC')`);

/**
 * Which assignments a filter keeps. Like the auditors' export, a range bounds the completion time, or the
 * assignment time of what is not completed, so a breakdown and the file it exports count the same rows.
 * A zone keeps the people with a shift there; equipment, its operators.
 */
function kept(of: FiguresOf, filter: BreakdownFilter, { range }: { range: boolean }): Prisma.Sql {
  const where = [Prisma.sql`a.tenant_id = ${of.tenantId}::uuid`];
  if (of.userId) where.push(Prisma.sql`a.user_id = ${of.userId}::uuid`);
  if (filter.courseId) where.push(Prisma.sql`a.course_id = ${filter.courseId}::uuid`);
  if (filter.zoneId) {
    where.push(Prisma.sql`a.user_id IN (SELECT s.user_id FROM shift_assignments s
                                        WHERE s.tenant_id = ${of.tenantId}::uuid AND s.zone_id = ${filter.zoneId}::uuid)`);
  }
  if (filter.equipmentId) {
    where.push(Prisma.sql`a.user_id IN (SELECT o.user_id FROM equipment_operators o
                                        WHERE o.tenant_id = ${of.tenantId}::uuid
                                          AND o.equipment_id = ${filter.equipmentId}::uuid)`);
  }
  const when = Prisma.sql`coalesce(a.completed_at, a.assigned_at)`;
  if (range && filter.from) where.push(Prisma.sql`${when} >= ${instant(filter.from)}`);
  if (range && filter.to) where.push(Prisma.sql`${when} < ${instant(new Date(filter.to.getTime() + DAY_MS))}`);
  return Prisma.join(where, ' AND ');
}

/** What each grouping joins and groups by: a person with shifts in two zones counts in both. */
function groupedBy(of: FiguresOf, grouping: Grouping): { join: Prisma.Sql; key: Prisma.Sql } {
  switch (grouping) {
    case 'zone':
      return {
        join: Prisma.sql`JOIN (SELECT DISTINCT s.user_id, s.zone_id FROM shift_assignments s
                               WHERE s.tenant_id = ${of.tenantId}::uuid) g ON g.user_id = a.user_id`,
        key: Prisma.sql`g.zone_id`,
      };
    case 'equipment':
      return {
        join: Prisma.sql`JOIN equipment_operators g ON g.tenant_id = ${of.tenantId}::uuid AND g.user_id = a.user_id`,
        key: Prisma.sql`g.equipment_id`,
      };
    case 'course':
      return { join: Prisma.empty, key: Prisma.sql`a.course_id` };
    case 'total':
      return { join: Prisma.empty, key: Prisma.sql`NULL::uuid` };
  }
}

/**
 * The figures of the kept assignments per group (cancelled ones excluded from every figure but none):
 * effective status as everywhere, the score of its passed completion, and how many people.
 * Most assignments first.
 */
export function groupedFiguresSql(of: FiguresOf, filter: BreakdownFilter, grouping: Grouping): Prisma.Sql {
  const { join, key } = groupedBy(of, grouping);
  return Prisma.sql`
    SELECT ${key}::text AS key,
           count(DISTINCT a.user_id) FILTER (WHERE x.status <> 'cancelled') AS people,
           count(*) FILTER (WHERE x.status <> 'cancelled') AS assignments,
           count(*) FILTER (WHERE x.status = 'completed') AS completed,
           count(*) FILTER (WHERE x.status = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE x.status = 'overdue') AS overdue,
           round(avg(x.score), 2) AS avg_score
    FROM training_assignments a
    ${join}
    -- At most one passed completion per assignment (a unique partial index): a join, not a subquery per row.
    LEFT JOIN training_completions tc ON tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
    CROSS JOIN LATERAL (SELECT training_effective_status(a.status, a.due_date) AS status, tc.score) x
    WHERE ${kept(of, filter, { range: true })}
    GROUP BY 1
    ORDER BY count(*) FILTER (WHERE x.status <> 'cancelled') DESC, 1`;
}

export interface WeekRow {
  week: string;
  assigned: number;
  completed: number;
  overdue: number;
}

/**
 * Week by week (ISO weeks, Monday first) from `from` to `to`: assignments made, completed, and overdue at the
 * week's end (or today, for this week): due before that day, neither completed nor cancelled by it. The
 * range picks the weeks; the other filters the assignments. One statement: the weeks meet the rows once.
 */
export function byWeekSql(of: FiguresOf, filter: BreakdownFilter & { from: Date; to: Date }): Prisma.Sql {
  return Prisma.sql`
    WITH weeks AS (
      SELECT w::date AS week, least(w::date + 6, training_today()) AS last_day
      FROM generate_series(date_trunc('week', ${dayText(filter.from)}::timestamp),
                           date_trunc('week', ${dayText(filter.to)}::timestamp), interval '1 week') w
    ), rows AS (
      SELECT a.assigned_at, a.completed_at, a.cancelled_at, a.due_date, a.status
      FROM training_assignments a
      WHERE ${kept(of, filter, { range: false })}
        AND a.assigned_at < ((${dayText(filter.to)}::date + 1)::timestamp AT TIME ZONE 'UTC')
    )
    SELECT to_char(w.week, 'YYYY-MM-DD') AS week,
           count(r.*) FILTER (WHERE r.assigned_at >= ${startOf('w.week')}
                                AND r.assigned_at < ${endOf('(w.week + 6)')})::int AS assigned,
           count(r.*) FILTER (WHERE r.status = 'completed' AND r.completed_at >= ${startOf('w.week')}
                                AND r.completed_at < ${endOf('(w.week + 6)')})::int AS completed,
           count(r.*) FILTER (WHERE r.due_date < w.last_day
                                AND NOT (r.status = 'completed' AND r.completed_at < ${endOf('w.last_day')})
                                AND NOT (r.status = 'cancelled'
                                         AND coalesce(r.cancelled_at, '-infinity') < ${endOf('w.last_day')}))::int AS overdue
    FROM weeks w
    LEFT JOIN rows r ON r.assigned_at < ${endOf('w.last_day')}
    GROUP BY w.week
    ORDER BY w.week`;
}
