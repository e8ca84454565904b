import type { CombinedError } from 'urql';
import { codeText, fieldProblems, problemText } from '../errors/translate';
import { i18n } from '../i18n';

/**
 * The API's errors by the input path they name, under `input.` (e.g. `choices[2].credit`, `tags`), for forms
 * whose fields repeat, each in the reader's language with the form's label for its path (`labels`); the
 * messages naming no shown path are joined for the form as a whole.
 */
export interface PathErrors {
  at: (path: string) => string | undefined;
  form: string | undefined;
}

/** `tags[3]` and `acceptedAnswers[0]` are shown at their list's one field. */
const LIST_FIELDS = /^(tags|acceptedAnswers)\[\d+\]$/;

export function pathErrors(
  error: CombinedError | undefined,
  shown: readonly string[],
  labels: Record<string, string> = {},
): PathErrors {
  const byPath = new Map<string, string>();
  const general: string[] = [];
  for (const graphQLError of error?.graphQLErrors ?? []) {
    const problems = fieldProblems(graphQLError);
    if (!problems) {
      general.push(codeText(graphQLError.extensions?.code, graphQLError.message));
      continue;
    }
    for (const problem of problems) {
      const path = problem.field.replace(/^input\./, '').replace(LIST_FIELDS, '$1');
      const words = problemText(problem, labels[path], labels);
      if (shown.includes(path)) {
        if (!byPath.has(path)) byPath.set(path, words);
      } else general.push(`${words}.`);
    }
  }
  if (error?.networkError) general.push(i18n.t('ui.unreachableRetry'));
  return { at: (path) => byPath.get(path), form: general.length ? general.join(' ') : undefined };
}
