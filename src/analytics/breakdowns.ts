import { builder } from '../core/builder.js';
import { badInput } from '../core/errors.js';
import type { Context } from '../core/caller/index.js';
import { MAX_PAGE_SIZE } from '../core/page-size.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import * as validate from '../core/validate.js';
import type { Breakdown, FiguresOf } from './analytics-sql.js';
import { breakdownFields, toBreakdown, type BreakdownShape, type Types } from './breakdown-shape.js';
import { byWeekSql, groupedFiguresSql, type BreakdownFilter, type GroupRow, type WeekRow } from './breakdowns-sql.js';
import { Rule } from '../core/field-rules.js';

/**
 * The filtered breakdowns of Analytics: a date range and a course, zone or piece of equipment narrow them, and
 * they group by zone, equipment and week (byCourse takes the same filter, in analytics.ts). Each field is one
 * statement over the assignment rows, whatever the number of groups.
 */

const DAY_MS = 86_400_000;
/** The weeks byWeek shows when the filter gives no range: this one and the eleven before it. */
const DEFAULT_WEEKS = 12;
/** A year of weeks at most: the chart's length, and the statement's. */
const MAX_WEEKS = 53;

export const AnalyticsFilter = builder.inputType('AnalyticsFilter', {
  description:
    'Narrows the breakdowns as the training-records export does: `from`/`to` bound the completion day, or the ' +
    'assignment day of what is not completed (both days included); a zone keeps its people (a shift there), ' +
    'equipment its operators.',
  fields: (t) => ({
    from: t.field({ type: 'Date' }),
    to: t.field({ type: 'Date' }),
    courseId: t.id(),
    zoneId: t.id(),
    equipmentId: t.id(),
  }),
});

type AnalyticsFilterInput = typeof AnalyticsFilter.$inferInput;

/** The filter checked, its fields named by their argument path. */
export function breakdownFilter(input: AnalyticsFilterInput | null | undefined, arg = 'filter'): BreakdownFilter {
  const id = (name: 'courseId' | 'zoneId' | 'equipmentId') =>
    input?.[name] == null ? undefined : validate.uuid(`${arg}.${name}`, input[name]);
  const filter: BreakdownFilter = {
    from: input?.from ?? undefined,
    to: input?.to ?? undefined,
    courseId: id('courseId'),
    zoneId: id('zoneId'),
    equipmentId: id('equipmentId'),
  };
  if (filter.from && filter.to && filter.from > filter.to) {
    throw badInput(`${arg}.to`, 'must not be before from', Rule.notBefore, { other: 'from' });
  }
  return filter;
}

/** The kept assignments' figures per group, one statement. */
export function groupedFigures(
  context: Context,
  of: FiguresOf,
  filter: BreakdownFilter,
  grouping: 'total' | 'zone' | 'equipment' | 'course',
): Promise<GroupRow[]> {
  return context.read<GroupRow>(groupedFiguresSql(of, filter, grouping));
}

type Grouped = BreakdownShape & { key: string; people: number };
const grouped = (row: GroupRow): Grouped => ({ key: row.key!, people: Number(row.people), ...toBreakdown(row) });

export const AnalyticsTotals = builder.objectRef<BreakdownShape & { people: number }>('AnalyticsTotals');
AnalyticsTotals.implement({
  description: 'The figures of every assignment the filter keeps (cancelled ones excluded).',
  fields: (t) => ({
    people: t.exposeInt('people', { description: 'People with a kept assignment that is not cancelled.' }),
    ...breakdownFields(t),
  }),
});

const ZoneAnalytics = builder.objectRef<Grouped>('ZoneAnalytics');
ZoneAnalytics.implement({
  description: "Figures for the people of one zone (a shift there): each person's assignments count in each zone.",
  fields: (t) => ({
    zoneId: t.id({ resolve: (row) => row.key }),
    people: t.exposeInt('people', { description: 'People with a kept assignment that is not cancelled.' }),
    ...breakdownFields(t),
  }),
});

