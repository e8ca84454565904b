import { useQuery } from 'urql';
import { WebAnalyticsBreakdownsDocument, type AssignmentStatus } from '../../../generated/operations/graphql';
import { DataTable, Empty, Loaded, percent, Section, Tile } from '../ui';
import { analyticsFilter, equipmentName, zoneName, type DrillDown, type Filters } from './filters';
import { WeekChart } from './WeekChart';

interface RowFigures {
  assignments: number;
  completed: number;
  inProgress: number;
  overdue: number;
  completionRate: number;
}

/**
 * The figures for the screen's filters: totals whose tiles open the people behind them, week by week,
 * and by zone, equipment and course (each row opens its people).
 */
export function Breakdowns({
  filters,
  version,
  onDrill,
}: {
  filters: Filters;
  /** Bumped by Refresh: the breakdowns are read again. */
  version: number;
  onDrill: (drill: DrillDown) => void;
}) {
  const [result, refetch] = useQuery({
    query: WebAnalyticsBreakdownsDocument,
    variables: { filter: analyticsFilter(filters) },
    requestPolicy: version > 0 ? 'cache-and-network' : 'cache-first',
  });
  const data = result.data?.trainingAnalytics;
  const drillTile = (label: string, value: number, status?: AssignmentStatus) => (
    <button
      type="button"
      className="tile tile-button"
      aria-label={`${label}: ${value}. Show the people`}
      onClick={() => onDrill({ title: label, status })}
    >
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
    </button>
  );
  return (
    <Loaded result={result} what="the figures for the filters" retry={() => refetch({ requestPolicy: 'network-only' })}>
      {data && (
        <>
          <Section title="For the filters">
            <div className="tiles" aria-label="Figures for the filters">
              {drillTile('People', data.totals.people)}
              {drillTile('Assignments', data.totals.assignments)}
              {drillTile('Completed', data.totals.completed, 'COMPLETED')}
              {drillTile('In progress', data.totals.inProgress, 'IN_PROGRESS')}
              {drillTile('Overdue', data.totals.overdue, 'OVERDUE')}
              <Tile label="Completion rate" value={percent(data.totals.completionRate)} />
            </div>
          </Section>
          <WeekChart weeks={data.byWeek} />
          <div className="two-columns">
            <BreakdownTable
              title="By zone"
              empty="No shifts recorded: zones appear once people have shifts there."
              rows={data.byZone.map((row) => ({ ...row, key: row.zoneId, name: zoneName(row.zoneId) }))}
              onDrill={(row) => onDrill({ title: row.name, zoneId: row.key })}
            />
            <BreakdownTable
              title="By equipment"
              empty="No operators recorded: equipment appears once it has operators."
              rows={data.byEquipment.map((row) => ({
                ...row,
                key: row.equipmentId,
                name: equipmentName(row.equipmentId),
              }))}
              onDrill={(row) => onDrill({ title: row.name, equipmentId: row.key })}
            />
          </div>
          <BreakdownTable
            title="By course"
            empty="No assignments for these filters."
            rows={data.byCourse.map((row) => ({ ...row, key: row.course.id, name: row.course.title }))}
            scores
            onDrill={(row) => onDrill({ title: row.name, courseId: row.key })}
          />
        </>
      )}
    </Loaded>
  );
}

type Row = RowFigures & { key: string; name: string; averageScore?: number | null };

function BreakdownTable({
  title,
  empty,
  rows,
  scores = false,
  onDrill,
}: {
  title: string;
  empty: string;
  rows: Row[];
  /** A column with the average score of the passed completions. */
  scores?: boolean;
  onDrill: (row: Row) => void;
}) {
  const columns = ['Name', 'Assignments', 'Completed', 'In progress', 'Overdue', 'Rate'];
  return (
    <Section title={title}>
      {rows.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <DataTable
          label={`Figures ${title.toLowerCase()}`}
          columns={scores ? [...columns, 'Avg score'] : columns}
          actions
        >
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.name}</th>
              <td>{row.assignments}</td>
              <td>{row.completed}</td>
              <td>{row.inProgress}</td>
              <td>{row.overdue}</td>
              <td>{percent(row.completionRate)}</td>
              {scores && <td>{row.averageScore == null ? '—' : row.averageScore.toFixed(1)}</td>}
              <td>
                <button type="button" aria-label={`People of ${row.name}`} onClick={() => onDrill(row)}>
                  People
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Section>
  );
}
