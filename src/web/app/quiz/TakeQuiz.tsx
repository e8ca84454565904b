import { useCallback, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  SubmitQuizAttemptDocument,
  WebQuizAttemptDocument,
  type AnswerInput,
  type WebQuizAttemptQuery,
} from '../../../generated/operations/graphql';
import { formatNumber, i18n, useTranslation } from '../i18n';
import { ErrorMessage, Loaded } from '../ui';
import { AnswerField, answerOf, isAnswered, type AttemptQuestion } from './AnswerInputs';
import { Countdown } from './Countdown';
import { QuizResult } from './QuizResult';
import { goTo } from './navigation';
import { useAnswerSaver, type SaveStatus } from './saving';
import './quiz.css';

type Attempt = NonNullable<WebQuizAttemptQuery['quizAttempt']>;

/** How long typing pauses before the answer is saved. */
const TYPING_PAUSE_MS = 500;
/** While the server still calls an attempt open after this clock's deadline, ask again this often. */
const AFTER_DEADLINE_POLL_MS = 2_000;
/** How long Submit waits for answers still being saved before it says which are not. */
const SUBMIT_WAIT_MS = 10_000;

/** One attempt at a course's quiz: read back from the server, so a reload resumes it with its saved answers. */
export function TakeQuiz({ attemptId }: { attemptId: string }) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({
    query: WebQuizAttemptDocument,
    variables: { id: attemptId },
    requestPolicy: 'network-only',
  });
  const [timeUp, setTimeUp] = useState(false);
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  const attempt = result.data?.quizAttempt;
  const open = attempt?.status === 'IN_PROGRESS';

  useEffect(() => {
    if (!timeUp || !open) return;
    const timer = setInterval(reload, AFTER_DEADLINE_POLL_MS);
    return () => clearInterval(timer);
  }, [timeUp, open, reload]);

  return (
    <div className="page quiz-page">
      <Loaded result={result} what={t('takeQuiz.what')} retry={reload}>
        {result.data && !attempt && <ErrorMessage error={t('takeQuiz.noSuchAttempt')} />}
        {attempt && (
          <>
            <h1>{t('takeQuiz.title', { title: attempt.assignment.course.title })}</h1>
            {open ? (
              <AttemptForm
                key={attempt.id}
                attempt={attempt}
                timeUp={timeUp}
                onTimeUp={() => setTimeUp(true)}
                onSubmitted={reload}
              />
            ) : (
              <QuizResult attempt={attempt} />
            )}
          </>
        )}
      </Loaded>
      <p>
        <a
          href="/"
          onClick={(event) => {
            event.preventDefault();
            goTo('/');
          }}
        >
          {t('takeQuiz.back')}
        </a>
      </p>
    </div>
  );
}

function SaveMark({ status, answered }: { status: SaveStatus | undefined; answered: boolean }) {
  const text =
    status?.state === 'saved'
      ? i18n.t('quizSave.saved')
      : status?.state === 'queued'
        ? i18n.t('quizSave.queued')
        : status?.state === 'failed'
          ? status.message
          : status?.state === 'retrying'
            ? i18n.t('quizSave.retrying')
            : status?.state === 'saving' || status?.state === 'unsaved'
              ? i18n.t('quizSave.saving')
              : answered
                ? ''
                : i18n.t('quizSave.notAnswered');
  return (
    <p className={`save-mark ${status?.state ?? 'none'}`} role="status">
      {text}
    </p>
  );
}

