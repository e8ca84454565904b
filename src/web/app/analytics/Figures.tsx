import type { AssignmentStatus, WebAnalyticsQuery } from '../../../generated/operations/graphql';
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
      <div className="tiles wide" aria-label="Figures">
        <Tile label="Total courses" value={data.totalCourses} />
        <Tile label="Total assignments" value={data.totalAssignments} />
        <Tile label="Completed" value={data.completedCount} />
        <Tile label="In progress" value={data.inProgressCount} />
        <Tile label="Overdue" value={data.overdueCount} />
        <Tile label="Completion rate" value={percent(data.completionRate)} />
        <Tile label="Average completion time" value={minutes(data.avgCompletionTime)} />
        <Tile label="Risk-based: over the threshold" value={data.riskTriggers.threshold} />
        <Tile label="Risk-based: ahead (rising trend)" value={data.riskTriggers.trend} />
      </div>
      <div className="two-columns">
        <ChartSection
          title="By status"
          label="Assignments by status"
          empty={noAssignments ? 'No assignments yet.' : undefined}
          rows={statusRows}
        />
        <ChartSection
          title="By category"
          label="Completion rate by category, in percent"
          unit="%"
          empty={data.byCategory.length === 0 ? 'No courses yet.' : undefined}
          rows={categoryRows}
        />
      </div>
      <Section title="Past due">
        {data.overdueAssignments.length === 0 ? (
          <Empty>Nobody is past a due date.</Empty>
        ) : (
          <ul className="rows">
            {data.overdueAssignments.map((a) => (
              <li key={a.id}>
                <strong>{personName(a.user)}</strong> — {a.course.title}, due {formatDate(a.dueDate)}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
