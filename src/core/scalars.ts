import { GraphQLScalarType, Kind } from 'graphql';
import { builder } from './builder.js';
import { badScalarValue } from './errors.js';
import { Rule } from './field-rules.js';

/**
 * `Date` is a calendar day (YYYY-MM-DD, UTC) and `DateTime` an ISO 8601 instant.
 * Both map to JS Dates at UTC, as Prisma returns them.
 */
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * PostgreSQL has no year 0 and reads no year past 9999 in the form JavaScript prints it
 * (`+010000-…`): days and instants outside 0001–9999 (UTC) are refused as input.
 */
const inPostgresRange = (date: Date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

function parseDay(value: unknown): Date {
  const match = typeof value === 'string' ? DAY.exec(value) : null;
  const date = match ? new Date(`${value as string}T00:00:00.000Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value || !inPostgresRange(date)) {
    throw badScalarValue(
      `Date: expected a calendar date YYYY-MM-DD in years 0001-9999, got ${JSON.stringify(value)}`,
      Rule.date,
    );
  }
  return date;
}

/**
 * An instant as RFC 3339 writes it: a real calendar day, hours 00–23, and an offset (`Z` or ±hh:mm).
 * JavaScript's Date would read `2026-02-30` as March 2, `24:00` as the next day and an instant without
 * offset in the server's time zone: those are refused.
 */
const INSTANT =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

function isRealDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

function parseInstant(value: unknown): Date {
  const match = typeof value === 'string' ? INSTANT.exec(value) : null;
  const date = match && isRealDay(match[1]!) ? new Date(value as string) : undefined;
  if (!date || Number.isNaN(date.getTime()) || !inPostgresRange(date)) {
    throw badScalarValue(
      `DateTime: expected an ISO 8601 date-time with an offset (e.g. 2026-11-25T12:00:00Z) in years 0001-9999, got ${JSON.stringify(value)}`,
      Rule.dateTime,
    );
  }
  return date;
}

function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : new Date(value as string);
  if (Number.isNaN(date.getTime())) throw new TypeError(`Not a date: ${String(value)}`);
  return date;
}

export const DateScalar = new GraphQLScalarType<Date, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD (UTC).',
  serialize: (value) => toDate(value).toISOString().slice(0, 10),
  parseValue: parseDay,
  parseLiteral: (ast) => parseDay(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, ISO 8601 (e.g. 2026-11-25T12:00:00.000Z).',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: parseInstant,
  parseLiteral: (ast) => parseInstant(ast.kind === Kind.STRING ? ast.value : undefined),
});

builder.addScalarType('Date', DateScalar);
builder.addScalarType('DateTime', DateTimeScalar);

/** A JSON value in an answer (never accepted as input: every argument has a type of its own). */
export const JsonScalar = new GraphQLScalarType<never, unknown>({
  name: 'JSON',
  description: 'A JSON value (output only).',
  serialize: (value) => value,
  parseValue: () => {
    throw badScalarValue('JSON is an output type only', Rule.invalidValue);
  },
  parseLiteral: () => {
    throw badScalarValue('JSON is an output type only', Rule.invalidValue);
  },
});

builder.addScalarType('JSON', JsonScalar);
