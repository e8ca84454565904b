import { useState } from 'react';
import { useQuery } from 'urql';
import { WebContentCoursesDocument, WebModuleStatsDocument } from '../../../generated/operations/graphql';
import { formatNumber, i18n, useTranslation } from '../i18n';
import { DataTable, Empty, Loaded, Section, SelectField } from '../ui';

const duration = (seconds: number | null | undefined) => {
  if (seconds == null) return '—';
  if (seconds < 60) return i18n.t('content.seconds', { seconds: Math.round(seconds) });
  return i18n.t('content.minutes', { minutes: Math.floor(seconds / 60), seconds: Math.round(seconds % 60) });
};

const STATS_COLUMNS = [
  'module',
  'learners',
  'done',
  'totalTime',
  'averageTime',
  'averagePosition',
  'stoppedHere',
] as const;

/** Time spent on each module of a course and where learners stop (the furthest module they reached, not done). */
export function ModuleStats() {
  const { t } = useTranslation();
  const [courses] = useQuery({ query: WebContentCoursesDocument, variables: { first: 500 } });
  const list = courses.data?.trainingCourses.nodes ?? [];
  const [chosen, setChosen] = useState('');
  const courseId = chosen || list[0]?.id || '';
  return (
    <Section title={t('content.courseContent')}>
      <Loaded result={courses} what={t('content.coursesWhat')}>
        {list.length === 0 ? (
          <Empty>{t('content.noCourses')}</Empty>
        ) : (
          <>
            <SelectField
              label={t('content.contentOfCourse')}
              value={courseId}
              onChange={setChosen}
              options={list.map((course) => ({ value: course.id, name: course.title }))}
            />
            <p className="hint">{t('content.statsHint')}</p>
            {courseId && <StatsTable courseId={courseId} />}
          </>
        )}
      </Loaded>
    </Section>
  );
}

function StatsTable({ courseId }: { courseId: string }) {
  const { t } = useTranslation();
  const [stats, refetch] = useQuery({ query: WebModuleStatsDocument, variables: { courseId } });
  const rows = stats.data?.moduleStats ?? [];
  return (
    <Loaded result={stats} what={t('content.statsWhat')} retry={() => refetch({ requestPolicy: 'network-only' })}>
      {rows.length === 0 ? (
        <Empty>{t('content.courseHasNoModules')}</Empty>
      ) : (
        <DataTable
          label={t('content.timeByModule')}
          columns={STATS_COLUMNS.map((column) => t(`content.columns.${column}`))}
        >
          {rows.map((row) => (
            <tr key={row.moduleId}>
              <th scope="row">{row.title}</th>
              <td>{formatNumber(row.learners)}</td>
              <td>{formatNumber(row.satisfied)}</td>
              <td>{duration(row.totalSecondsSpent)}</td>
              <td>{duration(row.averageSecondsSpent)}</td>
              <td>{row.kind === 'VIDEO' ? duration(row.averagePositionSeconds) : '—'}</td>
              <td>{formatNumber(row.stoppedHere)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </Loaded>
  );
}
