import { badInput } from './errors.js';
import { todayUtc } from './today.js';

/**
 * Input checks shared by every mutation. Each names the argument path the client
 * sent (e.g. `input.score`) so the BAD_USER_INPUT error says what to fix.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Longest display name and email a profile holds (upsertProfiles refuses longer; token claims are cut/dropped). */
export const DISPLAY_NAME_MAX = 200;
export const EMAIL_MAX = 320;

export function uuid(field: string, value: string): string {
  if (!isUuid(value)) throw badInput(field, 'must be a UUID');
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
  let cleaned = value.replace(CONTROL_CHARACTERS, ' ').replace(LONE_SURROGATES, '\uFFFD').trim();
  if (cleaned.length > max) {
    cleaned = cleaned.slice(0, max);
    // Cutting may split a surrogate pair: drop its orphaned first half.
    if (/[\uD800-\uDBFF]$/.test(cleaned)) cleaned = cleaned.slice(0, -1);
    cleaned = cleaned.trimEnd();
  }
  return cleaned || undefined;
}

/**
 * An email from a token claim, or undefined when it is not usable: not a string, longer than `EMAIL_MAX`,
 * holding control characters, lone surrogates or whitespace, or not of the form `local@domain`. A bad
 * email is dropped (the profile keeps what it had), never stored half-repaired and never a refusal.
 */
export function claimEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > EMAIL_MAX) return undefined;
  if (LONE_SURROGATE.test(trimmed)) return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  return /^[^\s@\u0000-\u001F\u007F-\u009F]+@[^\s@\u0000-\u001F\u007F-\u009F]+$/u.test(trimmed) ? trimmed : undefined;
}

export function text(field: string, value: string, { min = 0, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
  if (trimmed.includes('\u0000')) throw badInput(field, 'must not contain NUL characters');
  // A lone UTF-16 surrogate is no character at all; Prisma's query protocol cannot carry one.
  if (LONE_SURROGATE.test(trimmed)) throw badInput(field, 'must be valid Unicode (no lone surrogates)');
  if (trimmed.length < min)
    throw badInput(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (trimmed.length > max) throw badInput(field, `must be at most ${max} characters`);
  return trimmed;
}

export function integer(field: string, value: number, { min, max }: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function number(field: string, value: number, { min, max }: { min: number; max: number }): number {
  if (!Number.isFinite(value) || value < min || value > max) throw badInput(field, `must be from ${min} to ${max}`);
  return value;
}

export function httpUrl(field: string, value: string): string {
  const trimmed = text(field, value, { min: 1, max: 2048 });
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badInput(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(field, 'must be an absolute http(s) URL');
  return trimmed;
}

export function notInPast(field: string, day: Date): Date {
  if (day.getTime() < todayUtc().getTime()) throw badInput(field, 'must not be in the past');
  return day;
}

/** Non-null GraphQL arguments that a partial update may omit but not null out. */
export function present<T>(field: string, value: T | null | undefined): T | undefined {
  if (value === null) throw badInput(field, 'must not be null');
  return value;
}