function AttemptForm({
  attempt,
  timeUp,
  onTimeUp,
  onSubmitted,
}: {
  attempt: Attempt;
  timeUp: boolean;
  onTimeUp: () => void;
  onSubmitted: () => void;
}) {
  const { t } = useTranslation();
  const questions = attempt.questions;
  const [answers, setAnswers] = useState<Record<string, AnswerInput | undefined>>(() =>
    Object.fromEntries(questions.map((q) => [q.id, answerOf(q.savedAnswer)])),
  );
  const saver = useAnswerSaver(
    attempt.id,
    questions.filter((q) => q.savedAnswer).map((q) => q.id),
    onTimeUp,
  );
  const [index, setIndex] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const [submitting, submit] = useMutation(SubmitQuizAttemptDocument);
  const typingTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const answersRef = useRef(answers);
  answersRef.current = answers;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const { save } = saver;

  const flush = useCallback(
    (questionId: string) => {
      const timer = typingTimers.current.get(questionId);
      if (timer === undefined) return;
      clearTimeout(timer);
      typingTimers.current.delete(questionId);
      const answer = answersRef.current[questionId];
      if (answer) save(questionId, answer);
    },
    [save],
  );
  const flushAll = () => [...typingTimers.current.keys()].forEach(flush);
  useEffect(() => () => typingTimers.current.forEach((timer) => clearTimeout(timer)), []);

  const answer =
    (question: AttemptQuestion) =>
    (given: AnswerInput, typing = false) => {
      setAnswers((previous) => ({ ...previous, [question.id]: given }));
      answersRef.current = { ...answersRef.current, [question.id]: given };
      if (!typing) {
        typingTimers.current.delete(question.id);
        return saver.save(question.id, given);
      }
      saver.touch(question.id);
      clearTimeout(typingTimers.current.get(question.id));
      typingTimers.current.set(
        question.id,
        setTimeout(() => flush(question.id), TYPING_PAUSE_MS),
      );
    };

  // Unsaved answers are lost with the page: say so before it closes.
  const pending = Object.values(saver.statuses).some((s) => !['saved', 'queued', 'failed'].includes(s.state));
  useEffect(() => {
    if (!pending) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [pending]);

  const goToQuestion = (next: number) => {
    flushAll();
    setIndex(next);
    setConfirming(false);
    headingRef.current?.focus();
  };

  const confirmSubmit = async () => {
    flushAll();
    setWaiting(true);
    await Promise.race([saver.settled(), new Promise((resolve) => setTimeout(resolve, SUBMIT_WAIT_MS))]);
    setWaiting(false);
    const result = await submit({ attemptId: attempt.id });
    if (!result.error) onSubmitted();
    else if (result.error.graphQLErrors.some((e) => e.extensions?.code === 'ATTEMPT_CLOSED')) onTimeUp();
  };

  const question = questions[index]!;
  const headingId = `question-${question.id}`;
  const answeredCount = questions.filter((q) => isAnswered(answers[q.id])).length;
  const unsaved = questions.filter((q) => {
    const state = saver.statuses[q.id]?.state;
    return state !== undefined && state !== 'saved' && state !== 'queued';
  }).length;

  return (
    <div className="attempt">
      <div className="attempt-bar">
        <span>{t('takeQuiz.questionOf', { n: index + 1, of: questions.length })}</span>
        {attempt.deadline && <Countdown deadline={attempt.deadline} onExpired={onTimeUp} />}
      </div>
      {timeUp && (
        <p className="notice" role="alert">
          {t('takeQuiz.timeUp')}
        </p>
      )}
      <nav className="question-nav" aria-label={t('takeQuiz.questions')}>
        {questions.map((q, i) => (
          <button
            key={q.id}
            type="button"
            aria-current={i === index ? 'step' : undefined}
            className={isAnswered(answers[q.id]) ? 'answered' : undefined}
            aria-label={t(isAnswered(answers[q.id]) ? 'takeQuiz.questionAnswered' : 'takeQuiz.question', { n: i + 1 })}
            onClick={() => goToQuestion(i)}
          >
            {i + 1}
          </button>
        ))}
      </nav>
      <section className="question panel" aria-labelledby={headingId}>
        <h2 id={headingId} ref={headingRef} tabIndex={-1}>
          {question.text}
        </h2>
        <p className="points">{t('takeQuiz.points', { n: formatNumber(question.points) })}</p>
        <AnswerField
          key={question.id}
          question={question}
          answer={answers[question.id]}
          onAnswer={answer(question)}
          labelledBy={headingId}
          onBlur={() => flush(question.id)}
        />
        <SaveMark status={saver.statuses[question.id]} answered={isAnswered(answers[question.id])} />
      </section>
      <div className="actions quiz-actions">
        <button type="button" disabled={index === 0} onClick={() => goToQuestion(index - 1)}>
          {t('takeQuiz.previous')}
        </button>
        <button type="button" disabled={index === questions.length - 1} onClick={() => goToQuestion(index + 1)}>
          {t('takeQuiz.next')}
        </button>
        <button type="button" className="primary" disabled={timeUp} onClick={() => setConfirming(true)}>
          {t('takeQuiz.submit')}
        </button>
      </div>
      {confirming && (
        <div className="confirm panel" role="group" aria-labelledby="confirm-submit">
          <p id="confirm-submit">
            {t('takeQuiz.confirm', { n: answeredCount, of: questions.length })}{' '}
            {unsaved > 0 && t('takeQuiz.unsaved', { n: unsaved })} {t('takeQuiz.final')}
          </p>
          {submitting.error && <ErrorMessage error={submitting.error} />}
          <div className="actions">
            <button
              type="button"
              className="primary"
              autoFocus
              disabled={waiting || submitting.fetching || timeUp}
              onClick={confirmSubmit}
            >
              {waiting ? t('takeQuiz.savingLast') : t('takeQuiz.yesSubmit')}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              {t('takeQuiz.keepAnswering')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
