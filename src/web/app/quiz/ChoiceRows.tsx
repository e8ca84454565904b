import type { QuestionKind } from '../../../generated/operations/graphql';
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

const HINTS: Partial<Record<QuestionKind, string>> = {
  SINGLE_CHOICE: 'Credit: percent of the points a choice earns (100 for the right one).',
  MULTIPLE_CHOICE: 'Credit: percent of the points; the right choices add up to 100, wrong ones may be negative.',
  MATCHING: 'Each item with the answer it matches; an item left empty adds its match as a distractor.',
  ORDERING: 'In the right order, first at the top; the quiz shows them shuffled.',
};

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
  const credited = kind === 'SINGLE_CHOICE' || kind === 'MULTIPLE_CHOICE';
  const noun = kind === 'MATCHING' ? 'Item' : kind === 'ORDERING' ? 'Step' : 'Choice';
  const set = (index: number, change: Partial<ChoiceRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...rows];
    [next[index], next[index + by]] = [next[index + by]!, next[index]!];
    onChange(next);
  };

  return (
    <fieldset className="choice-rows">
      <legend>{kind === 'MATCHING' ? 'Pairs' : kind === 'ORDERING' ? 'Steps' : 'Choices'}</legend>
      <p className="hint">{HINTS[kind]}</p>
      <FormError message={errors.at('choices')} />
      <ol>
        {rows.map((row, i) => {
          const at = (field: string) => errors.at(`choices[${i}].${field}`);
          return (
            <li key={row.key} className="choice-row">
              <InputField
                label={`${noun} ${i + 1}`}
                value={row.text}
                onChange={(text) => set(i, { text })}
                error={at('text')}
              />
              {kind === 'MATCHING' && (
                <InputField
                  label={`Match ${i + 1}`}
                  value={row.matchText}
                  onChange={(matchText) => set(i, { matchText })}
                  error={at('matchText')}
                />
              )}
              {credited && (
                <>
                  <InputField
                    label={`Credit ${i + 1} (%)`}
                    type="number"
                    inputMode="decimal"
                    value={row.credit}
                    onChange={(credit) => set(i, { credit })}
                    error={at('credit')}
                  />
                  <InputField
                    label={`Feedback ${i + 1}`}
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
                      Move {noun.toLowerCase()} {i + 1} up
                    </button>
                    <button type="button" disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                      Move {noun.toLowerCase()} {i + 1} down
                    </button>
                  </>
                )}
                <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                  Remove {noun.toLowerCase()} {i + 1}
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={() => onChange([...rows, rowOf({ text: '', credit: 0 })])}>
        Add {noun.toLowerCase()}
      </button>
    </fieldset>
  );
}
