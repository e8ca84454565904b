import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkDocument, measureDocument, mostMergedField } from '../../src/core/document-shape.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/core/limits.js';
import { estimateCost } from '../../src/core/query-cost.js';
import { fragmentsOf } from '../../src/core/selection.js';

/**
 * The limits are computed in time linear in the document, whatever its fragments expand to: each
 * fragment is measured and priced once and its totals reused at every spread. Shown two ways: on small
 * random documents the totals equal those of the same document with every fragment written out in place
 * (a walk with nothing to reuse); on fan-outs that expand to 10^12 selections and more, the measure reads
 * each written selection at most twice and the price matches the closed form, and the check refuses them.
 */

const toy = buildSchema(`
  type Query { item: Item }
  type Item {
    leaf: Int
    item: Item
    items(first: Int): [Item!]!
    page(first: Int): ItemConnection
  }
  type ItemConnection { totalCount: Int, nodes: [Item!]!, wrap: Wrap }
  type Wrap { nodes: [Item!]! }
`);

/** Spread in every connection: a page's items reached through a fragment and a single object. */
const PAGE = 'fragment Page on ItemConnection { wrap { nodes { leaf item { leaf } } } }';

/** The document's operation with each fragment spread replaced by an inline fragment of the same selections. */
function writtenOut(document: DocumentNode): DocumentNode {
  const fragments = fragmentsOf(document);
  const expand = <Node extends ASTNode>(node: Node): Node =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments[spread.name.value]!;
        return {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: fragment.typeCondition,
          selectionSet: expand(fragment.selectionSet),
        };
      },
    });
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)!;
  return { kind: Kind.DOCUMENT, definitions: [expand(operation)] };
}

/** Selections written in a document (fields, inline fragments, spreads), each once. */
function written(document: DocumentNode): number {
  let count = 0;
  visit(document, {
    Field: () => void count++,
    InlineFragment: () => void count++,
    FragmentSpread: () => void count++,
  });
  return count;
}

/** One selection of a random document, on Item; `spread` names a fragment further down the chain. */
type Piece =
  | { kind: 'leaf' | 'alias' | 'typename' }
  | { kind: 'spread'; to: number }
  | { kind: 'inline' | 'item' | 'items' | 'page'; first: number | null; body: Piece[] };

const pieces = fc.letrec<{ piece: Piece; body: Piece[] }>((tie) => ({
  piece: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom({ kind: 'leaf' as const }, { kind: 'alias' as const }, { kind: 'typename' as const }),
    fc.record({ kind: fc.constant('spread' as const), to: fc.nat(3) }),
    fc.record({
      kind: fc.constantFrom('inline' as const, 'item' as const, 'items' as const, 'page' as const),
      first: fc.option(fc.integer({ min: 0, max: 700 })),
      body: tie('body'),
    }),
  ),
  body: fc.array(tie('piece'), { minLength: 1, maxLength: 3 }),
}));

/** Fragment `index` (of `count`) spreads only fragments after it: no cycles, chains up to `count` long. */
function text(body: Piece[], index: number, count: number): string {
  return body
    .map((piece) => {
      const first = 'first' in piece && piece.first !== null ? `(first: ${piece.first})` : '';
      const below = 'body' in piece ? text(piece.body, index, count) : '';
      switch (piece.kind) {
        case 'leaf':
          return 'leaf';
        case 'alias':
          return 'a: leaf';
        case 'typename':
          return '__typename';
        case 'spread':
          return index + 1 + piece.to < count ? `...F${index + 1 + piece.to}` : 'leaf';
        case 'inline':
          return `... on Item { ${below} }`;
        case 'page':
          return `page${first} { totalCount nodes { ${below} } ...Page }`;
        default:
          return `${piece.kind}${first} { ${below} }`;
      }
    })
    .join(' ');
}

/** The operation spreads F0 and each fragment the next (so that all are reached), among random pieces. */
const randomDocument = fc
  .tuple(pieces.body, fc.array(pieces.body, { minLength: 1, maxLength: 4 }))
  .map(([root, fragments]) => {
    const count = fragments.length;
    const definitions = fragments.map(
      (body, i) => `fragment F${i} on Item { ${i + 1 < count ? `...F${i + 1} ` : ''}${text(body, i, count)} }`,
    );
    const operation = `{ item { ...F0 ${text(root, -1, count)} } }`;
    if (`${operation}${definitions.join('')}`.includes('...Page')) definitions.push(PAGE);
    return parse(`${operation} ${definitions.join(' ')}`);
  });

const costOf = (document: DocumentNode) => {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return estimateCost(toy, operation, fragmentsOf(document), {});
};

/**
 * The reference: the walk the limits used to make, every fragment spread in place at each of its spreads
 * (exponential in the document), pricing on the toy schema as the cost rules say.
 */
