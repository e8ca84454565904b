import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useQuery, useSubscription } from 'urql';
import {
  WebAnalyticsDocument,
  WebAssignmentCreatedDocument,
  type AssignmentRowFieldsFragment,
  type AssignmentStatus,
  type WebAnalyticsQuery,
} from '../../generated/operations/graphql';
import { Assignments } from './Assignments';
import { AutoAssign } from './AutoAssign';
import { Courses } from './Courses';
import { QuestionStats } from './quiz/QuestionStats';
import { ModuleStats } from './content/ModuleStats';
import {
  categoryName,
  DataTable,
  Empty,
  enumName,
  ErrorMessage,
  formatDate,
  Loaded,
  minutes,
  percent,
  personName,
  Section,
  STATUS_NAMES,
  Tile,
} from './ui';

const STATUS_COLOURS: Record<AssignmentStatus, string> = {
  ASSIGNED: '#3b6fb6',
  IN_PROGRESS: '#b07d10',
  COMPLETED: '#2e7d32',
  OVERDUE: '#c62828',
  CANCELLED: '#6b6b6b',
};
/** How often the figures refresh while the screen is open (starts and completions have no live event). */
const REFRESH_MS = 5_000;

/** The tenant's training for admins and safety officers. */
export function Analytics() {
  const [analytics, refetch] = useQuery({ query: WebAnalyticsDocument });
  const [version, setVersion] = useState(0);
  const refresh = () => {
    refetch({ requestPolicy: 'network-only' });
    setVersion((v) => v + 1);
  };

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refetch({ requestPolicy: 'network-only' });
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);

  const data = analytics.data?.trainingAnalytics;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Training Analytics</h1>
        <button type="button" onClick={refresh} disabled={analytics.fetching}>
          Refresh
        </button>
      </div>
      <Loaded result={analytics} what="analytics" retry={refresh}>
        {data && <Figures data={data} />}
      </Loaded>
      <QuestionStats key={`question-stats-${version}`} />
      <ModuleStats key={`module-stats-${version}`} />
      <LiveFeed onArrival={() => refetch({ requestPolicy: 'network-only' })} />
      <Courses key={`courses-${version}`} />
      <Assignments key={`assignments-${version}`} />
      <AutoAssign />
    </div>
  );
}

/** The figures, the charts, the table by course and who is past due. */
function Figures({ data }: { data: WebAnalyticsQuery['trainingAnalytics'] }) {
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
      <Section title="By course">
        {data.byCourse.length === 0 ? (
          <Empty>No courses yet.</Empty>
        ) : (
          <DataTable
            label="Figures by course"
            columns={['Course', 'Assignments', 'Completed', 'In progress', 'Overdue', 'Rate', 'Avg score']}
          >
            {data.byCourse.map((row) => (
              <tr key={row.course.id}>
                <th scope="row">{row.course.title}</th>
                <td>{row.assignments}</td>
                <td>{row.completed}</td>
                <td>{row.inProgress}</td>
                <td>{row.overdue}</td>
                <td>{percent(row.completionRate)}</td>
                <td>{row.averageScore == null ? '—' : row.averageScore.toFixed(1)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
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

/** A section with a bar chart, or `empty` instead when there is nothing to chart. */
function ChartSection({
  title,
  empty,
  ...chart
}: {
  title: string;
  empty: string | undefined;
  label: string;
  rows: ChartRow[];
  unit?: string;
}) {
  return <Section title={title}>{empty ? <Empty>{empty}</Empty> : <Chart {...chart} />}</Section>;
}

interface ChartRow {
  name: string;
  value: number;
  colour: string;
}

function Chart({ label, rows, unit }: { label: string; rows: ChartRow[]; unit?: string }) {
  const summary = `${label}: ${rows.map((row) => `${row.name} ${row.value}${unit ?? ''}`).join(', ')}`;
  return (
    <div className="chart" role="img" aria-label={summary}>
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" interval={0} tick={{ fontSize: 11 }} angle={-25} textAnchor="end" height={64} />
          <YAxis allowDecimals={false} unit={unit} width={44} tick={{ fontSize: 11 }} />
          <Tooltip formatter={(value) => `${value}${unit ?? ''}`} />
          <Bar dataKey="value" isAnimationActive={false}>
            {rows.map((row) => (
              <Cell key={row.name} fill={row.colour} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** The tenant's new assignments as they are committed (graphql-ws). */
function LiveFeed({ onArrival }: { onArrival: () => void }) {
  const [events, setEvents] = useState<AssignmentRowFieldsFragment[]>([]);
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: {} });
  useEffect(() => {
    const created = live.data?.trainingAssignmentCreated;
    if (!created) return;
    setEvents((previous) =>
      previous.some((event) => event.id === created.id) ? previous : [created, ...previous].slice(0, 20),
    );
    onArrival();
  }, [live.data]);

  return (
    <Section title="Live feed">
      {live.error && <ErrorMessage error="Live updates are unavailable right now." />}
      {events.length === 0 ? (
        <Empty>New assignments of your organisation appear here as they are made.</Empty>
      ) : (
        <ul className="rows" aria-live="polite">
          {events.map((a) => (
            <li key={a.id}>
              <strong>{personName(a.user)}</strong> — {a.course.title} ({enumName(a.assignmentType).toLowerCase()}
              {a.dueDate ? `, due ${formatDate(a.dueDate)}` : ''})
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
