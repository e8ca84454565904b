import type { CombinedError } from 'urql';
import { i18n } from './i18n';

/**
 * The API's errors split by the input field they name (`extensions.fields`, or `extensions.field`, e.g.
 * `input.score` → `score`) when the form shows that field, in plain words ("Score must be from 0 to 100",
 * the label from `labels` or the field's name), and the rest as one message for the form. Every invalid
 * field the API reports is marked at once.
 */
export interface FormErrors {
  fields: Record<string, string>;
  form: string | undefined;
}

interface FieldProblem {
  field: string;
  message: string;
}

/** `completionTimeMinutes` → "Completion time minutes". */
const fieldWords = (name: string) => {
  const spaced = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
};

function problemsOf(error: CombinedError['graphQLErrors'][number]): FieldProblem[] | undefined {
  const { field, fields } = error.extensions ?? {};
  if (Array.isArray(fields)) return fields as FieldProblem[];
  if (typeof field !== 'string') return undefined;
  const prefix = `${field}: `;
  return [{ field, message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message }];
}

export function formErrors(
  error: CombinedError | undefined,
  fieldsShown: string[],
  labels: Record<string, string> = {},
): FormErrors {
  const result: FormErrors = { fields: {}, form: undefined };
  if (!error) return result;
  const general: string[] = [];
  for (const graphQLError of error.graphQLErrors) {
    const problems = problemsOf(graphQLError);
    if (!problems) {
      general.push(graphQLError.message);
      continue;
    }
    for (const problem of problems) {
      const name = problem.field.split('.').pop() ?? problem.field;
      const words = `${labels[name] ?? fieldWords(name)} ${problem.message}`;
      if (fieldsShown.includes(name)) result.fields[name] ??= words;
      else general.push(`${words}.`);
    }
  }
  if (error.networkError) general.push(i18n.t('ui.unreachableRetry'));
  if (general.length) result.form = general.join(' ');
  return result;
}
