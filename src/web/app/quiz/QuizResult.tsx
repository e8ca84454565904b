import type { QuizAnswerFieldsFragment, WebQuizAttemptQuery } from '../../../generated/operations/graphql';
import { formatNumber, i18n, useTranslation } from '../i18n';
import { formatDate } from '../ui';
import type { AttemptQuestion } from './AnswerInputs';

type Attempt = NonNullable<WebQuizAttemptQuery['quizAttempt']>;
type QuestionReview = NonNullable<NonNullable<Attempt['review']>['questions']>[number];

const score = (value: number) =>
  formatNumber(value / 100, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: 1 });

/** A closed attempt: its score, whether it passed, and as much of the review as the quiz's policy shows. */
export function QuizResult({ attempt }: { attempt: Attempt }) {
  const { t } = useTranslation();
  const quiz = attempt.assignment.course.quiz;
  // Closed by its deadline: stored with the deadline as its time, or read past the deadline before that.
  const byDeadline =
    attempt.deadline != null &&
    (attempt.submittedAt == null || new Date(attempt.submittedAt) >= new Date(attempt.deadline));
  const result = attempt.review ?? (attempt.score != null ? { score: attempt.score, passed: !!attempt.passed } : null);
  const reviews = new Map((attempt.review?.questions ?? []).map((review) => [review.questionId, review]));

  return (
    <section className="panel quiz-result" aria-labelledby="quiz-result">
      <h2 id="quiz-result">{t('quizResult.title')}</h2>
      {byDeadline && (
        <p className="notice" role="status">
          {t('quizResult.timeRanOut')}
        </p>
      )}
      {result ? (
        <div className="tiles">
          <div className="tile" role="group" aria-labelledby="result-score">
            <span id="result-score" className="tile-label">
              {t('quizResult.score')}
            </span>
            <span className="tile-value">{score(result.score)}</span>
          </div>
          <div className="tile" role="group" aria-labelledby="result-passed">
            <span id="result-passed" className="tile-label">
              {t('result.result')}
            </span>
            <span className={result.passed ? 'tile-value passed' : 'tile-value failed'}>
              {result.passed ? t('result.passed') : t('result.notPassed')}
            </span>
          </div>
        </div>
      ) : (
        <p>{t('quizResult.noResults')}</p>
      )}
      <p className="hint">
        {t('quizResult.attempt', { n: formatNumber(attempt.number) })}
        {attempt.submittedAt ? t('quizResult.submitted', { date: formatDate(attempt.submittedAt) }) : ''}
        {quiz ? ` · ${t('quiz.passMark', { mark: score(quiz.passMark) })}` : ''}
      </p>
      {attempt.review?.questions ? (
        <ol className="review">
          {attempt.questions.map((question) => (
            <ReviewedQuestion key={question.id} question={question} review={reviews.get(question.id)} />
          ))}
        </ol>
      ) : (
        quiz?.review === 'ANSWERS_AFTER_PASS' && <p>{t('quizResult.afterPass')}</p>
      )}
    </section>
  );
}

/** An answer in words: the texts of the choices it names. */
function answerText(question: AttemptQuestion, answer: QuizAnswerFieldsFragment | null | undefined): string[] {
  if (!answer) return [];
  const text = new Map([...question.choices, ...(question.items ?? [])].map((c) => [c.id, c.text]));
  if (answer.choiceIds) return question.choices.filter((c) => answer.choiceIds!.includes(c.id)).map((c) => c.text);
  if (answer.number != null) return [formatNumber(answer.number)];
  if (answer.text != null) return [answer.text];
  if (answer.order) return answer.order.map((id, i) => `${i + 1}. ${text.get(id) ?? '?'}`);
  if (answer.matches) {
    return (question.items ?? []).map((item) => {
      const match = answer.matches!.find((m) => m.itemId === item.id);
      return `${item.text} → ${match ? (text.get(match.choiceId) ?? '?') : '—'}`;
    });
  }
  return [];
}

function ReviewedQuestion({ question, review }: { question: AttemptQuestion; review: QuestionReview | undefined }) {
  const { t } = useTranslation();
  const given = answerText(question, question.savedAnswer);
  const right = review ? answerText(question, review.correctAnswer) : [];
  const tolerance = review?.tolerance ? ` (± ${formatNumber(review.tolerance)})` : '';
  // The class names stay English for the stylesheet; the words shown are translated.
  const verdict = !review ? '' : review.credit >= 100 ? 'right' : review.credit > 0 ? 'partly-right' : 'wrong';
  return (
    <li className={`reviewed ${verdict}`}>
      <p className="reviewed-text">{question.text}</p>
      {review && (
        <p className="hint">
          {t(`quizResult.verdict.${verdict as 'right' | 'partly-right' | 'wrong'}`)}:{' '}
          {i18n.t(question.points === 1 ? 'quizResult.ofPoint' : 'quizResult.ofPoints', {
            credit: score(review.credit),
            n: formatNumber(question.points),
          })}
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>{t('quizResult.yourAnswer')}</dt>
          <dd>{given.length ? given.map((line, i) => <div key={i}>{line}</div>) : t('quizResult.notAnswered')}</dd>
        </div>
        {review && (
          <div>
            <dt>{t('quizResult.rightAnswer')}</dt>
            <dd>
              {right.map((line, i) => (
                <div key={i}>
                  {line}
                  {question.kind === 'NUMERIC' ? tolerance : ''}
                </div>
              ))}
              {review.acceptedAnswers.length > 1 && (
                <div>{t('quizResult.alsoAccepted', { answers: review.acceptedAnswers.slice(1).join(', ') })}</div>
              )}
            </dd>
          </div>
        )}
      </dl>
      {review && review.feedback.length > 0 && (
        <ul className="feedback">
          {review.feedback.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
    </li>
  );
}
