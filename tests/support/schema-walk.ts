import {
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { Actor, GraphQLResponse } from './server.js';

/**
 * Queries built from the schema itself: every field of a type and of the types below it, to a bounded depth,
 * so that a test reads whatever the API can show, including fields added after the test was written. What the
 * server refuses for its size (the query limits) is read part by part, down to what no query can read.
 */

/** One selection: a field (with its arguments as written in the query), or an inline fragment `on` a type. */
export interface Selection {
  field: string;
  args?: string;
  on?: string;
  children: Selection[];
}

/** The arguments to give a field (as written between parentheses), or null to leave it out. */
export type ArgumentsFor = (typeName: string, field: GraphQLField<unknown, unknown>) => string | null;

/** Every field's optional `first` gets a small page; a field with a required argument is left out. */
export const smallPages: ArgumentsFor = (_typeName, field) => {
  if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) return null;
  return field.args.some((arg) => arg.name === 'first') ? 'first: 2' : '';
};

/**
 * The selections of every field of `typeName` and below, `depth` levels of objects deep; a type already on the
 * way down is not entered again (that would only repeat what is selected above it).
 */
export function selectEverything(
  schema: GraphQLSchema,
  typeName: string,
  depth: number,
  argumentsFor: ArgumentsFor = smallPages,
  /** Types not to enter (besides those above). */
  outside: ReadonlySet<string> = new Set(),
  above: ReadonlySet<string> = new Set([typeName]),
): Selection[] {
  const type = schema.getType(typeName) as GraphQLNamedType;
  const selections: Selection[] = [{ field: '__typename', children: [] }];
  const below = (name: string, depth: number) =>
    selectEverything(schema, name, depth, argumentsFor, outside, new Set([...above, name]));
  if (isUnionType(type)) {
    for (const member of type.getTypes()) {
      if (!outside.has(member.name))
        selections.push({ field: '', on: member.name, children: below(member.name, depth) });
    }
    return selections;
  }
  if (!isObjectType(type) && !isInterfaceType(type)) return selections;
  for (const field of Object.values(type.getFields())) {
    const args = argumentsFor(type.name, field);
    if (args === null) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) {
      selections.push({ field: field.name, args, children: [] });
      continue;
    }
    if (depth <= 1 || above.has(named.name) || outside.has(named.name)) continue;
    selections.push({ field: field.name, args, children: below(named.name, depth - 1) });
  }
  return selections;
}

/**
 * The selections of the shortest way from `typeName` to each type on the way to any of `targets` (each type is
 * entered once, where it is first met breadth first), and of every field of the targets and below (`targetDepth`
 * levels deep) but those leading back to types on the way. Which way leads to a type does not change what its
 * fields show, so this reads every target through each field that leads to it, with a query that stays small.
 */
export function selectToward(
  schema: GraphQLSchema,
  typeName: string,
  targets: ReadonlySet<string>,
  targetDepth: number,
  argumentsFor: ArgumentsFor = smallPages,
): Selection[] {
  const entered = new Set([typeName]);
  const onTheWay = new Set(
    Object.keys(schema.getTypeMap()).filter((name) => !targets.has(name) && reaches(schema, name, targets)),
  );
  const top: Selection[] = [];
  const whole = new Set<Selection[]>();
  let frontier = [{ name: typeName, selections: top }];
  while (frontier.length) {
    const next: typeof frontier = [];
    for (const { name, selections } of frontier) {
      if (targets.has(name)) {
        selections.push(...selectEverything(schema, name, targetDepth, argumentsFor, onTheWay));
        whole.add(selections);
        continue;
      }
      const enter = (selection: Selection, child: string) => {
        if (entered.has(child) || !reaches(schema, child, targets)) return;
        entered.add(child);
        selections.push(selection);
        next.push({ name: child, selections: selection.children });
      };
      const type = schema.getType(name);
      if (isUnionType(type)) {
        for (const member of type.getTypes()) enter({ field: '', on: member.name, children: [] }, member.name);
      } else if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const args = argumentsFor(type.name, field);
          if (args !== null) enter({ field: field.name, args, children: [] }, getNamedType(field.type).name);
        }
      }
    }
    frontier = next;
  }
  // A type whose ways on all led to types entered elsewhere holds nothing: it is left out.
  const prune = (selections: Selection[]): Selection[] => {
    if (whole.has(selections)) return selections;
    const kept = selections.flatMap((selection) => {
      const children = prune(selection.children);
      return children.length ? [{ ...selection, children }] : [];
    });
    return kept.length ? [{ field: '__typename', children: [] }, ...kept] : [];
  };
  return prune(top);
}

const head = (selection: Selection) =>
  selection.on ? `... on ${selection.on}` : selection.args ? `${selection.field}(${selection.args})` : selection.field;

