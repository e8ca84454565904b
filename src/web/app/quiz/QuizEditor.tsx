import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CourseQuizDocument,
  SetCourseQuizDocument,
  type QuizFieldsFragment,
  type QuizReview,
} from '../../../generated/operations/graphql';
import { i18n, useTranslation } from '../i18n';
import { FormError, InputField, Loaded, Notice, SelectField, type Choice } from '../ui';
import { pathErrors } from './pathErrors';

const REVIEWS = ['NONE', 'SCORE', 'ANSWERS', 'ANSWERS_AFTER_PASS'] as const satisfies QuizReview[];
/** Read when shown, so a language switch applies. */
const reviewChoices = (): Choice<QuizReview>[] =>
  REVIEWS.map((value) => ({ value, name: i18n.t(`quizEditor.review.${value}`) }));
const FIELDS = [
  'tags',
  'questionCount',
  'passMark',
  'timeLimitMinutes',
  'maxAttempts',
  'cooldownMinutes',
  'shuffleChoices',
  'review',
];

/** A course's quiz (admins and safety officers): which bank questions it draws, how it passes, time and attempts. */
export function QuizEditor({ courseId, courseTitle }: { courseId: string; courseTitle: string }) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: CourseQuizDocument, variables: { id: courseId } });
  return (
    <section className="sub-panel quiz-editor" aria-labelledby="quiz-editor-title">
      <h3 id="quiz-editor-title">{t('quizEditor.title')}</h3>
      <Loaded result={result} what={t('takeQuiz.what')} retry={() => refetch({ requestPolicy: 'network-only' })}>
        {result.data && (
          <QuizForm courseId={courseId} courseTitle={courseTitle} quiz={result.data.trainingCourse?.quiz ?? null} />
        )}
      </Loaded>
    </section>
  );
}

function QuizForm({
  courseId,
  courseTitle,
  quiz,
}: {
  courseId: string;
  courseTitle: string;
  quiz: QuizFieldsFragment | null;
}) {
  const { t } = useTranslation();
  const [saving, setQuiz] = useMutation(SetCourseQuizDocument);
  const [notice, setNotice] = useState<string>();
  const [exists, setExists] = useState(quiz !== null);
  const [values, setValues] = useState({
    tags: quiz?.tags.join(', ') ?? '',
    questionCount: String(quiz?.questionCount ?? 10),
    passMark: String(quiz?.passMark ?? 80),
    timeLimitMinutes: quiz?.timeLimitMinutes?.toString() ?? '',
    maxAttempts: quiz?.maxAttempts?.toString() ?? '',
    cooldownMinutes: String(quiz?.cooldownMinutes ?? 0),
    review: quiz?.review ?? ('SCORE' as QuizReview),
  });
  const [shuffleChoices, setShuffleChoices] = useState(quiz?.shuffleChoices ?? true);
  const errors = pathErrors(saving.error, FIELDS, {
    tags: t('quizEditor.tags'),
    questionCount: t('quizEditor.questionCount'),
    passMark: t('quizEditor.passMark'),
    timeLimitMinutes: t('quizEditor.timeLimit'),
    maxAttempts: t('quizEditor.maxAttempts'),
    cooldownMinutes: t('quizEditor.cooldown'),
    shuffleChoices: t('quizEditor.shuffle'),
    review: t('quizEditor.show'),
  });
  const bind = (name: Exclude<keyof typeof values, 'review'>) => ({
    value: values[name],
    onChange: (value: string) => setValues((v) => ({ ...v, [name]: value })),
    error: errors.at(name),
  });
  const number = (value: string) => (value.trim() === '' ? null : Number(value));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(undefined);
    const result = await setQuiz({
      courseId,
      input: {
        tags: values.tags
          .split(',')
          .map((tag) => tag.trim())
          .filter(Boolean),
        questionCount: number(values.questionCount) ?? 0,
        passMark: number(values.passMark) ?? 0,
        timeLimitMinutes: number(values.timeLimitMinutes),
        maxAttempts: number(values.maxAttempts),
        cooldownMinutes: number(values.cooldownMinutes) ?? 0,
        shuffleChoices,
        review: values.review,
      },
    });
    if (result.error) return;
    setExists(true);
    setNotice(t('quizEditor.saved', { title: courseTitle }));
  };

  return (
    <form onSubmit={submit} noValidate aria-label={t('quizEditor.formLabel', { title: courseTitle })}>
      {!exists && <p className="hint">{t('quizEditor.noQuiz')}</p>}
      <div className="form-grid">
        <InputField label={t('quizEditor.tags')} autoComplete="off" {...bind('tags')} />
        <InputField
          label={t('quizEditor.questionCount')}
          type="number"
          inputMode="numeric"
          {...bind('questionCount')}
        />
        <InputField label={t('quizEditor.passMark')} type="number" inputMode="decimal" {...bind('passMark')} />
        <InputField label={t('quizEditor.timeLimit')} type="number" inputMode="numeric" {...bind('timeLimitMinutes')} />
        <InputField label={t('quizEditor.maxAttempts')} type="number" inputMode="numeric" {...bind('maxAttempts')} />
        <InputField label={t('quizEditor.cooldown')} type="number" inputMode="numeric" {...bind('cooldownMinutes')} />
        <SelectField
          label={t('quizEditor.show')}
          options={reviewChoices()}
          value={values.review}
          onChange={(review) => review && setValues((v) => ({ ...v, review }))}
          error={errors.at('review')}
        />
      </div>
      <div className="field checkbox">
        <input
          id={`quiz-shuffle-${courseId}`}
          type="checkbox"
          checked={shuffleChoices}
          onChange={(e) => setShuffleChoices(e.target.checked)}
        />
        <label htmlFor={`quiz-shuffle-${courseId}`}>{t('quizEditor.shuffle')}</label>
      </div>
      <FormError message={errors.form} />
      <Notice message={notice} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving.fetching}>
          {t('quizEditor.save')}
        </button>
      </div>
    </form>
  );
}
