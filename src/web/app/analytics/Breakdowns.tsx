import { useQuery } from 'urql';
import { WebAnalyticsBreakdownsDocument, type AssignmentStatus } from '../../../generated/operations/graphql';
import { formatNumber, useTranslation } from '../i18n';
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
  const { t } = useTranslation();
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
      aria-label={t('analytics.showPeople', { label, value })}
      onClick={() => onDrill({ title: label, status })}
    >
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
    </button>
  );
  return (
    <Loaded
      result={result}
      what={t('analytics.theFiguresForTheFilters')}
      retry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {data && (
        <>
          <Section title={t('analytics.forTheFilters')}>
            <div className="tiles" aria-label={t('analytics.figuresForTheFilters')}>
              {drillTile(t('analytics.people'), data.totals.people)}
              {drillTile(t('analytics.assignments'), data.totals.assignments)}
              {drillTile(t('analytics.completed'), data.totals.completed, 'COMPLETED')}
              {drillTile(t('analytics.inProgress'), data.totals.inProgress, 'IN_PROGRESS')}
              {drillTile(t('analytics.overdue'), data.totals.overdue, 'OVERDUE')}
              <Tile label={t('analytics.completionRate')} value={percent(data.totals.completionRate)} />
            </div>
          </Section>
          <WeekChart weeks={data.byWeek} />
          <div className="two-columns">
            <BreakdownTable
              title={t('analytics.byZone')}
              label={t('analytics.figuresByZone')}
              empty={t('analytics.noZones')}
              rows={data.byZone.map((row) => ({ ...row, key: row.zoneId, name: zoneName(row.zoneId) }))}
              onDrill={(row) => onDrill({ title: row.name, zoneId: row.key })}
            />
            <BreakdownTable
              title={t('analytics.byEquipment')}
              label={t('analytics.figuresByEquipment')}
              empty={t('analytics.noEquipment')}
              rows={data.byEquipment.map((row) => ({
                ...row,
                key: row.equipmentId,
                name: equipmentName(row.equipmentId),
              }))}
              onDrill={(row) => onDrill({ title: row.name, equipmentId: row.key })}
            />
          </div>
          <BreakdownTable
            title={t('analytics.byCourse')}
            label={t('analytics.figuresByCourse')}
            empty={t('analytics.noAssignments')}
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
  label,
  empty,
  rows,
  scores = false,
  onDrill,
}: {
  title: string;
  /** The table's name for assistive technology. */
  label: string;
  empty: string;
  rows: Row[];
  /** A column with the average score of the passed completions. */
  scores?: boolean;
  onDrill: (row: Row) => void;
}) {
  const { t } = useTranslation();
  const columns = ['name', 'assignments', 'completed', 'inProgress', 'overdue', 'rate'] as const;
  const headings = [...columns, ...(scores ? (['avgScore'] as const) : [])].map((key) => t(`analytics.${key}`));
  return (
    <Section title={title}>
      {rows.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <DataTable label={label} columns={headings} actions>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.name}</th>
              <td>{formatNumber(row.assignments)}</td>
              <td>{formatNumber(row.completed)}</td>
              <td>{formatNumber(row.inProgress)}</td>
              <td>{formatNumber(row.overdue)}</td>
              <td>{percent(row.completionRate)}</td>
              {scores && (
                <td>
                  {row.averageScore == null
                    ? '—'
                    : formatNumber(row.averageScore, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}
                </td>
              )}
              <td>
                <button
                  type="button"
                  aria-label={t('analytics.peopleOf', { name: row.name })}
                  onClick={() => onDrill(row)}
                >
                  {t('analytics.people')}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Section>
  );
}
