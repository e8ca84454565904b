import type { CombinedError } from 'urql';
import { formatNumber, i18n } from '../i18n';

/**
 * The API's errors in the reader's language. The API writes its messages in English and adds what a client
 * translates: `extensions.code` for every error, and for each refused field its `rule` and `params`
 * (`extensions.fields[]`, or `extensions.field`/`rule`/`params` for one). A field's problem is the rule's
 * sentence in the `errors` catalogs with the form's label for the field; any other error the code's sentence.
 * Only a rule or code the catalogs do not know yet (a newer server) is shown as the server wrote it.
 */

export interface FieldProblem {
  field: string;
  message: string;
  rule?: string;
  params?: Record<string, string | number>;
}

/** What the app reads of one GraphQL error (urql's, or one from a JSON body of a REST route). */
export interface ApiErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

/** `completionTimeMinutes` → "Completion time minutes". */
const fieldWords = (name: string) => {
  const spaced = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
};

/** The field's own name, as forms know it: `input.score` → `score`, `filter.to` → `to`. */
export const fieldName = (path: string) => path.split('.').pop() ?? path;

/** Every field the error refuses, with its rule; undefined when it names none. */
export function fieldProblems(error: ApiErrorLike): FieldProblem[] | undefined {
  const { field, fields, rule, params } = error.extensions ?? {};
  if (Array.isArray(fields)) return fields as FieldProblem[];
  if (typeof field !== 'string') return undefined;
  const prefix = `${field}: `;
  return [
    {
      field,
      message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
      rule: typeof rule === 'string' ? rule : undefined,
      params: params as FieldProblem['params'],
    },
  ];
}

/** A parameter as the sentence shows it: numbers in the language's format, names of things and kinds translated. */
function paramText(name: string, value: string | number, labels: Record<string, string>): string {
  if (typeof value === 'number') return formatNumber(value, { useGrouping: false });
  if (name === 'what' && i18n.exists(`errors:thing.${value}`)) return i18n.t(`errors:thing.${value}` as never);
  if (name === 'kind') {
    if (i18n.exists(`questionForm.kindName.${value}`)) return i18n.t(`questionForm.kindName.${value}` as never);
    if (i18n.exists(`enum.${value}`)) return i18n.t(`enum.${value}` as never);
  }
  if (name === 'other' || name === 'fields') {
    return value
      .split(', ')
      .map((path) => labels[fieldName(path)] ?? fieldName(path))
      .join(', ');
  }
  return value;
}

/**
 * One refused field in a sentence: "Score must be from 0 to 100", "Puntuación debe estar entre 0 y 100". `label` is
 * the form's name for the field; a field the form does not name is shown in words made of its name.
 */
export function problemText(problem: FieldProblem, label?: string, labels: Record<string, string> = {}): string {
  const shown = label ?? labels[fieldName(problem.field)] ?? fieldWords(fieldName(problem.field));
  const key = `errors:rule.${problem.rule}`;
  if (!problem.rule || !i18n.exists(key)) return `${shown} ${problem.message}`;
  const params = Object.fromEntries(
    Object.entries(problem.params ?? {}).map(([name, value]) => [name, paramText(name, value, labels)]),
  );
  return i18n.t(key as never, { ...params, label: shown });
}

/**
 * An error that is not about a field, by its code. English readers get the server's own message, which names the
 * cause more precisely than the code's sentence (the one the other languages have).
 */
export function codeText(code: unknown, message: string): string {
  if (typeof code !== 'string' || !i18n.exists(`errors:code.${code}`)) return message;
  if (i18n.resolvedLanguage === 'en') return message;
  return i18n.t(`errors:code.${code}` as never);
}

/** One API error in a sentence or a few: each refused field, or the code's sentence. */
export function errorText(error: ApiErrorLike, labels: Record<string, string> = {}): string {
  const problems = fieldProblems(error);
  if (problems) return problems.map((problem) => `${problemText(problem, undefined, labels)}.`).join(' ');
  return codeText(error.extensions?.code, error.message);
}

/** Everything an urql error says, in the reader's language; `unreachable` when the server was not reached. */
export function combinedErrorText(error: CombinedError, unreachable = i18n.t('ui.unreachable')): string {
  if (error.networkError && error.graphQLErrors.length === 0) return unreachable;
  return error.graphQLErrors.map((graphQLError) => errorText(graphQLError)).join(' ');
}
