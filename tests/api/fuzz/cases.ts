import fc from 'fast-check';
import {
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNullableType,
} from 'graphql';
import {
  anyJson,
  EnumValue,
  OMITTED,
  wildDay,
  wildInstant,
  wildInt,
  wildNumber,
  wildString,
} from '../../support/fuzz.js';
import { dayFromToday } from '../../support/server.js';
import { type CallerName, type IdSource, BAD_CALLERS, ROLES, edgeId, idKinds, idRef, sensibleId } from './ids.js';

/** For fuzz.test.ts: the cases it sends, generated from each mutation's argument types. */

/**
 * How a case's arguments are made:
 *   - sensible: every field sent, each a plausible value (calls succeed and move tenant A's data);
 *   - focused: sensible, except one position (a leaf, a list or an input object) that gets an edge value,
 *     a null or a value of another type: the shape that reaches the deepest checks;
 *   - typed: every value of its schema type, optional fields sent or not, plausible and edge values mixed;
 *   - hostile: anything — nulls for non-null, wrong types, missing and extra fields and arguments.
 */
type Mode = 'sensible' | 'focused' | 'typed' | 'hostile';

function sensibleString(name: string): fc.Arbitrary<string> {
  if (name === 'contentUrl')
    return fc.constantFrom('https://example.com/course', 'http://example.com/a?b=c#d', 'HTTPS://EXAMPLE.COM/Ü');
  if (name === 'email') return fc.constantFrom('worker@example.com', 'Zoë@example.com');
  return fc.string({ minLength: 1, maxLength: 24 }).map((text) => `Fuzz ${text}`);
}

const hoursFromNow = (min: number, max: number) =>
  fc.integer({ min, max }).map((hours) => new Date(Date.now() + hours * 3_600_000).toISOString());

/** A plausible value for a leaf (scalar or enum) type. */
function sensibleLeaf(type: GraphQLNullableType & GraphQLInputType, name: string, parent: string) {
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => new EnumValue(value.name)));
  switch ((type as { name: string }).name) {
    case 'ID':
      return sensibleId(idKinds(name, parent));
    case 'String':
      // A certificate's code (revokeCertificate): this tenant's.
      if (name === 'code') return sensibleId(['certificate']);
      return sensibleString(name);
    case 'Int':
      if (name === 'expiryMonths') return fc.integer({ min: 1, max: 36 });
      return fc.integer({ min: 1, max: 600 });
    case 'Float':
      return fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return fc.integer({ min: 0, max: 400 }).map(dayFromToday);
    case 'DateTime':
      // Shifts end after they start; scores are not computed in the future.
      return name === 'endsAt' ? hoursFromNow(1, 24 * 90) : hoursFromNow(-24 * 90, 0);
    default:
      return wildString;
  }
}

/** A value of the right GraphQL type at or past the edge of what the API accepts. */
function edgeLeaf(type: GraphQLNullableType & GraphQLInputType, name: string, parent: string) {
  if (isEnumType(type))
    return fc.constantFrom('NOT_A_VALUE', 'worker', 'Worker', '__typename').map((n) => new EnumValue(n));
  switch ((type as { name: string }).name) {
    case 'ID':
      return edgeId(idKinds(name, parent));
    case 'String':
      // Another tenant's certificate code, or anything.
      if (name === 'code') return fc.oneof(idRef(fc.constant<IdSource>('B'), ['certificate']), wildString);
      return wildString;
    case 'Int':
      return wildInt;
    case 'Float':
      return wildNumber;
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return fc.oneof(wildDay, fc.integer({ min: -400, max: -1 }).map(dayFromToday));
    case 'DateTime':
      return fc.oneof(wildInstant, hoursFromNow(-24 * 365 * 100, 24 * 365 * 100));
    default:
      return fc.oneof(wildString, anyJson);
  }
}

const EXTRA_FIELDS = ['tenantId', 'tenant_id', 'createdBy', 'status', 'id', 'bogus', '__proto__', 'constructor'];

const withExtraField = (value: unknown, [key, extra]: [string, unknown]) => {
  const out = { ...(value as object) };
  Object.defineProperty(out, key, { value: extra, enumerable: true, writable: true });
  return out;
};

