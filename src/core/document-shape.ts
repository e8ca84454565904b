import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { fragmentSpreadsItself, queryLimitExceeded } from './errors.js';
import type { QueryLimits } from './limits.js';
import { fragmentsInSpreadOrder, fragmentsOf, type Fragments } from './selection.js';

/**
 * The shape of a document — its size with fragments spread in place, its widest selection set, depth,
 * aliases, and how many selections merge into one field of the answer — measured before graphql-js
 * validates it, in time linear in the document. Each definition's selections are read once, in an order
 * where a fragment comes after the fragments it spreads, and a fragment's totals (which depend on nothing
 * but its own content) are reused at every spread. `{ ...F0 }` with `F0 { ...F1 ...F1 }` … `F16` spreads
 * 2^16 leaves from 50 written selections: it is refused for its size, having cost 50 steps.
 */

/** Totals of a selection set with its fragments spread in place. */
interface Totals {
  /** Fields, inline fragments and fragment spreads. */
  selections: number;
  /** Levels of fields: fragments add none, nor does `ofType` in introspection (see `levelOf`). */
  depth: number;
  aliases: number;
}

export interface DocumentShape {
  /**
   * Selections with every fragment spread in place: those of each operation and of each fragment
   * that nothing spreads (graphql-js validates those too).
   */
  selections: number;
  /** The most selections written in one selection set. */
  widestSelectionSet: number;
  /** The deepest operation's depth. */
  depth: number;
  /** The most aliases of one operation, a fragment's counted at each spread. */
  aliases: number;
  /** A fragment that spreads itself, directly or through others; its loop was cut. */
  cycle?: string;
  /** Selections read: each definition's twice (its spreads, then its totals), however often it is spread. */
  selectionsRead: number;
  /** Where the merged walk starts: the operations and the fragments nothing spreads. */
  roots: SelectionSetNode[];
}

/** Counts saturate here instead of growing past what a double holds exactly. */
const CAP = Number.MAX_SAFE_INTEGER;
const plus = (a: number, b: number) => Math.min(a + b, CAP);

const isIntrospectionType = (name: string) => name.startsWith('__');

/**
 * In introspection, `ofType` adds no level: tools' standard introspection query nests it 9 deep to
 * unwrap a type like `[[Int!]!]!`, and each level is one object or null — never a list — so the chain
 * cannot multiply an answer. Every other field, introspection included, is one level.
 */
const levelOf = (name: string, inIntrospection: boolean) => (inIntrospection && name === 'ofType' ? 0 : 1);

export function measureDocument(document: DocumentNode): DocumentShape {
  const fragments = fragmentsOf(document);
  const definitions = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  const { order, cycle, selectionsRead } = fragmentsInSpreadOrder(definitions, fragments);
  const totalsOf = new Map<FragmentDefinitionNode, Totals>();
  const spread = new Set<FragmentDefinitionNode>();
  let widest = 0;
  let read = selectionsRead;

  // Recurses only into the selection sets written inside one definition (their nesting is bounded by the
  // query text's), never into a fragment: its totals are already known, or it is unknown or loops (none).
  const measure = (selectionSet: SelectionSetNode, inIntrospection: boolean): Totals => {
    const totals: Totals = { selections: 0, depth: 0, aliases: 0 };
    widest = Math.max(widest, selectionSet.selections.length);
    read += selectionSet.selections.length;
    for (const selection of selectionSet.selections) {
      let below: Totals | undefined;
      let level = 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (selection.alias) totals.aliases = plus(totals.aliases, 1);
        level = levelOf(name, inIntrospection);
        if (selection.selectionSet) below = measure(selection.selectionSet, inIntrospection || name.startsWith('__'));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        below = measure(selection.selectionSet, condition ? isIntrospectionType(condition) : inIntrospection);
      } else {
        const fragment = fragments[selection.name.value];
        if (fragment) spread.add(fragment);
        below = fragment && totalsOf.get(fragment);
      }
      totals.selections = plus(totals.selections, plus(1, below?.selections ?? 0));
      totals.aliases = plus(totals.aliases, below?.aliases ?? 0);
      totals.depth = Math.max(totals.depth, level + (below?.depth ?? 0));
    }
    return totals;
  };

  for (const fragment of order) {
    totalsOf.set(fragment, measure(fragment.selectionSet, isIntrospectionType(fragment.typeCondition.name.value)));
  }
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const operationTotals = operations.map((operation) => measure(operation.selectionSet, false));
  const unspread = order.filter((fragment) => !spread.has(fragment));
  return {
    selections: [...operationTotals, ...unspread.map((fragment) => totalsOf.get(fragment)!)].reduce(
      (sum, totals) => plus(sum, totals.selections),
      0,
    ),
    widestSelectionSet: widest,
    depth: Math.max(0, ...operationTotals.map((totals) => totals.depth)),
    aliases: Math.max(0, ...operationTotals.map((totals) => totals.aliases)),
    cycle,
    selectionsRead: read,
    roots: [...operations, ...unspread].map((definition) => definition.selectionSet),
  };
}

