import { isUuid } from './auth.js';
import { badInput } from './errors.js';
import { todayUtc } from './scalars.js';

/**
 * Input checks shared by every mutation. Each names the argument path the client
 * sent (e.g. `input.score`) so the BAD_USER_INPUT error says what to fix.
 */

export function uuid(field: string, value: string): string {
  if (!isUuid(value)) throw badInput(field, 'must be a UUID');
  return value.toLowerCase();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

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