/** An argument or input field of `type`, made the way `mode` says (see Mode). */
function valueArb(type: GraphQLInputType, name: string, parent: string, mode: Mode): fc.Arbitrary<unknown> {
  const bare = bareArb(
    (isNonNullType(type) ? type.ofType : type) as GraphQLNullableType & GraphQLInputType,
    name,
    parent,
    mode,
  );
  if (mode === 'sensible' || mode === 'focused' || (mode === 'typed' && isNonNullType(type))) return bare;
  return fc.oneof(
    { weight: 8, arbitrary: bare },
    { weight: 1, arbitrary: fc.constant(null) },
    ...(mode === 'hostile' ? [{ weight: 1, arbitrary: anyJson }] : []),
  );
}

function bareArb(
  type: GraphQLNullableType & GraphQLInputType,
  name: string,
  parent: string,
  mode: Mode,
): fc.Arbitrary<unknown> {
  const sensible = mode === 'sensible' || mode === 'focused';
  if (isListType(type)) {
    const item = valueArb(type.ofType as GraphQLInputType, name, parent, mode);
    if (sensible) return fc.array(item, { minLength: 1, maxLength: 2 });
    return fc.oneof(
      { weight: 8, arbitrary: fc.array(item, { maxLength: 3 }) },
      // The same row twice in one batch.
      { weight: 1, arbitrary: item.map((value) => [value, value]) },
      // Past every batch limit (5,000 rows), each row small.
      {
        weight: 1,
        arbitrary: valueArb(type.ofType as GraphQLInputType, name, parent, 'sensible').map((value) =>
          Array.from({ length: 5001 }, () => value),
        ),
      },
      // One value where a list is expected (GraphQL coerces it to a list of one).
      ...(mode === 'hostile' ? [{ weight: 1, arbitrary: item }] : []),
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const arbs = Object.fromEntries(
      fields.map((field) => [field.name, valueArb(field.type, field.name, type.name, mode)]),
    );
    if (sensible) return fc.record(arbs);
    const record = fc.record(arbs, {
      requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
    });
    if (mode === 'typed') return record;
    return fc
      .tuple(
        record,
        fc.subarray(
          fields.map((field) => field.name),
          { maxLength: Math.min(2, fields.length) },
        ),
        fc.option(fc.tuple(fc.constantFrom(...EXTRA_FIELDS), anyJson), { freq: 3 }),
      )
      .map(([value, missing, extra]) => {
        const out: Record<string, unknown> = extra ? withExtraField(value, extra) : { ...value };
        for (const field of missing) out[field] = OMITTED;
        return out;
      });
  }
  if (sensible || (mode === 'typed' && isEnumType(type))) return sensibleLeaf(type, name, parent);
  const edge = edgeLeaf(type, name, parent);
  const typed = fc.oneof({ weight: 3, arbitrary: sensibleLeaf(type, name, parent) }, { weight: 2, arbitrary: edge });
  if (mode === 'typed') return typed;
  // Hostile Ints: fractions, -0 and numbers past 32 bits too.
  return (type as { name: string }).name === 'Int' ? fc.oneof(typed, wildNumber) : typed;
}

/** A position in a mutation's arguments (`input.title`, `scores.0.computedAt`, `equipment.0.userIds`…). */
interface Position {
  path: (string | number)[];
  type: GraphQLInputType;
  name: string;
  parent: string;
}

function positionsOf(type: GraphQLInputType, name: string, parent: string, path: (string | number)[]): Position[] {
  const bare = isNonNullType(type) ? type.ofType : type;
  const here: Position = { path, type, name, parent };
  if (isListType(bare)) return [here, ...positionsOf(bare.ofType as GraphQLInputType, name, parent, [...path, 0])];
  if (isInputObjectType(bare)) {
    return [
      here,
      ...Object.values(bare.getFields()).flatMap((field) =>
        positionsOf(field.type, field.name, bare.name, [...path, field.name]),
      ),
    ];
  }
  return [here];
}

/** What goes at a focused position: an edge value of its type, mostly; now and then a null or another type. */
function wildArb({ type, name, parent }: Position): fc.Arbitrary<unknown> {
  const bare = (isNonNullType(type) ? type.ofType : type) as GraphQLNullableType & GraphQLInputType;
  let special: fc.Arbitrary<unknown>;
  if (isListType(bare)) {
    const item = valueArb(bare.ofType as GraphQLInputType, name, parent, 'sensible');
    special = fc.oneof(
      fc.constant([]),
      item.map((value) => [value, value]),
      item.map((value) => Array.from({ length: 5001 }, () => value)),
      item,
    );
  } else if (isInputObjectType(bare)) {
    special = fc.oneof(
      fc.constant({}),
      fc
        .tuple(bareArb(bare, name, parent, 'sensible'), fc.tuple(fc.constantFrom(...EXTRA_FIELDS), anyJson))
        .map(([value, extra]) => withExtraField(value, extra)),
    );
  } else {
    special = edgeLeaf(bare, name, parent);
  }
  return fc.oneof(
    { weight: 8, arbitrary: special },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: anyJson },
  );
}

