import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import {
  CreateQuestionDocument,
  UpdateQuestionDocument,
  type ChoiceInput,
  type QuestionFieldsFragment,
  type QuestionInput,
  type QuestionKind,
} from '../../../generated/operations/graphql';
import { i18n, useTranslation } from '../i18n';
import { choices as optionsOf, Field, FormError, InputField, SelectField } from '../ui';
import { pathErrors } from './pathErrors';
import { ChoiceRows, rowLabels, rowOf, type ChoiceRow } from './ChoiceRows';

export const KINDS: QuestionKind[] = [
  'SINGLE_CHOICE',
  'MULTIPLE_CHOICE',
  'TRUE_FALSE',
  'NUMERIC',
  'SHORT_ANSWER',
  'MATCHING',
  'ORDERING',
];
/** A question kind's name in the current language. */
export const kindName = (kind: QuestionKind) => i18n.t(`questionForm.kindName.${kind}`);
const WITH_ROWS: QuestionKind[] = ['SINGLE_CHOICE', 'MULTIPLE_CHOICE', 'MATCHING', 'ORDERING'];

const splitTags = (value: string) =>
  value
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
const optional = (value: string) => (value.trim() === '' ? null : value.trim());
const number = (value: string) => (value.trim() === '' ? null : Number(value.replace(',', '.')));

function initialRows(question: QuestionFieldsFragment | null): ChoiceRow[] {
  if (question && question.kind !== 'TRUE_FALSE' && question.choices.length) return question.choices.map(rowOf);
  return [rowOf({ text: '', credit: 100 }), rowOf({ text: '', credit: 0 })];
}