const EquipmentAnalytics = builder.objectRef<Grouped>('EquipmentAnalytics');
EquipmentAnalytics.implement({
  description: 'Figures for the operators of one piece of equipment.',
  fields: (t) => ({
    equipmentId: t.id({ resolve: (row) => row.key }),
    people: t.exposeInt('people', { description: 'People with a kept assignment that is not cancelled.' }),
    ...breakdownFields(t),
  }),
});

const WeekAnalytics = builder.objectRef<WeekRow>('WeekAnalytics');
WeekAnalytics.implement({
  description: 'One week (Monday first) of training.',
  fields: (t) => ({
    week: t.field({
      type: 'Date',
      description: "The week's Monday.",
      resolve: (row) => new Date(`${row.week}T00:00:00Z`),
    }),
    assigned: t.exposeInt('assigned', { description: 'Assignments made that week.' }),
    completed: t.exposeInt('completed', { description: 'Assignments completed that week.' }),
    overdue: t.exposeInt('overdue', {
      description:
        "Assignments overdue at the week's end (today, for this week): past due, not completed or cancelled.",
    }),
  }),
});

/** The weeks of a filter: its range, or the last DEFAULT_WEEKS weeks up to today; at most MAX_WEEKS. */
function weeksOf(filter: BreakdownFilter): BreakdownFilter & { from: Date; to: Date } {
  const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const to = filter.to ?? (filter.from && filter.from > today ? filter.from : today);
  const monday = to.getTime() - ((to.getUTCDay() + 6) % 7) * DAY_MS;
  const from = filter.from ?? new Date(monday - (DEFAULT_WEEKS - 1) * 7 * DAY_MS);
  if ((to.getTime() - from.getTime()) / DAY_MS > MAX_WEEKS * 7) {
    throw badInput('filter.from', `the range is over ${MAX_WEEKS} weeks`, Rule.maxWeeks, { max: MAX_WEEKS });
  }
  return { ...filter, from, to };
}

/** Whose figures an Analytics object holds (set by trainingAnalytics and User.trainingProgress). */
interface Scoped {
  tenantId: string;
  userId: string | null;
}

export function addBreakdownFields<Scope extends Scoped>(Analytics: PothosSchemaTypes.ObjectRef<Types, Scope>) {
  builder.objectFields(Analytics, (t) => ({
    totals: t.field({
      type: AnalyticsTotals,
      args: { filter: t.arg({ type: AnalyticsFilter }) },
      description: 'The figures of the assignments the filter keeps.',
      resolve: async (scope, args, context) => {
        const [row] = await groupedFigures(context, scope, breakdownFilter(args.filter), 'total');
        return row ? grouped({ ...row, key: '' }) : { ...toBreakdown(EMPTY), people: 0 };
      },
    }),
    byZone: t.field({
      type: [ZoneAnalytics],
      args: { filter: t.arg({ type: AnalyticsFilter }) },
      description: 'Every zone with people (a shift there), most assignments first.',
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_PAGE_SIZE },
      resolve: async (scope, args, context) =>
        (await groupedFigures(context, scope, breakdownFilter(args.filter), 'zone')).map(grouped),
    }),
    byEquipment: t.field({
      type: [EquipmentAnalytics],
      args: { filter: t.arg({ type: AnalyticsFilter }) },
      description: 'Every piece of equipment with operators, most assignments first.',
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_PAGE_SIZE },
      resolve: async (scope, args, context) =>
        (await groupedFigures(context, scope, breakdownFilter(args.filter), 'equipment')).map(grouped),
    }),
    byWeek: t.field({
      type: [WeekAnalytics],
      args: { filter: t.arg({ type: AnalyticsFilter }) },
      description: `Week by week over the filter's range (default: the last ${DEFAULT_WEEKS} weeks; at most ${MAX_WEEKS}).`,
      extensions: { [MAX_ITEMS_EXTENSION]: MAX_WEEKS + 1 },
      resolve: (scope, args, context) => context.read<WeekRow>(byWeekSql(scope, weeksOf(breakdownFilter(args.filter)))),
    }),
  }));
}

const EMPTY: Breakdown = { assignments: 0n, completed: 0n, in_progress: 0n, overdue: 0n, avg_score: null };