/** `value` with `replacement` at `path` (copies along the way; the path exists in a sensible value). */
function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number], rest, replacement);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  copy[head as string] = setAt(copy[head as string], rest, replacement);
  return copy;
}

export interface Case {
  caller: CallerName;
  mode: Mode;
  /** The position a focused case puts its edge value at. */
  focus: string;
  /** Arguments as variables, as inline literals, or each its own way (`inlineMask` bit per argument). */
  transport: 'variables' | 'inline' | 'mixed';
  inlineMask: number;
  /** An argument the field does not have (validation must refuse it). */
  extraArgument: boolean;
  /** Variables no operation declares (ignored, must not matter). */
  junkVariables: boolean;
  args: Record<string, unknown>;
}

function argsArb(field: GraphQLField<unknown, unknown>, mode: Mode): fc.Arbitrary<{ args: object; focus: string }> {
  const arbs = Object.fromEntries(
    field.args.map((arg) => [
      arg.name,
      valueArb(arg.type, arg.name, field.name, mode === 'focused' ? 'sensible' : mode),
    ]),
  );
  const required = field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name);
  if (mode === 'sensible') return fc.record(arbs).map((args) => ({ args, focus: '' }));
  if (mode === 'focused') {
    const positions = field.args.flatMap((arg) => positionsOf(arg.type, arg.name, field.name, [arg.name]));
    if (positions.length === 0) return fc.record(arbs).map((args) => ({ args, focus: '' }));
    return fc
      .tuple(
        fc.record(arbs),
        fc.constantFrom(...positions).chain((position) => wildArb(position).map((wild) => [position, wild] as const)),
      )
      .map(([args, [position, wild]]) => ({
        args: setAt(args, position.path, wild) as object,
        focus: position.path.join('.'),
      }));
  }
  const record = fc.record(arbs, { requiredKeys: required });
  if (mode === 'typed') return record.map((args) => ({ args, focus: '' }));
  // A required argument left out: declared as a variable but not sent, or missing from the literal.
  return fc.tuple(record, fc.subarray(field.args.map((arg) => arg.name))).map(([args, missing]) => ({
    args: { ...args, ...Object.fromEntries(missing.slice(0, 1).map((arg) => [arg, OMITTED])) },
    focus: '',
  }));
}

export function caseArb(field: GraphQLField<unknown, unknown>): fc.Arbitrary<Case> {
  const rare = fc.nat(4).map((n) => n === 0);
  const mode = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Mode>('sensible') },
    { weight: 5, arbitrary: fc.constant<Mode>('focused') },
    { weight: 2, arbitrary: fc.constant<Mode>('typed') },
    { weight: 2, arbitrary: fc.constant<Mode>('hostile') },
  );
  return mode.chain((m) =>
    fc
      .record({
        caller: fc.oneof(
          { weight: 16, arbitrary: fc.constantFrom<CallerName>(...ROLES) },
          { weight: 1, arbitrary: fc.constantFrom<CallerName>(...BAD_CALLERS) },
        ),
        transport: fc.constantFrom<Case['transport']>('variables', 'variables', 'variables', 'inline', 'mixed'),
        inlineMask: fc.nat(),
        extraArgument: m === 'hostile' ? rare : fc.constant(false),
        junkVariables: m === 'hostile' ? rare : fc.constant(false),
        generated: argsArb(field, m),
      })
      .map(({ generated, ...rest }): Case => ({
        ...rest,
        mode: m,
        ...generated,
        args: generated.args as Case['args'],
      })),
  );
}