/** Creates a question of any kind, or edits one (choices keep their ids, so saved answers still point at them). */
export function QuestionForm({
  question,
  onSaved,
  onCancel,
}: {
  question: QuestionFieldsFragment | null;
  onSaved: (message: string) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [creating, create] = useMutation(CreateQuestionDocument);
  const [updating, update] = useMutation(UpdateQuestionDocument);
  const [kind, setKind] = useState<QuestionKind>(question?.kind ?? 'SINGLE_CHOICE');
  const [text, setText] = useState(question?.text ?? '');
  const [points, setPoints] = useState(String(question?.points ?? 1));
  const [tags, setTags] = useState(question?.tags.join(', ') ?? '');
  const [generalFeedback, setGeneralFeedback] = useState(question?.generalFeedback ?? '');
  const [rows, setRows] = useState(() => initialRows(question));
  const [trueIsRight, setTrueIsRight] = useState(
    question?.kind !== 'TRUE_FALSE' || question.choices.some((c) => c.text === 'True' && c.credit === 100),
  );
  const [numericAnswer, setNumericAnswer] = useState(question?.numericAnswer?.toString() ?? '');
  const [tolerance, setTolerance] = useState(question?.tolerance?.toString() ?? '');
  const [accepted, setAccepted] = useState(question?.acceptedAnswers.join('\n') ?? '');

  const active = question ? updating : creating;
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Edit opens the form below the list: take the person there.
  useEffect(() => {
    if (question) headingRef.current?.focus();
  }, [question]);
  const shown = [
    'kind',
    'text',
    'points',
    'tags',
    'generalFeedback',
    'numericAnswer',
    'tolerance',
    'acceptedAnswers',
    'choices',
    ...rows.flatMap((_, i) => ['text', 'credit', 'feedback', 'matchText'].map((f) => `choices[${i}].${f}`)),
  ];
  const errors = pathErrors(active.error, shown, {
    kind: t('questionForm.kind'),
    text: t('questionForm.question'),
    points: t('questionForm.points'),
    tags: t('questionForm.tags'),
    generalFeedback: t('questionForm.generalFeedback'),
    numericAnswer: t('questionForm.rightAnswer'),
    tolerance: t('questionForm.tolerance'),
    acceptedAnswers: t('questionForm.accepted'),
    ...rowLabels(kind, rows.length),
  });

  const choicesInput = (): ChoiceInput[] | null => {
    if (kind === 'TRUE_FALSE') {
      const idOf = (text: string) => question?.choices.find((c) => c.text === text)?.id ?? null;
      return [
        { id: idOf('True'), text: 'True', credit: trueIsRight ? 100 : 0 },
        { id: idOf('False'), text: 'False', credit: trueIsRight ? 0 : 100 },
      ];
    }
    if (!WITH_ROWS.includes(kind)) return null;
    return rows.map((row) => ({
      id: row.id ?? null,
      text: row.text,
      credit: kind === 'SINGLE_CHOICE' || kind === 'MULTIPLE_CHOICE' ? (number(row.credit) ?? 0) : 0,
      feedback: optional(row.feedback),
      matchText: kind === 'MATCHING' ? row.matchText : null,
    }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input: QuestionInput = {
      kind,
      text,
      points: number(points),
      tags: splitTags(tags),
      generalFeedback: optional(generalFeedback),
      choices: choicesInput(),
      numericAnswer: kind === 'NUMERIC' ? number(numericAnswer) : null,
      tolerance: kind === 'NUMERIC' ? number(tolerance) : null,
      acceptedAnswers:
        kind === 'SHORT_ANSWER'
          ? accepted
              .split('\n')
              .map((a) => a.trim())
              .filter(Boolean)
          : null,
    };
    const result = question ? await update({ id: question.id, input }) : await create({ input });
    if (!result.error) onSaved(question ? t('questionForm.saved') : t('questionForm.added'));
  };

  return (
    <form className="sub-panel question-form" onSubmit={submit} noValidate aria-labelledby="question-form-title">
      <h3 id="question-form-title" ref={headingRef} tabIndex={-1}>
        {question ? t('questionForm.editTitle') : t('questionForm.newTitle')}
      </h3>
      <div className="form-grid">
        <SelectField
          label={t('questionForm.kind')}
          options={optionsOf(KINDS, kindName)}
          value={kind}
          onChange={(value) => value && setKind(value)}
          error={errors.at('kind')}
        />
        <InputField
          label={t('questionForm.points')}
          type="number"
          inputMode="decimal"
          value={points}
          onChange={setPoints}
          error={errors.at('points')}
        />
        <InputField
          label={t('questionForm.tags')}
          value={tags}
          onChange={setTags}
          error={errors.at('tags')}
          autoComplete="off"
        />
      </div>
      <Field label={t('questionForm.question')} error={errors.at('text')}>
        {(p) => <textarea {...p} rows={3} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      {kind === 'TRUE_FALSE' && (
        <fieldset className="answer">
          <legend>{t('questionForm.statementIs')}</legend>
          {[true, false].map((value) => (
            <label key={String(value)} className="choice">
              <input
                type="radio"
                name="true-false"
                checked={trueIsRight === value}
                onChange={() => setTrueIsRight(value)}
              />
              <span>{value ? t('questionForm.true') : t('questionForm.false')}</span>
            </label>
          ))}
          <FormError message={errors.at('choices')} />
        </fieldset>
      )}
      {kind === 'NUMERIC' && (
        <div className="form-grid">
          <InputField
            label={t('questionForm.rightAnswer')}
            inputMode="decimal"
            value={numericAnswer}
            onChange={setNumericAnswer}
            error={errors.at('numericAnswer')}
          />
          <InputField
            label={t('questionForm.tolerance')}
            inputMode="decimal"
            value={tolerance}
            onChange={setTolerance}
            error={errors.at('tolerance')}
          />
        </div>
      )}
      {kind === 'SHORT_ANSWER' && (
        <Field
          label={t('questionForm.accepted')}
          error={errors.at('acceptedAnswers')}
          hint={t('questionForm.acceptedHint')}
        >
          {(p) => <textarea {...p} rows={3} value={accepted} onChange={(e) => setAccepted(e.target.value)} />}
        </Field>
      )}
      {WITH_ROWS.includes(kind) && <ChoiceRows kind={kind} rows={rows} onChange={setRows} errors={errors} />}
      <Field
        label={t('questionForm.generalFeedback')}
        error={errors.at('generalFeedback')}
        hint={t('questionForm.generalFeedbackHint')}
      >
        {(p) => (
          <textarea {...p} rows={2} value={generalFeedback} onChange={(e) => setGeneralFeedback(e.target.value)} />
        )}
      </Field>
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={active.fetching}>
          {question ? t('questionForm.save') : t('questionForm.add')}
        </button>
        {question && (
          <button type="button" onClick={onCancel}>
            {t('questionForm.stopEditing')}
          </button>
        )}
      </div>
    </form>
  );
}
