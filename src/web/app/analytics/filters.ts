import type { AnalyticsFilter, AssignmentFilter, AssignmentStatus } from '../../../generated/operations/graphql';
import { i18n } from '../i18n';
import { shortId } from '../ui';

/** The screen's filters as its form holds them ('' = not set). */
export interface Filters {
  from: string;
  to: string;
  courseId: string;
  zoneId: string;
  equipmentId: string;
}

export const NO_FILTERS: Filters = { from: '', to: '', courseId: '', zoneId: '', equipmentId: '' };

export const anyFilter = (filters: Filters) => Object.values(filters).some((value) => value !== '');

const set = (value: string) => (value === '' ? undefined : value);

/** The breakdowns' AnalyticsFilter (null when nothing is set: the all-time figures). */
export function analyticsFilter(filters: Filters): AnalyticsFilter | null {
  if (!anyFilter(filters)) return null;
  return {
    from: set(filters.from),
    to: set(filters.to),
    courseId: set(filters.courseId),
    zoneId: set(filters.zoneId),
    equipmentId: set(filters.equipmentId),
  };
}

/** What a drill-down narrows on besides the screen's filters. */
export interface DrillDown {
  /** Says whose assignments are listed ("Overdue", "Zone 1a2b3c4d"). */
  title: string;
  status?: AssignmentStatus;
  zoneId?: string;
  equipmentId?: string;
  courseId?: string;
}

/** The drill-down's trainingAssignments filter: the screen's filters and the figure's own. */
export function assignmentFilter(filters: Filters, drill: DrillDown): AssignmentFilter {
  return {
    from: set(filters.from),
    to: set(filters.to),
    courseId: drill.courseId ?? set(filters.courseId),
    zoneId: drill.zoneId ?? set(filters.zoneId),
    equipmentId: drill.equipmentId ?? set(filters.equipmentId),
    status: drill.status,
  };
}

const DAY_MS = 86_400_000;

/**
 * The training-records export's query for the filters. Its `to` is an exclusive instant, so the screen's
 * last day (included) becomes the start of the day after.
 */
export function exportQuery(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.courseId) params.set('course', filters.courseId);
  if (filters.zoneId) params.set('zone', filters.zoneId);
  if (filters.equipmentId) params.set('equipment', filters.equipmentId);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) {
    const next = new Date(Date.parse(`${filters.to}T00:00:00Z`) + DAY_MS);
    params.set('to', next.toISOString().slice(0, 10));
  }
  const query = params.toString();
  return query ? `?${query}` : '';
}

export const zoneName = (id: string) => i18n.t('analytics.zoneName', { id: shortId(id) });
export const equipmentName = (id: string) => i18n.t('analytics.equipmentName', { id: shortId(id) });
