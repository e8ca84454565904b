import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { QuestionStatsDocument, WebQuizCoursesDocument } from '../../../generated/operations/graphql';
import { DataTable, Empty, Loaded, percent, Section, SelectField } from '../ui';

/** Below this a question tells stronger and weaker attempts apart poorly: worth a second look. */
const LOW_DISCRIMINATION = 0.2;

/** Item analysis of a course's quiz: per question, how often it was answered and right, and how it discriminates. */
export function QuestionStats() {
  const [courses] = useQuery({ query: WebQuizCoursesDocument, variables: { first: 500 } });
  const withQuiz = useMemo(
    () => (courses.data?.trainingCourses.nodes ?? []).filter((course) => course.quiz),
    [courses.data],
  );
  const [chosen, setChosen] = useState('');
  const courseId = chosen || withQuiz[0]?.id || '';

  return (
    <Section title="Question statistics">
      <Loaded result={courses} what="courses with a quiz">
        {withQuiz.length === 0 ? (
          <Empty>No course has a quiz yet.</Empty>
        ) : (
          <>
            <SelectField
              label="Quiz of course"
              value={courseId}
              onChange={setChosen}
              options={withQuiz.map((course) => ({ value: course.id, name: course.title }))}
            />
            <p className="hint">
              Correct rate: the share of the points earned by the submitted attempts that drew the question.
              Discrimination: how well the question tells stronger attempts from weaker ones (−1 to 1); below{' '}
              {LOW_DISCRIMINATION} is worth a second look.
            </p>
            {courseId && <StatsTable courseId={courseId} />}
          </>
        )}
      </Loaded>
    </Section>
  );
}

function StatsTable({ courseId }: { courseId: string }) {
  const [stats, refetch] = useQuery({ query: QuestionStatsDocument, variables: { courseId } });
  const rows = stats.data?.trainingAnalytics.byCourse[0]?.questionStats ?? [];
  return (
    <Loaded result={stats} what="question statistics" retry={() => refetch({ requestPolicy: 'network-only' })}>
      {rows.length === 0 ? (
        <Empty>No submitted attempt yet.</Empty>
      ) : (
        <DataTable label="Statistics by question" columns={['Question', 'Answered', 'Correct rate', 'Discrimination']}>
          {rows.map((row) => (
            <tr key={row.question.id}>
              <th scope="row" className="stats-question">
                {row.question.text}
              </th>
              <td>{row.answered}</td>
              <td>{percent(Math.round(row.correctRate * 1000) / 10)}</td>
              <td>
                {row.discrimination == null ? '—' : row.discrimination.toFixed(2)}
                {row.discrimination != null && row.discrimination < LOW_DISCRIMINATION && ' (low)'}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Loaded>
  );
}