export interface MergedField {
  /** The response name (alias or field name) of the field that merges the most selections. */
  name: string;
  /** How many selections it merges, fragments spread in place. */
  selections: number;
}

/**
 * The field of the answer that merges the most selections: fields of the same response name at one place,
 * fragments spread in place (`me { id } me { id }`: `me` merges 2, `me.id` 2). graphql-js validation
 * compares every pair of them (OverlappingFieldsCanBeMerged), so its work grows with the square of this.
 * A loop over the fields with fragments spread in place: call it once their number is known to be
 * bounded; it stops after `maxSelections` of them all the same, which also cuts a fragment loop.
 */
export function mostMergedField(roots: SelectionSetNode[], fragments: Fragments, maxSelections: number): MergedField {
  const most: MergedField = { name: '', selections: 0 };
  let budget = maxSelections;
  // Each entry: the selection sets whose fields merge at one place of the answer.
  const places: SelectionSetNode[][] = roots.map((root) => [root]);
  for (let sets = places.pop(); sets && budget > 0; sets = places.pop()) {
    const merged = new Map<string, SelectionSetNode[]>();
    const counts = new Map<string, number>();
    for (let set = sets.pop(); set && budget > 0; set = sets.pop()) {
      budget -= set.selections.length;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = (selection.alias ?? selection.name).value;
          counts.set(name, (counts.get(name) ?? 0) + 1);
          if (selection.selectionSet) {
            const below = merged.get(name);
            if (below) below.push(selection.selectionSet);
            else merged.set(name, [selection.selectionSet]);
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          sets.push(selection.selectionSet);
        } else {
          const fragment = fragments[selection.name.value];
          if (fragment) sets.push(fragment.selectionSet);
        }
      }
    }
    for (const [name, selections] of counts)
      if (selections > most.selections) Object.assign(most, { name, selections });
    places.push(...merged.values());
  }
  return most;
}

/** At most this many characters of a name the client wrote are echoed in a refusal. */
const ECHOED = 40;
const echo = (name: string) => (name.length > ECHOED ? `${name.slice(0, ECHOED)}…` : name);

/**
 * The document-shaped limits, checked before graphql-js validates the document (its work, and ours, is
 * then bounded) on every entry point: HTTP (src/core/limits.ts's plugin) and graphql-ws.
 */
export function checkDocument(document: DocumentNode, limits: QueryLimits): DocumentShape {
  const shape = measureDocument(document);
  if (shape.cycle) throw fragmentSpreadsItself(echo(shape.cycle));
  if (shape.widestSelectionSet > limits.maxSelectionsPerSet) {
    throw queryLimitExceeded(
      `A selection set holds ${shape.widestSelectionSet} selections; the limit is ${limits.maxSelectionsPerSet}`,
    );
  }
  if (shape.selections > limits.maxSelections) {
    throw queryLimitExceeded(
      `Query has ${shape.selections} selections with its fragments spread in place; the limit is ${limits.maxSelections}`,
    );
  }
  if (shape.depth > limits.maxDepth) {
    throw queryLimitExceeded(`Query depth ${shape.depth} exceeds the limit of ${limits.maxDepth}`);
  }
  if (shape.aliases > limits.maxAliases) {
    throw queryLimitExceeded(`Query uses ${shape.aliases} aliases; the limit is ${limits.maxAliases}`);
  }
  const merged = mostMergedField(shape.roots, fragmentsOf(document), shape.selections);
  if (merged.selections > limits.maxMergedSelections) {
    throw queryLimitExceeded(
      `Query selects "${echo(merged.name)}" ${merged.selections} times at one place; the limit is ${limits.maxMergedSelections}`,
    );
  }
  return shape;
}
