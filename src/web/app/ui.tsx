import { useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import type { CombinedError, OperationContext } from 'urql';
import type { AssignmentStatus, CourseCategory } from '../../generated/operations/graphql';
import { formatDate as formatInLanguage, formatNumber, i18n, useTranslation } from './i18n';
import en from './locales/en.json';
import { combinedErrorText } from './errors/translate';

type EnumValue = keyof (typeof en)['enum'];
const isEnumValue = (value: string): value is EnumValue => Object.hasOwn(en.enum, value);
const words = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');
/**
 * An API enum value (assignment type, entity type, difficulty, certificate status …) in the current language;
 * a value the catalogs do not know yet in plain words.
 */
export const enumName = (value: string) => (isEnumValue(value) ? i18n.t(`enum.${value}`) : words(value));
export const categoryName = (category: CourseCategory) => enumName(category);
/** Each status's name in the current language (read when shown, so a language switch applies). */
export const STATUS_NAMES = Object.freeze({
  get ASSIGNED() {
    return i18n.t('status.ASSIGNED');
  },
  get IN_PROGRESS() {
    return i18n.t('status.IN_PROGRESS');
  },
  get COMPLETED() {
    return i18n.t('status.COMPLETED');
  },
  get OVERDUE() {
    return i18n.t('status.OVERDUE');
  },
  get CANCELLED() {
    return i18n.t('status.CANCELLED');
  },
}) satisfies Record<AssignmentStatus, string>;

export function personName(person: { id: string; displayName?: string | null } | null | undefined): string {
  if (!person) return '—';
  return person.displayName ?? i18n.t('ui.unnamedUser', { id: person.id.slice(0, 8) });
}

/** A date or timestamp from the API as a date in the current language (a bare date is a UTC day). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  return formatInLanguage(new Date(value.length === 10 ? `${value}T00:00:00Z` : value));
}

/** Why the system assigned a course on a risk score, naming the person when the score is about one. */
export function riskReason(trigger: {
  score: number;
  threshold: number;
  entityType: string;
  entityId: string;
  person?: { id: string; displayName?: string | null } | null;
}): string {
  const what = enumName(trigger.entityType).toLowerCase();
  const about = trigger.person?.displayName ?? shortId(trigger.entityId);
  return i18n.t('ui.riskReason', {
    score: formatNumber(trigger.score),
    what,
    about,
    threshold: formatNumber(trigger.threshold),
  });
}

/**
 * A zone or piece of equipment (or a person without a profile) by its id: this subgraph keeps no names for
 * them. The end of the id, since ids a system hands out in sequence share their start.
 */
export const shortId = (id: string) => `…${id.slice(-6)}`;

/**
 * A button whose action is asked about first: "Cancel" turns into the question with a button that does
 * it and one that keeps things as they are (focus moves to the question's first button and back).
 */
export function ConfirmButton({
  label,
  accessibleLabel,
  question,
  confirm,
  keep,
  disabled,
  onConfirm,
}: {
  label: string;
  accessibleLabel?: string;
  question: string;
  confirm: string;
  keep: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" aria-label={accessibleLabel} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className="danger"
        autoFocus
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {keep}
      </button>
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  const { t } = useTranslation();
  return (
    <p className="state" role="status">
      {t('ui.loading', { what })}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorMessage({ error, retry }: { error: CombinedError | string; retry?: () => void }) {
  const { t } = useTranslation();
  const message = typeof error === 'string' ? error : combinedErrorText(error, t('ui.unreachable'));
  return (
    <div className="state error" role="alert">
      <p>{message}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t('ui.tryAgain')}
        </button>
      )}
    </div>
  );
}

/** A labelled form control with the API's error for it shown beside it. */
export function Field({
  label,
  error,
  children,
  hint,
}: {
  label: string;
  error: string | undefined;
  hint?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

/** A labelled text input (any `type`) with its error; the other attributes go to the input. */
export function InputField({
  label,
  error,
  value,
  onChange,
  ...input
}: {
  label: string;
  error?: string;
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange'>) {
  return (
    <Field label={label} error={error}>
      {(p) => <input {...input} {...p} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** One option of a select: its value and the name people see. */
export interface Choice<Value extends string> {
  value: Value;
  name: string;
}

export const choices = <Value extends string>(values: readonly Value[], name: (value: Value) => string) =>
  values.map((value): Choice<Value> => ({ value, name: name(value) }));

/** A labelled select with its error; `none` names a first option for the empty value (any, not set). */
export function SelectField<Value extends string>({
  label,
  error,
  value,
  onChange,
  options,
  none,
}: {
  label: string;
  error?: string;
  value: Value | '';
  onChange: (value: Value | '') => void;
  options: readonly Choice<Value>[];
  none?: string;
}) {
  return (
    <Field label={label} error={error}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value as Value | '')}>
          {none !== undefined && <option value="">{none}</option>}
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The API's errors for a form that name none of its fields. */
export function FormError({ message }: { message: string | undefined }) {
  return message ? (
    <p className="field-error" role="alert">
      {message}
    </p>
  ) : null;
}

/** What the last action did, announced to screen readers. */
export function Notice({ message }: { message: string | undefined }) {
  return message ? (
    <p role="status" className="notice">
      {message}
    </p>
  ) : null;
}

/**
 * A query's first load and its failure; `children` once it has data (a refetch keeps the
 * data shown, and a failed refetch too).
 */
export function Loaded({
  result,
  what,
  retry,
  children,
}: {
  result: { fetching: boolean; error?: CombinedError; data?: unknown };
  what: string;
  retry?: () => void;
  children: ReactNode;
}) {
  if (result.fetching && !result.data) return <Loading what={what} />;
  if (result.error && !result.data) return <ErrorMessage error={result.error} retry={retry} />;
  return children;
}

/** A table in a region named `label` that scrolls sideways (and by keyboard) on a narrow screen. */
export function DataTable({
  label,
  columns,
  actions = false,
  children,
}: {
  label: string;
  columns: string[];
  /** A last column of buttons, named for screen readers only. */
  actions?: boolean;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">{t('ui.actions')}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A figure with its label; `role="group"` names it by the label for assistive technology. */
export function Tile({ label, value }: { label: string; value: ReactNode }) {
  const id = useId();
  return (
    <div className="tile" role="group" aria-labelledby={id}>
      <span id={id} className="tile-label">
        {label}
      </span>
      <span className="tile-value">{value}</span>
    </div>
  );
}

/** A section named by its heading (a landmark region). */
export function Section({ title, children, className }: { title: string; children: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={className ?? 'panel'}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/**
 * Lists refresh after a mutation that returns their type even while empty (the document
 * cache only knows the types a result contained).
 */
export const REFRESH_ON: Record<'Course' | 'Assignment', Partial<OperationContext>> = {
  Course: { additionalTypenames: ['Course'] },
  Assignment: { additionalTypenames: ['Assignment'] },
};

/** A percentage given as 0–100 (as the API reports them), at most one decimal, in the current language. */
export const percent = (value: number) => formatNumber(value / 100, { style: 'percent', maximumFractionDigits: 1 });
export const minutes = (value: number | null | undefined) =>
  value == null ? '—' : i18n.t('ui.minutes', { value: formatNumber(Math.round(value)) });
