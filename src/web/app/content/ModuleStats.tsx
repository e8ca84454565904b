import { useState } from 'react';
import { useQuery } from 'urql';
import { WebContentCoursesDocument, WebModuleStatsDocument } from '../../../generated/operations/graphql';
import { DataTable, Empty, Loaded, Section, SelectField } from '../ui';

const duration = (seconds: number | null | undefined) => {
  if (seconds == null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
};

/** Time spent on each module of a course and where learners stop (the furthest module they reached, not done). */
export function ModuleStats() {
  const [courses] = useQuery({ query: WebContentCoursesDocument, variables: { first: 500 } });
  const list = courses.data?.trainingCourses.nodes ?? [];
  const [chosen, setChosen] = useState('');
  const courseId = chosen || list[0]?.id || '';
  return (
    <Section title="Course content">
      <Loaded result={courses} what="courses">
        {list.length === 0 ? (
          <Empty>No courses yet.</Empty>
        ) : (
          <>
            <SelectField
              label="Content of course"
              value={courseId}
              onChange={setChosen}
              options={list.map((course) => ({ value: course.id, name: course.title }))}
            />
            <p className="hint">
              Time spent: from the learners&apos; statements (videos: the time played). Stopped here: learners whose
              furthest module is this one and who have not finished it.
            </p>
            {courseId && <StatsTable courseId={courseId} />}
          </>
        )}
      </Loaded>
    </Section>
  );
}

function StatsTable({ courseId }: { courseId: string }) {
  const [stats, refetch] = useQuery({ query: WebModuleStatsDocument, variables: { courseId } });
  const rows = stats.data?.moduleStats ?? [];
  return (
    <Loaded result={stats} what="module statistics" retry={() => refetch({ requestPolicy: 'network-only' })}>
      {rows.length === 0 ? (
        <Empty>This course has no modules.</Empty>
      ) : (
        <DataTable
          label="Time spent by module"
          columns={[
            'Module',
            'Learners',
            'Done',
            'Total time',
            'Average time',
            'Average video position',
            'Stopped here',
          ]}
        >
          {rows.map((row) => (
            <tr key={row.moduleId}>
              <th scope="row">{row.title}</th>
              <td>{row.learners}</td>
              <td>{row.satisfied}</td>
              <td>{duration(row.totalSecondsSpent)}</td>
              <td>{duration(row.averageSecondsSpent)}</td>
              <td>{row.kind === 'VIDEO' ? duration(row.averagePositionSeconds) : '—'}</td>
              <td>{row.stoppedHere}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </Loaded>
  );
}
