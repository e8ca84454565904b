import type { AssignmentStatus, WebAnalyticsQuery } from '../../../generated/operations/graphql';
import { formatNumber, useTranslation } from '../i18n';
import { categoryName, Empty, formatDate, minutes, percent, personName, Section, STATUS_NAMES, Tile } from '../ui';
import { ChartSection } from './Chart';

const STATUS_COLOURS: Record<AssignmentStatus, string> = {
  ASSIGNED: '#3b6fb6',
  IN_PROGRESS: '#b07d10',
  COMPLETED: '#2e7d32',
  OVERDUE: '#c62828',
  CANCELLED: '#6b6b6b',
};
/** The tenant's figures of all time: the seven tiles, the charts and who is past due. */
export function Figures({ data }: { data: WebAnalyticsQuery['trainingAnalytics'] }) {
  const { t } = useTranslation();
  const noAssignments = data.totalAssignments === 0 && data.byStatus.every((s) => s.count === 0);
  const statusRows = data.byStatus.map((s) => ({
    name: STATUS_NAMES[s.status],
    value: s.count,
    colour: STATUS_COLOURS[s.status],
  }));
  const categoryRows = data.byCategory.map((c) => ({
    name: categoryName(c.category),
    value: c.completionRate,
    colour: '#3b6fb6',
  }));
  return (
    <>
      <div className="tiles wide" aria-label={t('figures.label')}>
        <Tile label={t('figures.totalCourses')} value={formatNumber(data.totalCourses)} />
        <Tile label={t('figures.totalAssignments')} value={formatNumber(data.totalAssignments)} />
        <Tile label={t('analytics.completed')} value={formatNumber(data.completedCount)} />
        <Tile label={t('analytics.inProgress')} value={formatNumber(data.inProgressCount)} />
        <Tile label={t('analytics.overdue')} value={formatNumber(data.overdueCount)} />
        <Tile label={t('analytics.completionRate')} value={percent(data.completionRate)} />
        <Tile label={t('figures.averageTime')} value={minutes(data.avgCompletionTime)} />
        <Tile label={t('figures.riskThreshold')} value={formatNumber(data.riskTriggers.threshold)} />
        <Tile label={t('figures.riskTrend')} value={formatNumber(data.riskTriggers.trend)} />
      </div>
      <div className="two-columns">
        <ChartSection
          title={t('figures.byStatus')}
          label={t('figures.byStatusLabel')}
          empty={noAssignments ? t('assignments.none') : undefined}
          rows={statusRows}
        />
        <ChartSection
          title={t('figures.byCategory')}
          label={t('figures.byCategoryLabel')}
          unit="%"
          empty={data.byCategory.length === 0 ? t('figures.noCourses') : undefined}
          rows={categoryRows}
        />
      </div>
      <Section title={t('figures.pastDue')}>
        {data.overdueAssignments.length === 0 ? (
          <Empty>{t('figures.nobodyPastDue')}</Empty>
        ) : (
          <ul className="rows">
            {data.overdueAssignments.map((a) => (
              <li key={a.id}>
                <strong>{personName(a.user)}</strong> — {a.course.title}
                {t('analytics.due', { date: formatDate(a.dueDate) })}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