export function printSelections(selections: readonly Selection[]): string {
  return selections
    .map((selection) =>
      selection.children.length ? `${head(selection)} { ${printSelections(selection.children)} }` : head(selection),
    )
    .join(' ');
}

type Path = Selection[];

/** Every path from the top of `selections` to one leaf. */
export function leafPaths(selections: readonly Selection[]): Path[] {
  return selections.flatMap((selection) =>
    selection.children.length ? leafPaths(selection.children).map((path) => [selection, ...path]) : [[selection]],
  );
}

/** A printed path, for reports: `quizAttempt.questions.choices.text`. */
export const pathName = (path: Path) =>
  path.map((selection) => (selection.on ? `(${selection.on})` : selection.field)).join('.');

const refusedForSize = (response: GraphQLResponse<unknown>) =>
  response.errors?.length === 1 &&
  response.errors[0]!.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' &&
  /limit/.test(response.errors[0]!.message);

/** `selections` below the chain of `ancestors`. */
const under = (ancestors: Path, selections: Selection[]): Selection[] =>
  ancestors.reduceRight((children, ancestor) => [{ ...ancestor, children }], selections);

/** The selections of both. */
function merged(a: readonly Selection[], b: readonly Selection[]): Selection[] {
  const byHead = new Map<string, Selection>();
  for (const selection of [...a, ...b]) {
    const known = byHead.get(head(selection));
    byHead.set(head(selection), known ? { ...known, children: merged(known.children, selection.children) } : selection);
  }
  return [...byHead.values()];
}

/** How to read selections the query limits refuse as one query: in parts the server answers. */
export interface ReadPlan {
  parts: Selection[][];
  /** The paths the parts read, and those no query can read (refused for their size alone). */
  answered: string[];
  refused: string[];
}

/**
 * Finds the parts to read `selections` in, sending `wrap(<part>)` as the actor: each selection the limits refuse
 * on its own, then each of its children, down to single leaves; then the parts are put back together as far as
 * the server accepts. A selection refused even with nothing but `__typename` below it is refused with all it
 * holds (a query only grows in cost, depth and size by selecting more). The limits do not depend on the data, so
 * a plan holds for other ids and other callers.
 */
export async function planReads(
  actor: Actor,
  selections: readonly Selection[],
  wrap: (printed: string) => string,
): Promise<ReadPlan> {
  const plan: ReadPlan = { parts: [], answered: [], refused: [] };
  const accepted = async (part: Selection[]) => !refusedForSize(await actor.request(wrap(printSelections(part))));
  const names = (ancestors: Path, selection: Selection) =>
    leafPaths([selection]).map((path) => pathName([...ancestors, ...path]));
  const visit = async (ancestors: Path, selection: Selection): Promise<void> => {
    const part = under(ancestors, [selection]);
    if (await accepted(part)) {
      plan.parts.push(part);
      plan.answered.push(...names(ancestors, selection));
    } else if (
      !selection.children.length ||
      !(await accepted(under(ancestors, [{ ...selection, children: [{ field: '__typename', children: [] }] }])))
    ) {
      plan.refused.push(...names(ancestors, selection));
    } else {
      for (const child of selection.children) await visit([...ancestors, selection], child);
    }
  };
  if (await accepted([...selections])) {
    return { parts: [[...selections]], answered: leafPaths(selections).map(pathName), refused: [] };
  }
  for (const selection of selections) await visit([], selection);
  const parts: Selection[][] = [];
  for (const part of plan.parts) {
    const last = parts.at(-1);
    if (last && (await accepted(merged(last, part)))) parts[parts.length - 1] = merged(last, part);
    else parts.push(part);
  }
  return { ...plan, parts };
}

/** The responses to each part of the plan, as the actor; none of them refused for its size. */
export async function readPlanned(
  actor: Actor,
  plan: ReadPlan,
  wrap: (printed: string) => string,
): Promise<GraphQLResponse<unknown>[]> {
  const responses: GraphQLResponse<unknown>[] = [];
  for (const part of plan.parts) {
    const response = await actor.request(wrap(printSelections(part)));
    if (refusedForSize(response)) throw new Error(`a planned part was refused: ${response.errors![0]!.message}`);
    responses.push(response);
  }
  return responses;
}

/** Whether a selection of `typeName` can reach one of `targets` (itself being one), not through types `avoided`. */
export function reaches(
  schema: GraphQLSchema,
  typeName: string,
  targets: ReadonlySet<string>,
  avoided: ReadonlySet<string> = new Set(),
): boolean {
  const seen = new Set<string>(avoided);
  const visit = (name: string): boolean => {
    if (targets.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const type = schema.getType(name);
    if (isUnionType(type)) return type.getTypes().some((member) => visit(member.name));
    if (!isObjectType(type) && !isInterfaceType(type)) return false;
    return Object.values(type.getFields()).some((field) => visit(getNamedType(field.type).name));
  };
  return visit(typeName);
}
