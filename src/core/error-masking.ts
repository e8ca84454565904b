import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { isTransactionConflict } from './database-errors.js';
import { ApiError, ErrorCode, INTERNAL_ERROR_MESSAGE, transactionConflict } from './errors.js';
import { Rule } from './field-rules.js';
import type { LogLines, Logger, RequestLog } from './logger.js';

/** Codes Apollo itself assigns to request errors (parse, validation, variables); shown as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** graphql-js' message when it gives up coercing a request's variables (`getVariableValues`, maxErrors 50). */
const TOO_MANY_VARIABLE_ERRORS = 'Too many errors processing variables, error limit reached. Execution aborted.';

/**
 * Duck-typed rather than `instanceof GraphQLError`: Apollo, Pothos and our code
 * may load different copies of graphql-js (CommonJS and ESM builds).
 */
interface GraphQLErrorLike {
  name: string;
  originalError?: unknown;
  extensions?: Record<string, unknown>;
}
function isGraphQLError(error: unknown): error is GraphQLErrorLike {
  // Apollo's request errors (UserInputError, ValidationError, SyntaxError) are
  // subclasses whose `name` is their own class name: look for GraphQLError in
  // the prototype chain, not only in `name`.
  if (!(error instanceof Error)) return false;
  for (let proto: unknown = error; proto; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === 'GraphQLError') return true;
  }
  return error.name === 'GraphQLError';
}

/** Whether `error` is meant for the client (it is shown); anything else is masked and logged. */
export function isClientError(error: unknown): boolean {
  if (error instanceof ApiError) return true;
  if (!isGraphQLError(error)) return false;
  // A GraphQLError without an original error comes from graphql-js itself (validation,
  // variable coercion) or from a library speaking for the client: it describes the request.
  const code = error.extensions?.code;
  return error.originalError == null || (typeof code === 'string' && REQUEST_ERROR_CODES.has(code));
}

/** Messages of Apollo's own request errors that it sends without a code. */
const UNCODED_REQUEST_ERRORS: Record<string, ErrorCode> = {
  'provided sha does not match query': ErrorCode.BAD_REQUEST,
  'Unsupported persisted query version': ErrorCode.BAD_REQUEST,
};

/**
 * The code of a client error that came without one (graphql-js' own errors, which Apollo codes over HTTP
 * but graphql-ws does not): every error a client gets carries `extensions.code`.
 */
function defaultCode(message: string): ErrorCode {
  if (message.startsWith('Syntax Error')) return ErrorCode.GRAPHQL_PARSE_FAILED;
  if (/^(Variable "\$|Argument ")/.test(message)) return ErrorCode.BAD_USER_INPUT;
  return ErrorCode.GRAPHQL_VALIDATION_FAILED;
}

/** graphql-js' hints at the schema ("Did you mean …?"), kept out of production answers. */
const SUGGESTION = / ?Did you mean(.+?)\?$/s;

export interface ErrorFormatterOptions {
  /** Drop "Did you mean …?" suggestions, which reveal field, type and enum names (production). */
  hideSuggestions?: boolean;
}

/** The request each error of an HTTP operation's response came from, for the line that logs one when it is masked. */
const errorLogs = new WeakMap<object, RequestLog>();

/** What the plugin needs of a request's context (the caller's context has more). */
interface LoggedContext {
  log: RequestLog;
}

const markErrors: GraphQLRequestListener<LoggedContext> = {
  // Before Apollo formats (and masks) them.
  async didEncounterErrors({ errors, contextValue }) {
    for (const error of errors) errorLogs.set(error, contextValue.log);
  },
};

/** Apollo plugin: a masked error is logged with its request's trace id (Apollo's `formatError` knows no request). */
export const errorsLoggedToTheirRequest: ApolloServerPlugin<LoggedContext> = {
  requestDidStart: async () => markErrors,
};

/**
 * Apollo `formatError`: pass client errors through, mask and log everything else — to `log` (a WebSocket
 * operation's), else to the request whose response carries the error, else to `logger`.
 */
export function createErrorFormatter(logger: Logger, options: ErrorFormatterOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown, log?: LogLines): GraphQLFormattedError => {
    const original = isGraphQLError(error) && error.originalError != null ? error.originalError : error;
    // Pothos refuses bad paging arguments (`first: -1`, a forged cursor) with this error.
    if (original instanceof Error && original.name === 'PothosValidationError') {
      return { ...formatted, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    // After 50 bad variable values graphql-js stops with an error of its own, which Apollo does not
    // recognise as a variable error and labels INTERNAL_SERVER_ERROR. It describes the request too.
    if (isGraphQLError(original) && original.originalError == null && formatted.message === TOO_MANY_VARIABLE_ERRORS) {
      return { ...formatted, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    // Apollo's own refusals of an automatic persisted query come without a code (Apollo then says
    // INTERNAL_SERVER_ERROR): they describe the request.
    const uncoded = UNCODED_REQUEST_ERRORS[formatted.message];
    if (uncoded && isGraphQLError(original) && original.originalError == null) {
      return { message: formatted.message, extensions: { code: uncoded } };
    }
    if (isClientError(original)) {
      const { stacktrace: _stacktrace, http: _http, ...extensions } = formatted.extensions ?? {};
      if (typeof extensions.code !== 'string') extensions.code = defaultCode(formatted.message);
      if (options.hideSuggestions && SUGGESTION.test(formatted.message)) {
        formatted = { ...formatted, message: formatted.message.replace(SUGGESTION, '') };
      }
      if (extensions.code === ErrorCode.BAD_USER_INPUT && extensions.field === undefined) {
        const field = variableField(formatted.message);
        if (field) extensions.field = field;
      }
      // graphql-js' own refusals of a variable's value carry no rule: a missing one, or a value of another type.
      if (extensions.code === ErrorCode.BAD_USER_INPUT && typeof extensions.field === 'string' && !extensions.rule) {
        extensions.rule = / was not provided\.$/.test(formatted.message) ? Rule.required : Rule.invalidValue;
        extensions.params = {};
      }
      return { ...formatted, extensions };
    }
    const lines = log ?? (typeof error === 'object' && error !== null ? errorLogs.get(error) : undefined) ?? logger;
    if (isTransactionConflict(original)) {
      lines.warn({ err: original, path: formatted.path }, 'transaction aborted by a concurrent one (retryable)');
      const conflict = transactionConflict();
      return {
        message: conflict.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: conflict.extensions,
      };
    }
    lines.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
    return {
      message: INTERNAL_ERROR_MESSAGE,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * graphql-js reports a bad variable as `Variable "$input" got invalid value … at "input.score"`:
 * name that path as the offending field, as every other BAD_USER_INPUT does.
 */
function variableField(message: string): string | undefined {
  const match = /^Variable "\$([^"]+)" got invalid value .*? at "([^"]+)"/s.exec(message);
  if (match) return match[2];
  return /^Variable "\$([^"]+)"/.exec(message)?.[1];
}
