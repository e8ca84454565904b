import type { CombinedError } from 'urql';
import { i18n } from '../i18n';

/**
 * The API's errors by the input path they name, under `input.` (e.g. `choices[2].credit`, `tags`), for forms
 * whose fields repeat; the messages naming no shown path are joined for the form as a whole.
 */
export interface PathErrors {
  at: (path: string) => string | undefined;
  form: string | undefined;
}

/** `tags[3]` and `acceptedAnswers[0]` are shown at their list's one field. */
const LIST_FIELDS = /^(tags|acceptedAnswers)\[\d+\]$/;

export function pathErrors(error: CombinedError | undefined, shown: readonly string[]): PathErrors {
  const byPath = new Map<string, string>();
  const general: string[] = [];
  for (const graphQLError of error?.graphQLErrors ?? []) {
    const field = graphQLError.extensions?.field;
    const path = typeof field === 'string' ? field.replace(/^input\./, '').replace(LIST_FIELDS, '$1') : undefined;
    if (path && shown.includes(path) && !byPath.has(path)) byPath.set(path, graphQLError.message);
    else general.push(graphQLError.message);
  }
  if (error?.networkError) general.push(i18n.t('ui.unreachableRetry'));
  return { at: (path) => byPath.get(path), form: general.length ? general.join(' ') : undefined };
}
