import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WebAnalyticsBreakdownsQuery } from '../../../generated/operations/graphql';
import { useTranslation } from '../i18n';
import { Empty, formatDate, Section } from '../ui';

type Week = WebAnalyticsBreakdownsQuery['trainingAnalytics']['byWeek'][number];

const SERIES = [
  { key: 'assigned', name: 'assigned', colour: '#3b6fb6' },
  { key: 'completed', name: 'completed', colour: '#2e7d32' },
  { key: 'overdue', name: 'overdueAtWeekEnd', colour: '#c62828' },
] as const;

/** Assigned, completed and overdue week by week, with the same figures in words for screen readers. */
export function WeekChart({ weeks }: { weeks: Week[] }) {
  const { t } = useTranslation();
  const empty = weeks.every((week) => week.assigned === 0 && week.completed === 0 && week.overdue === 0);
  const rows = weeks.map((week) => ({ ...week, name: formatDate(week.week) }));
  const summary = t('analytics.weekChart', {
    weeks: rows.map((row) => t('analytics.weekSummary', { ...row, week: row.name })).join('; '),
  });
  return (
    <Section title={t('analytics.weekByWeek')}>
      {empty ? (
        <Empty>{t('analytics.noWeeks')}</Empty>
      ) : (
        <div className="chart" role="img" aria-label={summary}>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} angle={-25} textAnchor="end" height={64} />
              <YAxis allowDecimals={false} width={36} tick={{ fontSize: 11 }} />
              <Tooltip />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {SERIES.map((series) => (
                <Bar
                  key={series.key}
                  dataKey={series.key}
                  name={t(`analytics.${series.name}`)}
                  fill={series.colour}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </Section>
  );
}
