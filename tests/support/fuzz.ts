import fc from 'fast-check';
import { getNamedType, isLeafType, isListType, isNonNullType, isObjectType, type GraphQLOutputType } from 'graphql';

/**
 * Building blocks for fuzzing GraphQL operations generated from the live schema:
 * values that render both as JSON variables and as inline GraphQL literals,
 * hostile strings and numbers, and a small selection for any output type.
 */

/** An enum value: a bare name in a GraphQL literal, a string in JSON variables. */
export class EnumValue {
  constructor(readonly name: string) {}
  [fc.toStringMethod](): string {
    return this.name;
  }
}

/** Marks an input-object field or argument the request leaves out. */
export const OMITTED: unique symbol = Symbol('omitted');

/** The value as JSON variables carry it (enum values as strings, omitted fields dropped). */
export function toJson(value: unknown): unknown {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      // defineProperty: a generated `__proto__` key stays an own, serialised property.
      if (inner !== OMITTED) Object.defineProperty(out, key, { value: toJson(inner), enumerable: true });
    }
    return out;
  }
  return value;
}

/** The value as an inline GraphQL literal (-0 keeps its sign, which JSON cannot carry). */
export function toLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof EnumValue) return value.name;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`no GraphQL literal for ${value}`);
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = Object.entries(value).filter(([, inner]) => inner !== OMITTED);
    return `{${fields.map(([key, inner]) => ` ${key}: ${toLiteral(inner)}`).join(',')} }`;
  }
  throw new Error(`no GraphQL literal for ${String(value)}`);
}

/** Every string inside a value (keys included), for telling echoed input from leaked internals. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof EnumValue) out.push(value.name);
  else if (Array.isArray(value)) value.forEach((inner) => stringsIn(inner, out));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      out.push(key);
      stringsIn(inner, out);
    }
  }
  return out;
}

/**
 * `__typename`, every leaf field and (down to `depth`) every object field of
 * `type`, skipping fields that take arguments and lists inside lists, and only
 * the leaves of a list's items (the cost limit prices a list without `first` as a
 * full page, 500 items): enough to see what a mutation returns, serialised,
 * without paging through connections.
 */
export function selectionOf(type: GraphQLOutputType, depth = 2, insideList = false): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.length > 0) continue;
    const list = isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
    if (isLeafType(getNamedType(field.type))) parts.push(field.name);
    else if (depth > 0 && !(list && insideList)) {
      parts.push(`${field.name} ${selectionOf(field.type, list ? 0 : depth - 1, insideList || list)}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}

// ---------------------------------------------------------------- hostile values

const SQL_LOOKING = [
  "'; DROP TABLE training_courses; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(5); --',
  "x' UNION SELECT id, tenant_id FROM profiles --",
  "'); DELETE FROM training_assignments WHERE ('1'='1",
  '$1::uuid',
  "E'\\x00'",
  "'; SET ROLE postgres; --",
  "current_setting('app.tenant_id')",
  '\\',
  '%',
  '_',
  '%_%',
];

const JSON_LOOKING = [
  '{}',
  '[]',
  'null',
  'true',
  '{"$ne": null}',
  '{"__proto__": {"admin": true}}',
  '{"a": [1, 2, {"b": null}]}',
  '"quoted"',
  '[{"id": "00000000-0000-0000-0000-000000000000"}]',
];

const ODD = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(3),
  '\u0007\u001b[31m',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'undefined',
  '<script>alert(1)</script>',
  '${jndi:ldap://example.invalid/a}',
  '{{7*7}}',
  '../../etc/passwd',
  'https://example.com/\u0000',
  'javascript:alert(1)',
  'https://',
  'http://[::1',
  '👷‍♀️🦺⚠️',
  'Zoë Ångström 日本語 עברית العربية',
  '\u202eevil\u202c',
  '\ufeffBOM',
  'e\u0301\u0301\u0301',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\ude00b',
  '\uffff\ufffe',
];

/** Long text: past every length limit the API has, yet well under the 1 MB request limit. */
const long = fc
  .tuple(fc.constantFrom(201, 321, 1001, 2049, 5001, 60_000), fc.constantFrom('x', ' ', 'é', '€', '🦺', '\u0000'))
  .map(([length, unit]) => unit.repeat(unit.length === 2 ? Math.ceil(length / 2) : length));

const loneSurrogates = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('a', ' ', '\u0000'),
  ),
  maxLength: 6,
});

export const wildString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL_LOOKING, ...JSON_LOOKING, ...ODD) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: loneSurrogates },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: long },
);

/** Numbers JSON can carry (no NaN or Infinity): edges of Int, Float and every range the API checks. */
export const wildNumber: fc.Arbitrary<number> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0,
      -0,
      1,
      -1,
      0.5,
      -0.5,
      99.99999999999999,
      100,
      100.00000000000001,
      101,
      600,
      601,
      10_000,
      10_001,
      100_000,
      100_001,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 53 - 1,
      2 ** 53 + 2,
      1e21,
      1e308,
      -1e308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      1e-7,
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

/** 32-bit integers worth trying where the schema says Int. */
export const wildInt: fc.Arbitrary<number> = wildNumber
  .filter((n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31)
  .map((n) => n);

/** A value of some JSON kind, most likely not the one expected. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  wildString,
  wildNumber,
  fc.boolean(),
  fc.constant({}),
  fc.dictionary(fc.constantFrom('a', 'id', 'value', '__proto__'), fc.oneof(fc.string(), fc.integer()), {
    maxKeys: 2,
  }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
  fc.constant([]),
);

/** Strings that look like dates and date-times, valid and not. */
export const wildDay = fc.constantFrom(
  '0000-01-01',
  '0001-01-01',
  '1970-01-01',
  '9999-12-31',
  '2026-02-29',
  '2028-02-29',
  '2026-02-30',
  '2026-13-01',
  '2026-1-1',
  '20260101',
  '2026-01-01T00:00:00Z',
  '+275760-09-13',
  'today',
  '',
);
export const wildInstant = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59-12:00',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-01-01T25:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01T00:00:00',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T00:00:00-12:00',
  '2026-01-01T00:00:00.123456789Z',
  '2026-01-01',
  '+275760-09-13T00:00:00Z',
  'now',
  '',
);
