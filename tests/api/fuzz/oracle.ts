import { type CallerName, BAD_CALLERS } from './ids.js';

/** For fuzz.test.ts: what a response may be, and what makes it wrong. */

const CATALOGUE = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);

/** What a database or driver error, or a stack, looks like when it escapes to a client. */
const LEAK =
  /prisma|invocation|violates|constraint|sqlstate|syntax error at or near|invalid input syntax|out of range|relation "|column "|duplicate key|\bP\d{4}\b|node_modules|\.ts:\d+|\bat (async )?\S+ \(|training_app|\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b/i;

interface Verdict {
  refused: boolean;
  codes: string[];
  problems: string[];
}

interface ErrorShape {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/** Everything wrong with one response, by the properties this file states. */
export function examine(
  fieldName: string,
  caller: CallerName,
  status: number,
  contentType: string,
  text: string,
  sent: string[],
): Verdict {
  const problems: string[] = [];
  const badToken = caller !== 'anonymous' && (BAD_CALLERS as readonly string[]).includes(caller);
  // 401 (with WWW-Authenticate) is the answer to a request refused for want of a token; only the anonymous get it.
  const allowed = badToken ? [401] : caller === 'anonymous' ? [200, 400, 401] : [200, 400];
  if (!allowed.includes(status)) problems.push(`HTTP ${status}, expected ${allowed.join(' or ')}`);
  if (!/json/.test(contentType)) problems.push(`content-type ${contentType}`);
  let body: { data?: Record<string, unknown> | null; errors?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    problems.push('body is not JSON');
  }
  if (!body || typeof body !== 'object') return { refused: true, codes: [], problems: [...problems, 'no body'] };
  if (/"stacktrace"|"exception"/.test(text)) problems.push('a stack trace or exception reached the client');
  const codes: string[] = [];
  const errors = body.errors;
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) problems.push('`errors` is not a non-empty array');
    for (const error of (Array.isArray(errors) ? errors : []) as ErrorShape[]) {
      const code = String(error.extensions?.code);
      codes.push(code);
      if (typeof error.message !== 'string' || error.message === '') problems.push('an error without a message');
      if (!CATALOGUE.has(code)) problems.push(`error code ${code}: ${String(error.message)}`);
      if (badToken && code !== 'UNAUTHENTICATED') problems.push(`bad token answered ${code}`);
      if (status === 401 && code !== 'UNAUTHENTICATED') problems.push(`HTTP 401 with ${code}`);
      // Input echoed back (graphql-js quotes the value it refused) is not a leak; anything else is.
      let message = String(error.message);
      for (const value of sent) {
        if (value.length > 0 && LEAK.test(value))
          message = message.split(JSON.stringify(value)).join('').split(value).join('');
      }
      if (LEAK.test(message)) problems.push(`internals in an error message: ${message.slice(0, 300)}`);
    }
  }
  // The mutation's own field is null when it was refused. A result may come with errors below it (a
  // worker's answer selecting another user's progress): those are about reading, not input; one under a
  // non-null field (an integration's answer selecting User.trainingProgress) nulls the whole result, yet
  // the mutation ran.
  const onlyBelow =
    Array.isArray(errors) &&
    (errors as ErrorShape[]).every((error) => Array.isArray(error.path) && error.path.length >= 2);
  const refused = status !== 200 || (body.data?.[fieldName] == null && !onlyBelow);
  if (refused) {
    if (errors === undefined) problems.push('neither errors nor a result');
    if (status === 400 && body.data !== undefined) problems.push('HTTP 400 with data');
  } else {
    for (const error of (Array.isArray(errors) ? errors : []) as ErrorShape[]) {
      if (!Array.isArray(error.path) || error.path.length < 2) problems.push('a result next to a top-level error');
    }
  }
  if (!refused && (badToken || caller === 'anonymous')) problems.push(`${caller} caller succeeded`);
  return { refused, codes, problems };
}
