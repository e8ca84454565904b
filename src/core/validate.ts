import addressparser from 'nodemailer/lib/addressparser';
import { ApiError, badInput, badInputs, ErrorCode, type FieldProblem } from './errors.js';
import { Rule, type RuleParams } from './field-rules.js';
import { todayUtc } from './today.js';

/**
 * Input checks shared by every mutation. Each names the argument path the client
 * sent (e.g. `input.score`) so the BAD_USER_INPUT error says what to fix.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Longest display name and email a profile holds (upsertProfiles refuses longer; token claims are cut/dropped). */
export const DISPLAY_NAME_MAX = 200;
/** The longest address SMTP carries (a 256-octet path less its angle brackets). */
export const EMAIL_MAX = 254;

export function uuid(field: string, value: string): string {
  if (!isUuid(value)) throw badInput(field, 'must be a UUID', Rule.uuid);
  return value.toLowerCase();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]+/g;

/**
 * A display name from a token claim, made storable instead of refused (a token cannot be corrected by
 * its bearer): runs of control characters (NUL included) become one space, lone surrogates U+FFFD, and
 * the result is trimmed and cut to `max` characters, as upsertProfiles would accept it. Undefined
 * when nothing is left, or the claim is not a string.
 */
export function claimText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  let cleaned = value.replace(CONTROL_CHARACTERS, ' ').replace(LONE_SURROGATES, '\uFFFD').trim().slice(0, max);
  // Cutting may split a surrogate pair: drop its orphaned first half.
  if (/[\uD800-\uDBFF]$/.test(cleaned)) cleaned = cleaned.slice(0, -1);
  return cleaned.trimEnd() || undefined;
}

// What an address may hold beyond letters and digits: RFC 5322's atext in the local part (dot-separated),
// letters, digits and hyphens in each label of the domain. Anything else (quotes, comments, brackets,
// a second @) is refused rather than interpreted.
const LOCAL_PART = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;
// eslint-disable-next-line no-control-regex -- control characters are among what it finds
const NOT_IN_ONE_ADDRESS = /[\s\u0000-\u001F\u007F-\u009F,;<>]/u;

/**
 * Why `value` is not one plain e-mail address, the only kind a profile stores and the deliverer mails to;
 * undefined when it is one. The address parser nodemailer sends with must read it as exactly one address,
 * no group and no display name, equal to the text itself; and the text must be `local@domain` with no
 * whitespace, line breaks or other controls, commas, semicolons or angle brackets, a domain with a dot
 * (or `localhost`), at most EMAIL_MAX characters.
 */
export function emailAddressProblem(value: string): RuleProblem | undefined {
  if (value.length > EMAIL_MAX) {
    return { message: `must be at most ${EMAIL_MAX} characters`, rule: Rule.maxLength, params: { max: EMAIL_MAX } };
  }
  if (LONE_SURROGATE.test(value)) return { message: 'must be valid Unicode (no lone surrogates)', rule: Rule.unicode };
  if (NOT_IN_ONE_ADDRESS.test(value)) {
    return {
      message: 'must be one address: no spaces, line breaks, commas, semicolons or angle brackets',
      rule: Rule.emailOneAddress,
    };
  }
  const parsed = addressparser(value, { flatten: true });
  const only = parsed.length === 1 ? parsed[0]! : undefined;
  const at = value.lastIndexOf('@');
  const [local, domain] = [value.slice(0, at), value.slice(at + 1)];
  if (only?.address !== value || only.name !== '' || at < 1 || !LOCAL_PART.test(local)) {
    return { message: 'must be one address of the form local@domain, without a display name', rule: Rule.email };
  }
  const labels = domain.split('.');
  if (
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    (labels.length < 2 && domain.toLowerCase() !== 'localhost')
  ) {
    return { message: 'must have a domain such as example.com', rule: Rule.emailDomain };
  }
  return undefined;
}

/** What is wrong with a value: in English, and as a rule with its parameters. */
export interface RuleProblem {
  message: string;
  rule: string;
  params?: RuleParams;
}

