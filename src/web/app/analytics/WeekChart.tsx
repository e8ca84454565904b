import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WebAnalyticsBreakdownsQuery } from '../../../generated/operations/graphql';
import { Empty, formatDate, Section } from '../ui';

type Week = WebAnalyticsBreakdownsQuery['trainingAnalytics']['byWeek'][number];

const SERIES = [
  { key: 'assigned', name: 'Assigned', colour: '#3b6fb6' },
  { key: 'completed', name: 'Completed', colour: '#2e7d32' },
  { key: 'overdue', name: 'Overdue at week end', colour: '#c62828' },
] as const;

/** Assigned, completed and overdue week by week, with the same figures in words for screen readers. */
export function WeekChart({ weeks }: { weeks: Week[] }) {
  const empty = weeks.every((week) => week.assigned === 0 && week.completed === 0 && week.overdue === 0);
  const rows = weeks.map((week) => ({ ...week, name: formatDate(week.week) }));
  const summary =
    'Week by week: ' +
    rows
      .map((row) => `${row.name}: ${row.assigned} assigned, ${row.completed} completed, ${row.overdue} overdue`)
      .join('; ');
  return (
    <Section title="Week by week">
      {empty ? (
        <Empty>Nothing was assigned, completed or overdue in these weeks.</Empty>
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
                  name={series.name}
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
