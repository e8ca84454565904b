import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { QuestionStatsDocument, WebQuizCoursesDocument } from '../../../generated/operations/graphql';
import { formatNumber, useTranslation } from '../i18n';
import { DataTable, Empty, Loaded, percent, Section, SelectField } from '../ui';

/** Below this a question tells stronger and weaker attempts apart poorly: worth a second look. */
const LOW_DISCRIMINATION = 0.2;

/** Item analysis of a course's quiz: per question, how often it was answered and right, and how it discriminates. */
export function QuestionStats() {
  const { t } = useTranslation();
  const [courses] = useQuery({ query: WebQuizCoursesDocument, variables: { first: 500 } });
  const withQuiz = useMemo(
    () => (courses.data?.trainingCourses.nodes ?? []).filter((course) => course.quiz),
    [courses.data],
  );
  const [chosen, setChosen] = useState('');
  const courseId = chosen || withQuiz[0]?.id || '';

  return (
    <Section title={t('questionStats.title')}>
      <Loaded result={courses} what={t('questionStats.coursesWhat')}>
        {withQuiz.length === 0 ? (
          <Empty>{t('questionStats.noQuiz')}</Empty>
        ) : (
          <>
            <SelectField
              label={t('questionStats.course')}
              value={courseId}
              onChange={setChosen}
              options={withQuiz.map((course) => ({ value: course.id, name: course.title }))}
            />
            <p className="hint">{t('questionStats.hint', { low: formatNumber(LOW_DISCRIMINATION) })}</p>
            {courseId && <StatsTable courseId={courseId} />}
          </>
        )}
      </Loaded>
    </Section>
  );
}

function StatsTable({ courseId }: { courseId: string }) {
  const { t } = useTranslation();
  const [stats, refetch] = useQuery({ query: QuestionStatsDocument, variables: { courseId } });
  const rows = stats.data?.trainingAnalytics.byCourse[0]?.questionStats ?? [];
  return (
    <Loaded result={stats} what={t('questionStats.what')} retry={() => refetch({ requestPolicy: 'network-only' })}>
      {rows.length === 0 ? (
        <Empty>{t('questionStats.none')}</Empty>
      ) : (
        <DataTable
          label={t('questionStats.table')}
          columns={[
            t('questionStats.question'),
            t('questionStats.answered'),
            t('questionStats.correctRate'),
            t('questionStats.discrimination'),
          ]}
        >
          {rows.map((row) => (
            <tr key={row.question.id}>
              <th scope="row" className="stats-question">
                {row.question.text}
              </th>
              <td>{formatNumber(row.answered)}</td>
              <td>{percent(Math.round(row.correctRate * 1000) / 10)}</td>
              <td>
                {row.discrimination == null
                  ? '—'
                  : formatNumber(row.discrimination, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}
                {row.discrimination != null && row.discrimination < LOW_DISCRIMINATION && ` ${t('questionStats.low')}`}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Loaded>
  );
}
