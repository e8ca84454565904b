import type { CombinedError } from 'urql';
import { codeText, fieldName, fieldProblems, problemText } from './errors/translate';
import { i18n } from './i18n';

/**
 * The API's errors split by the input field they name (`extensions.fields`, or `extensions.field`, e.g.
 * `input.score` → `score`) when the form shows that field, in the reader's language from each field's rule
 * ("Score must be from 0 to 100", the label from `labels` or the field's name), and the rest as one message for
 * the form. Every invalid field the API reports is marked at once.
 */
export interface FormErrors {
  fields: Record<string, string>;
  form: string | undefined;
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
    const problems = fieldProblems(graphQLError);
    if (!problems) {
      general.push(codeText(graphQLError.extensions?.code, graphQLError.message));
      continue;
    }
    for (const problem of problems) {
      const name = fieldName(problem.field);
      const words = problemText(problem, undefined, labels);
      if (fieldsShown.includes(name)) result.fields[name] ??= words;
      else general.push(`${words}.`);
    }
  }
  if (error.networkError) general.push(i18n.t('ui.unreachableRetry'));
  if (general.length) result.form = general.join(' ');
  return result;
}
