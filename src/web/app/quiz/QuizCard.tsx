import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import {
  StartQuizAttemptDocument,
  WebMyQuizzesDocument,
  type WebMyQuizzesQuery,
} from '../../../generated/operations/graphql';
import { formatDate, formatNumber, i18n, useTranslation } from '../i18n';
import { ErrorMessage, percent } from '../ui';
import { attemptPath, goTo } from './navigation';

export type AssignmentQuiz = NonNullable<WebMyQuizzesQuery['myTrainingAssignments']['nodes'][number]['course']['quiz']>;

/**
 * The quizzes of the caller's assignments, by assignment id (only those whose course has a quiz). `listed` names
 * the assignments on screen: when it changes (one arrived live), the quizzes are read again. Attempts are not
 * listed here (a list of assignments with all their attempts is over the API's query cost): "Take quiz" asks
 * the server, which answers the attempt in progress when there is one.
 */
export function useMyQuizzes(listed: string): Map<string, AssignmentQuiz> {
  const [result, refetch] = useQuery({
    query: WebMyQuizzesDocument,
    variables: { first: 200 },
    context: useMemo(() => ({ additionalTypenames: ['Assignment'] }), []),
  });
  useEffect(() => {
    if (listed) refetch({ requestPolicy: 'network-only' });
  }, [listed, refetch]);
  return useMemo(() => {
    const quizzes = new Map<string, AssignmentQuiz>();
    for (const row of result.data?.myTrainingAssignments.nodes ?? []) {
      if (row.course.quiz) quizzes.set(row.id, row.course.quiz);
    }
    return quizzes;
  }, [result.data]);
}

const time = (date: Date) => formatDate(date, { hour: '2-digit', minute: '2-digit' });

/** TOO_MANY_ATTEMPTS in words: when the next attempt may start (`retryAfter` seconds), or that none is left. */
function refusal(error: CombinedError): string | undefined {
  const tooMany = error.graphQLErrors.find((e) => e.extensions?.code === 'TOO_MANY_ATTEMPTS');
  if (!tooMany) return undefined;
  const retryAfter = tooMany.extensions.retryAfter;
  if (typeof retryAfter !== 'number') return i18n.t('quiz.noAttemptLeft');
  const at = new Date(Date.now() + retryAfter * 1000);
  const wait =
    retryAfter < 90 ? `${formatNumber(retryAfter)} s` : i18n.t('ui.minutes', { value: Math.ceil(retryAfter / 60) });
  return i18n.t('quiz.notYet', { time: time(at), wait });
}

/** The quiz part of an assignment's card: what it takes, and "Take quiz" (a new attempt, or the one in progress). */
export function QuizPanel({
  assignmentId,
  quiz,
  canTake,
}: {
  assignmentId: string;
  quiz: AssignmentQuiz;
  canTake: boolean;
}) {
  const [starting, start] = useMutation(StartQuizAttemptDocument);
  const [refused, setRefused] = useState<string>();
  const { t } = useTranslation();

  const take = async () => {
    setRefused(undefined);
    const result = await start({ assignmentId });
    if (result.data) return goTo(attemptPath(result.data.startQuizAttempt.id));
    if (result.error) setRefused(refusal(result.error));
  };

  const facts = [
    t('quiz.questionCount', { n: quiz.questionCount }),
    t('quiz.passMark', { mark: percent(quiz.passMark) }),
    quiz.timeLimitMinutes ? t('ui.minutes', { value: quiz.timeLimitMinutes }) : t('quiz.noTimeLimit'),
    quiz.maxAttempts == null ? null : t('quiz.attempts', { n: quiz.maxAttempts }),
  ].filter(Boolean);

  return (
    <div className="quiz-panel">
      <p>
        <strong>{t('quiz.quiz')}</strong> {facts.join(' · ')}
      </p>
      {canTake && (
        <div className="actions">
          <button type="button" className="primary" disabled={starting.fetching} onClick={take}>
            {t('quiz.take')}
          </button>
        </div>
      )}
      {refused ? (
        <p role="alert" className="field-error">
          {refused}
        </p>
      ) : (
        starting.error && <ErrorMessage error={starting.error} />
      )}
    </div>
  );
}
