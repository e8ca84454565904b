import { useId, useState } from 'react';
import type { AnswerInput, QuizAttemptFieldsFragment } from '../../../generated/operations/graphql';
import { useTranslation } from '../i18n';

export type AttemptQuestion = QuizAttemptFieldsFragment['questions'][number];

/** What the person gave: the answer, and whether they are still typing it (saved when they pause). */
export type Answered = (answer: AnswerInput, typing?: boolean) => void;

interface InputProps {
  question: AttemptQuestion;
  answer: AnswerInput | undefined;
  onAnswer: Answered;
  /** The question's heading, naming the group of controls. */
  labelledBy: string;
  onBlur: () => void;
}

/** The saved answer as the input it was sent as (the API sets only the field of the question's kind). */
export function answerOf(saved: AttemptQuestion['savedAnswer']): AnswerInput | undefined {
  if (!saved) return undefined;
  const answer: AnswerInput = {};
  if (saved.choiceIds) answer.choiceIds = saved.choiceIds;
  if (saved.number != null) answer.number = saved.number;
  if (saved.text != null) answer.text = saved.text;
  if (saved.matches) answer.matches = saved.matches.map(({ itemId, choiceId }) => ({ itemId, choiceId }));
  if (saved.order) answer.order = saved.order;
  return answer;
}

/** Whether the answer says anything (an empty text or no choice counts as not answered). */
export function isAnswered(answer: AnswerInput | undefined): boolean {
  if (!answer) return false;
  return Boolean(
    answer.choiceIds?.length ||
    answer.number != null ||
    answer.text?.trim() ||
    answer.matches?.length ||
    answer.order?.length,
  );
}

/** The control for the question's kind. */
export function AnswerField(props: InputProps) {
  switch (props.question.kind) {
    case 'SINGLE_CHOICE':
    case 'TRUE_FALSE':
    case 'MULTIPLE_CHOICE':
      return <ChoiceAnswer {...props} />;
    case 'NUMERIC':
      return <NumberAnswer {...props} />;
    case 'SHORT_ANSWER':
      return <TextAnswer {...props} />;
    case 'MATCHING':
      return <MatchingAnswer {...props} />;
    case 'ORDERING':
      return <OrderingAnswer {...props} />;
  }
}

function ChoiceAnswer({ question, answer, onAnswer, labelledBy }: InputProps) {
  const { t } = useTranslation();
  const multiple = question.kind === 'MULTIPLE_CHOICE';
  const picked = new Set(answer?.choiceIds ?? []);
  const toggle = (id: string, checked: boolean) => {
    if (!multiple) return onAnswer({ choiceIds: [id] });
    const next = question.choices.map((c) => c.id).filter((c) => (c === id ? checked : picked.has(c)));
    onAnswer({ choiceIds: next });
  };
  return (
    <fieldset className="answer choices" aria-labelledby={labelledBy}>
      {multiple && <p className="hint">{t('answer.pickEvery')}</p>}
      {question.choices.map((choice) => (
        <label key={choice.id} className="choice">
          <input
            type={multiple ? 'checkbox' : 'radio'}
            name={question.id}
            checked={picked.has(choice.id)}
            onChange={(e) => toggle(choice.id, e.target.checked)}
          />
          <span>{choice.text}</span>
        </label>
      ))}
    </fieldset>
  );
}

function NumberAnswer({ answer, onAnswer, onBlur }: InputProps) {
  const { t } = useTranslation();
  const id = useId();
  const [value, setValue] = useState(answer?.number == null ? '' : String(answer.number));
  const number = Number(value.trim().replace(',', '.'));
  const invalid = value.trim() !== '' && !Number.isFinite(number);
  return (
    <div className={invalid ? 'field invalid answer' : 'field answer'}>
      <label htmlFor={id}>{t('answer.number')}</label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        value={value}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${id}-error` : undefined}
        onChange={(e) => {
          setValue(e.target.value);
          const next = Number(e.target.value.trim().replace(',', '.'));
          if (e.target.value.trim() !== '' && Number.isFinite(next)) onAnswer({ number: next }, true);
        }}
        onBlur={onBlur}
      />
      {invalid && (
        <span id={`${id}-error`} className="field-error">
          {t('answer.notANumber')}
        </span>
      )}
    </div>
  );
}

function TextAnswer({ answer, onAnswer, onBlur }: InputProps) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="field answer">
      <label htmlFor={id}>{t('quizResult.yourAnswer')}</label>
      <input
        id={id}
        type="text"
        autoComplete="off"
        maxLength={1000}
        value={answer?.text ?? ''}
        onChange={(e) => onAnswer({ text: e.target.value }, true)}
        onBlur={onBlur}
      />
    </div>
  );
}

function MatchingAnswer({ question, answer, onAnswer, labelledBy }: InputProps) {
  const { t } = useTranslation();
  const id = useId();
  const matches = answer?.matches ?? [];
  const partnerOf = (itemId: string) => matches.find((m) => m.itemId === itemId)?.choiceId ?? '';
  const pick = (itemId: string, choiceId: string) => {
    const others = matches.filter((m) => m.itemId !== itemId);
    onAnswer({ matches: choiceId ? [...others, { itemId, choiceId }] : others });
  };
  return (
    <fieldset className="answer matching" aria-labelledby={labelledBy}>
      {(question.items ?? []).map((item, index) => (
        <div className="field" key={item.id}>
          <label htmlFor={`${id}-${index}`}>{item.text}</label>
          <select id={`${id}-${index}`} value={partnerOf(item.id)} onChange={(e) => pick(item.id, e.target.value)}>
            <option value="">{t('answer.chooseMatch')}</option>
            {question.choices.map((choice) => (
              <option key={choice.id} value={choice.id}>
                {choice.text}
              </option>
            ))}
          </select>
        </div>
      ))}
    </fieldset>
  );
}

function OrderingAnswer({ question, answer, onAnswer, labelledBy }: InputProps) {
  const { t } = useTranslation();
  const byId = new Map(question.choices.map((choice) => [choice.id, choice.text]));
  const order = answer?.order?.length ? answer.order : question.choices.map((choice) => choice.id);
  const move = (index: number, by: -1 | 1) => {
    const next = [...order];
    [next[index], next[index + by]] = [next[index + by]!, next[index]!];
    onAnswer({ order: next });
  };
  return (
    <div className="answer ordering" role="group" aria-labelledby={labelledBy}>
      <p className="hint">{t('answer.putInOrder')}</p>
      <ol className="steps">
        {order.map((choiceId, index) => (
          <li key={choiceId}>
            <span className="step">
              <span className="step-number">{index + 1}.</span> {byId.get(choiceId)}
            </span>
            <span className="move">
              <button
                type="button"
                disabled={index === 0}
                aria-label={t('answer.moveUp', { text: byId.get(choiceId) })}
                onClick={() => move(index, -1)}
              >
                {t('answer.up')}
              </button>
              <button
                type="button"
                disabled={index === order.length - 1}
                aria-label={t('answer.moveDown', { text: byId.get(choiceId) })}
                onClick={() => move(index, 1)}
              >
                {t('answer.down')}
              </button>
            </span>
          </li>
        ))}
      </ol>
      {!answer?.order?.length && (
        <button type="button" onClick={() => onAnswer({ order })}>
          {t('answer.keepOrder')}
        </button>
      )}
    </div>
  );
}
