import type { QuestionKind } from '../../../generated/operations/graphql';
import { i18n, useTranslation } from '../i18n';
import { FormError, InputField } from '../ui';
import type { PathErrors } from './pathErrors';

/** A choice as the form edits it; `id` keeps an existing choice (saved answers still point at it). */
export interface ChoiceRow {
  key: number;
  id?: string;
  text: string;
  credit: string;
  feedback: string;
  matchText: string;
}

let nextKey = 0;
export function rowOf(choice: {
  id?: string;
  text: string;
  credit: number;
  feedback?: string | null;
  matchText?: string | null;
}): ChoiceRow {
  return {
    key: nextKey++,
    id: choice.id,
    text: choice.text,
    credit: String(choice.credit),
    feedback: choice.feedback ?? '',
    matchText: choice.matchText ?? '',
  };
}

const HINTED = ['SINGLE_CHOICE', 'MULTIPLE_CHOICE', 'MATCHING', 'ORDERING'] as const;
const hint = (kind: QuestionKind) =>
  (HINTED as readonly string[]).includes(kind) ? i18n.t(`choiceRows.hint.${kind as (typeof HINTED)[number]}`) : '';

/** What one row of the kind is called: a pair's item, a step, a choice. */
export const rowNoun = (kind: QuestionKind) => (kind === 'MATCHING' ? 'item' : kind === 'ORDERING' ? 'step' : 'choice');

/** The form's label of each field of the rows, by its path in the API's errors (`choices[1].text`). */
export function rowLabels(kind: QuestionKind, count: number): Record<string, string> {
  const noun = rowNoun(kind);
  const labels: Record<string, string> = { choices: i18n.t(`choiceRows.legend.${noun}`) };
  for (let i = 0; i < count; i++) {
    const n = i + 1;
    labels[`choices[${i}].text`] = i18n.t(`choiceRows.${noun}.label`, { n });
    labels[`choices[${i}].matchText`] = i18n.t('choiceRows.match', { n });
    labels[`choices[${i}].credit`] = i18n.t('choiceRows.credit', { n });
    labels[`choices[${i}].feedback`] = i18n.t('choiceRows.feedback', { n });
  }
  return labels;
}

/** The choices of a choice, matching or ordering question, with the API's error beside each field. */
export function ChoiceRows({
  kind,
  rows,
  onChange,
  errors,
}: {
  kind: QuestionKind;
  rows: ChoiceRow[];
  onChange: (rows: ChoiceRow[]) => void;
  errors: PathErrors;
}) {
  const { t } = useTranslation();
  const credited = kind === 'SINGLE_CHOICE' || kind === 'MULTIPLE_CHOICE';
  const noun = rowNoun(kind);
  const set = (index: number, change: Partial<ChoiceRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...rows];
    [next[index], next[index + by]] = [next[index + by]!, next[index]!];
    onChange(next);
  };

  return (
    <fieldset className="choice-rows">
      <legend>{t(`choiceRows.legend.${noun}`)}</legend>
      <p className="hint">{hint(kind)}</p>
      <FormError message={errors.at('choices')} />
      <ol>
        {rows.map((row, i) => {
          const at = (field: string) => errors.at(`choices[${i}].${field}`);
          return (
            <li key={row.key} className="choice-row">
              <InputField
                label={t(`choiceRows.${noun}.label`, { n: i + 1 })}
                value={row.text}
                onChange={(text) => set(i, { text })}
                error={at('text')}
              />
              {kind === 'MATCHING' && (
                <InputField
                  label={t('choiceRows.match', { n: i + 1 })}
                  value={row.matchText}
                  onChange={(matchText) => set(i, { matchText })}
                  error={at('matchText')}
                />
              )}
              {credited && (
                <>
                  <InputField
                    label={t('choiceRows.credit', { n: i + 1 })}
                    type="number"
                    inputMode="decimal"
                    value={row.credit}
                    onChange={(credit) => set(i, { credit })}
                    error={at('credit')}
                  />
                  <InputField
                    label={t('choiceRows.feedback', { n: i + 1 })}
                    value={row.feedback}
                    onChange={(feedback) => set(i, { feedback })}
                    error={at('feedback')}
                  />
                </>
              )}
              <div className="actions">
                {kind === 'ORDERING' && (
                  <>
                    <button type="button" disabled={i === 0} onClick={() => move(i, -1)}>
                      {t(`choiceRows.${noun}.up`, { n: i + 1 })}
                    </button>
                    <button type="button" disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                      {t(`choiceRows.${noun}.down`, { n: i + 1 })}
                    </button>
                  </>
                )}
                <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                  {t(`choiceRows.${noun}.remove`, { n: i + 1 })}
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={() => onChange([...rows, rowOf({ text: '', credit: 0 })])}>
        {t(`choiceRows.${noun}.add`)}
      </button>
    </fieldset>
  );
}
