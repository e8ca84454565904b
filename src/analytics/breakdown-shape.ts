import { builder } from '../core/builder.js';
import type { Breakdown } from './analytics-sql.js';

/** The figures every breakdown row of Analytics has (by category, course, zone, equipment, and the totals). */

const rate = (part: bigint, whole: bigint) =>
  Number(whole) === 0 ? 0 : Math.round((Number(part) * 10000) / Number(whole)) / 100;

export interface BreakdownShape {
  assignments: number;
  completed: number;
  inProgress: number;
  overdue: number;
  completionRate: number;
  averageScore: number | null;
}

export function toBreakdown(row: Breakdown): BreakdownShape {
  return {
    assignments: Number(row.assignments),
    completed: Number(row.completed),
    inProgress: Number(row.in_progress),
    overdue: Number(row.overdue),
    completionRate: rate(row.completed, row.assignments),
    averageScore: row.avg_score === null ? null : Number(row.avg_score),
  };
}

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The figures every breakdown row has (by category, by course), after the field that names the row. */
export function breakdownFields<Row extends BreakdownShape>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, Row>) {
  return {
    assignments: t.int({ resolve: (row) => row.assignments }),
    completed: t.int({ resolve: (row) => row.completed }),
    inProgress: t.int({ resolve: (row) => row.inProgress }),
    overdue: t.int({ resolve: (row) => row.overdue }),
    completionRate: t.float({ description: 'Percent, two decimals.', resolve: (row) => row.completionRate }),
    averageScore: t.float({ nullable: true, resolve: (row) => row.averageScore }),
  };
}
