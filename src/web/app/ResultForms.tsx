import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import {
  CompleteTrainingAssignmentDocument,
  WebRecordPracticalEvaluationDocument,
} from '../../generated/operations/graphql';
import { useTranslation } from './i18n';
import { Field, FormError, InputField } from './ui';
import { formErrors } from './form-errors';

/**
 * The two forms that record a result: the assignee's self-report ("Complete", only for courses without
 * requirements) and an officer's practical evaluation ("Record evaluation"). Neither assumes a pass: the result
 * is chosen, and the self-reported score is required.
 */

type Result = 'passed' | 'failed' | '';

/** Passed or not, as two radio buttons with nothing chosen at first; `error` beside them. */
function ResultChoice({
  value,
  onChange,
  error,
}: {
  value: Result;
  onChange: (value: Result) => void;
  error?: string;
}) {
  const id = useId();
  const { t } = useTranslation();
  return (
    <fieldset
      className={error ? 'field result invalid' : 'field result'}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend>{t('result.result')}</legend>
      {(
        [
          ['passed', t('result.passed')],
          ['failed', t('result.notPassed')],
        ] as const
      ).map(([choice, label]) => (
        <div className="field checkbox" key={choice}>
          <input
            id={`${id}-${choice}`}
            type="radio"
            name={`${id}-result`}
            checked={value === choice}
            onChange={() => onChange(choice)}
          />
          <label htmlFor={`${id}-${choice}`}>{label}</label>
        </div>
      ))}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </fieldset>
  );
}

const number = (value: string) => (value.trim() === '' ? null : Number(value));

interface FormProps {
  assignmentId: string;
  onDone: (passed: boolean) => void;
  onCancel: () => void;
}

/** The assignee's own result: score (required), passed or not, minutes spent. */
export function CompleteForm({ assignmentId, onDone, onCancel }: FormProps) {
  const [completeMutation, complete] = useMutation(CompleteTrainingAssignmentDocument);
  const [score, setScore] = useState('');
  const [result, setResult] = useState<Result>('');
  const [time, setTime] = useState('');
  const [missing, setMissing] = useState<{ score?: string; passed?: string }>({});
  const { t } = useTranslation();
  const errors = formErrors(completeMutation.error, ['score', 'passed', 'completionTimeMinutes'], {
    completionTimeMinutes: t('result.minutes'),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const absent = {
      score: score.trim() === '' ? t('result.enterScore') : undefined,
      passed: result === '' ? t('result.choosePassed') : undefined,
    };
    setMissing(absent);
    if (absent.score || absent.passed) return;
    const passed = result === 'passed';
    const response = await complete({
      input: { assignmentId, score: number(score), passed, completionTimeMinutes: number(time) },
    });
    if (!response.error) onDone(passed);
  };

  return (
    <form className="complete-form" onSubmit={submit} noValidate aria-label={t('result.completeForm')}>
      {/* The form replaces the button that opened it, so keyboard focus moves into it. */}
      <InputField
        label={t('result.score')}
        error={missing.score ?? errors.fields.score}
        autoFocus
        required
        type="number"
        inputMode="decimal"
        value={score}
        onChange={setScore}
      />
      <ResultChoice value={result} onChange={setResult} error={missing.passed ?? errors.fields.passed} />
      <InputField
        label={t('result.minutes')}
        error={errors.fields.completionTimeMinutes}
        type="number"
        inputMode="numeric"
        value={time}
        onChange={setTime}
      />
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={completeMutation.fetching}>
          {t('result.complete')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('result.cancel')}
        </button>
      </div>
    </form>
  );
}

/** An officer's practical evaluation of someone's assignment: passed or not, a score and notes. */
export function EvaluationForm({ assignmentId, onDone, onCancel }: FormProps) {
  const [recording, record] = useMutation(WebRecordPracticalEvaluationDocument);
  const [result, setResult] = useState<Result>('');
  const [score, setScore] = useState('');
  const [notes, setNotes] = useState('');
  const [missing, setMissing] = useState<string>();
  const { t } = useTranslation();
  const errors = formErrors(recording.error, ['passed', 'score', 'notes']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMissing(result === '' ? t('result.chooseEvaluation') : undefined);
    if (result === '') return;
    const passed = result === 'passed';
    const response = await record({
      input: { assignmentId, passed, score: number(score), notes: notes.trim() || null },
    });
    if (!response.error) onDone(passed);
  };

  return (
    <form className="complete-form" onSubmit={submit} noValidate aria-label={t('result.evaluationForm')}>
      <ResultChoice value={result} onChange={setResult} error={missing ?? errors.fields.passed} />
      <InputField
        label={t('result.evaluationScore')}
        error={errors.fields.score}
        type="number"
        inputMode="decimal"
        value={score}
        onChange={setScore}
      />
      <Field label={t('result.notes')} error={errors.fields.notes}>
        {(p) => <textarea {...p} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />}
      </Field>
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={recording.fetching}>
          {t('result.recordEvaluation')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('result.cancel')}
        </button>
      </div>
    </form>
  );
}