/** Spaces around an address are dropped; any other whitespace (line breaks, tabs) is left for the rule to refuse. */
const withoutSurroundingSpaces = (value: string) => value.replace(/^ +| +$/g, '');

/** An e-mail address from input (upsertProfiles): held to the address rule once surrounding spaces are dropped. */
export function email(field: string, value: string): string {
  const address = withoutSurroundingSpaces(value);
  const problem = emailAddressProblem(address);
  if (problem) throw badInput(field, problem.message, problem.rule, problem.params);
  return address;
}

/**
 * An email from a token claim, or undefined when it is not usable: not a string, or breaking the address
 * rule of `emailAddressProblem` (as `email` holds input to it). A bad email is dropped (the profile keeps
 * what it had), never stored half-repaired and never a refusal.
 */
export function claimEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const address = withoutSurroundingSpaces(value);
  return emailAddressProblem(address) === undefined ? address : undefined;
}

export function text(field: string, value: string, { min = 0, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
  if (trimmed.includes('\u0000')) throw badInput(field, 'must not contain NUL characters', Rule.noNul);
  // A lone UTF-16 surrogate is no character at all; Prisma's query protocol cannot carry one.
  if (LONE_SURROGATE.test(trimmed)) throw badInput(field, 'must be valid Unicode (no lone surrogates)', Rule.unicode);
  if (trimmed.length < min) {
    throw min === 1
      ? badInput(field, 'must not be empty', Rule.notEmpty)
      : badInput(field, `must be at least ${min} characters`, Rule.minLength, { min });
  }
  if (trimmed.length > max) throw badInput(field, `must be at most ${max} characters`, Rule.maxLength, { max });
  return trimmed;
}

export function integer(field: string, value: number, { min, max }: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be an integer from ${min} to ${max}`, Rule.integerRange, { min, max });
  }
  return value;
}

export function number(field: string, value: number, { min, max }: { min: number; max: number }): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw badInput(field, `must be from ${min} to ${max}`, Rule.numberRange, { min, max });
  }
  return value;
}

export function httpUrl(field: string, value: string): string {
  const trimmed = text(field, value, { min: 1, max: 2048 });
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badInput(field, 'must be an absolute http(s) URL', Rule.httpUrl);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badInput(field, 'must be an absolute http(s) URL', Rule.httpUrl);
  return trimmed;
}

export function notInPast(field: string, day: Date): Date {
  if (day.getTime() < todayUtc().getTime()) throw badInput(field, 'must not be in the past', Rule.notInPast);
  return day;
}

/** Non-null GraphQL arguments that a partial update may omit but not null out. */
export function present<T>(field: string, value: T | null | undefined): T | undefined {
  if (value === null) throw badInput(field, 'must not be null', Rule.notNull);
  return value;
}

/** The field, reason and rule of a BAD_USER_INPUT naming one field; undefined for any other error. */
function problemOf(error: unknown): FieldProblem | undefined {
  if (!(error instanceof ApiError) || error.extensions.code !== ErrorCode.BAD_USER_INPUT) return undefined;
  const { field, rule, params } = error.extensions;
  if (typeof field !== 'string' || error.extensions.fields !== undefined) return undefined;
  const prefix = `${field}: `;
  return {
    field,
    message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
    rule: typeof rule === 'string' ? rule : Rule.invalidValue,
    params: (params as RuleParams | undefined) ?? {},
  };
}

/**
 * Runs the check of each field of one input, every one even after another failed, so a form learns all
 * that is wrong at once: one BAD_USER_INPUT with every invalid field in `extensions.fields`. Errors of
 * any other kind are thrown as they are.
 */
export function fields<T extends Record<string, unknown>>(checks: { [K in keyof T]: () => T[K] }): T {
  const problems: FieldProblem[] = [];
  const values: Partial<T> = {};
  for (const key of Object.keys(checks) as (keyof T)[]) {
    try {
      values[key] = checks[key]();
    } catch (error) {
      const problem = problemOf(error);
      if (!problem) throw error;
      problems.push(problem);
    }
  }
  const [first, ...rest] = problems;
  if (first) throw badInputs([first, ...rest]);
  return values as T;
}