function naive(document: DocumentNode) {
  const fragments = fragmentsOf(document);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const page = (first: number) => Math.min(Math.max(first, 1), 500);
  let selections = 0;
  let aliases = 0;
  const walk = (
    set: SelectionSetNode,
    parent: GraphQLObjectType,
    pageSize?: number,
  ): { cost: number; depth: number } => {
    let cost = 0;
    let depth = 0;
    for (const selection of set.selections) {
      selections++;
      if (selection.kind !== Kind.FIELD) {
        const inner = selection.kind === Kind.FRAGMENT_SPREAD ? fragments[selection.name.value]! : selection;
        const below = walk(
          inner.selectionSet,
          toy.getType(inner.typeCondition!.name.value) as GraphQLObjectType,
          pageSize,
        );
        cost += below.cost;
        depth = Math.max(depth, below.depth);
        continue;
      }
      if (selection.alias) aliases++;
      const field = parent.getFields()[selection.name.value];
      if (selection.name.value === '__typename') {
        depth = Math.max(depth, 1); // free: no resolver, no read
        continue;
      }
      if (!selection.selectionSet || !field) {
        cost += 1;
        depth = Math.max(depth, 1);
        continue;
      }
      const type = getNamedType(field.type) as GraphQLObjectType;
      const argument = selection.arguments?.find((candidate) => candidate.name.value === 'first')?.value;
      const first = argument?.kind === Kind.INT ? Number(argument.value) : undefined;
      const list = isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
      const connection = type.name.endsWith('Connection');
      const below = walk(selection.selectionSet, type, connection ? page(first ?? 50) : list ? undefined : pageSize);
      const length = !list ? 1 : first !== undefined ? page(first) : (pageSize ?? 500);
      cost += 1 + length * below.cost;
      depth = Math.max(depth, 1 + below.depth);
    }
    return { cost, depth };
  };
  const { cost, depth } = walk(operation.selectionSet, toy.getQueryType()!);
  return { cost, depth, selections, aliases };
}

describe('each fragment measured and priced once', () => {
  it('gives the totals of a walk that spreads every fragment in place at every spread', () => {
    fc.assert(
      fc.property(randomDocument, (document) => {
        const shape = measureDocument(document);
        const reference = naive(document);
        expect(shape.selections).toBe(reference.selections);
        expect(shape.depth).toBe(reference.depth);
        expect(shape.aliases).toBe(reference.aliases);
        expect(costOf(document)).toBe(reference.cost);
        const expanded = writtenOut(document);
        expect(print(expanded)).not.toMatch(/\.\.\.\w/);
        expect(mostMergedField(shape.roots, fragmentsOf(document), shape.selections)).toEqual(
          mostMergedField([(expanded.definitions[0] as OperationDefinitionNode).selectionSet], {}, Infinity),
        );
        // Each written selection read at most twice (its spreads, then its totals), however often spread.
        expect(shape.selectionsRead).toBeLessThanOrEqual(2 * written(document));
      }),
      { numRuns: 300, seed: 20261206 },
    );
  });
});

/** `levels` fragments each spreading the next `spreads` times, the last holding `leaves` fields. */
function fanOut(spreads: number, levels: number, { leaves = 1, nested = false } = {}) {
  const fragments = [`fragment F${levels} on Item { ${'leaf '.repeat(leaves)}}`];
  for (let level = levels - 1; level >= 0; level--) {
    const spread = `...F${level + 1}`;
    // Nested: each spread inside a field, so the fan-out is deep as well as wide.
    const body = nested ? `item { ${spread} }` : spread;
    fragments.push(`fragment F${level} on Item { ${Array(spreads).fill(body).join(' ')} }`);
  }
  return parse(`{ item { ...F0 } } ${fragments.join(' ')}`);
}

describe('fan-outs far too large to expand', () => {
  it.each([
    [2, 17],
    [2, 40],
    [4, 20],
    [5, 12],
    [6, 8],
    [20, 10],
  ])('%i spreads per level over %i levels: read once, priced exactly, refused', (spreads, levels) => {
    const document = fanOut(spreads, levels);
    const shape = measureDocument(document);
    expect(shape.selectionsRead).toBeLessThanOrEqual(2 * written(document));
    // Leaves: spreads^levels, each costing 1 (`item` costs 1 more); spreads themselves cost nothing.
    expect(costOf(document)).toBe(1 + spreads ** levels);
    expect(shape.selections).toBeGreaterThan(spreads ** levels);
    expect(() => checkDocument(document, DEFAULT_QUERY_LIMITS)).toThrow(
      /selections with its fragments spread in place/,
    );
  });

  it('reads a fan-out nested in fields once too, and counts its depth without expanding it', () => {
    const document = fanOut(3, 15, { nested: true });
    const shape = measureDocument(document);
    expect(shape.selectionsRead).toBeLessThanOrEqual(2 * written(document));
    expect(shape.depth).toBe(1 + 15 + 1);
    expect(() => checkDocument(document, DEFAULT_QUERY_LIMITS)).toThrow(
      /selections with its fragments spread in place/,
    );
  });

  it('walks a chain of 5,000 fragments without recursing along it', () => {
    const chain = Array.from({ length: 5_000 }, (_, i) => `fragment F${i} on Item { leaf ...F${i + 1} }`);
    const document = parse(`{ item { ...F0 } } ${chain.join(' ')} fragment F5000 on Item { leaf }`);
    const shape = measureDocument(document);
    expect(shape.selections).toBe(1 + 1 + 5_000 * 2 + 1);
    expect(costOf(document)).toBe(1 + 5_001);
  });

  it('finds a fragment cycle and cuts it, whatever its length', () => {
    const cycle = Array.from({ length: 1_000 }, (_, i) => `fragment F${i} on Item { leaf ...F${(i + 1) % 1_000} }`);
    const document = parse(`{ item { ...F0 } } ${cycle.join(' ')}`);
    expect(measureDocument(document).cycle).toMatch(/^F\d+$/);
    expect(() => checkDocument(document, DEFAULT_QUERY_LIMITS)).toThrow(
      /^Cannot spread fragment "F\d+" within itself$/,
    );
    expect(Number.isFinite(costOf(document))).toBe(true);
  });
});
