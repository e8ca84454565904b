/**
 * Documents that try to make one request stall the server, by class: fragment fan-out, quadratic
 * validation, introspection amplification, `_entities` with a type that is no entity. Each builder
 * takes the place it is spread in (`host`), so the same shape is sent as a query over HTTP and as a
 * subscription over graphql-ws.
 */

export interface Host {
  /** The operation around the selection: `{ … }` or `subscription { trainingAssignmentCreated { … } }`. */
  wrap(selection: string): string;
  /** The type the selection is on. */
  type: 'Query' | 'Assignment';
  /** A scalar field of that type. */
  leaf: string;
  /** A field of that type with the same type's fields below it, for nesting: `… { selection }`. */
  nest(selection: string): string;
}

export const QUERY_HOST: Host = {
  wrap: (selection) => `query Attack { ${selection} }`,
  type: 'Query',
  leaf: '__typename',
  nest: (selection) => `... on Query { ${selection} }`,
};

export const SUBSCRIPTION_HOST: Host = {
  wrap: (selection) => `subscription Attack { trainingAssignmentCreated { ${selection} } }`,
  type: 'Assignment',
  leaf: 'id',
  nest: (selection) => `completion { assignment { ${selection} } }`,
};

export interface FanOutOptions {
  /** Where each fragment spreads the next: side by side, in an inline fragment, in a nested field, with an alias. */
  placement?: 'plain' | 'inline' | 'nested' | 'aliased';
}

/** `levels` fragments, each spreading the next `spreads` times; the last selects one leaf. */
export function fanOut(host: Host, spreads: number, levels: number, { placement = 'plain' }: FanOutOptions = {}) {
  const fragments = [`fragment F${levels} on ${host.type} { ${host.leaf} }`];
  for (let level = levels - 1; level >= 0; level--) {
    const next = Array(spreads)
      .fill(`...F${level + 1}`)
      .join(' ');
    const body = {
      plain: next,
      inline: `... on ${host.type} { ${next} }`,
      nested: host.nest(next),
      aliased: `a${level}: ${host.leaf} ${next}`,
    }[placement];
    fragments.push(`fragment F${level} on ${host.type} { ${body} }`);
  }
  return `${host.wrap('...F0')} ${fragments.join(' ')}`;
}

/** The same field (with a selection) `copies` times in one place: graphql-js compares every pair. */
export function repeated(host: Host, copies: number, { alias = '', inFragments = false } = {}) {
  const field = `${alias}${host.type === 'Query' ? 'me { id }' : 'course { id }'}`;
  if (!inFragments) return host.wrap(Array(copies).fill(field).join(' '));
  // Each copy in its own fragment, the fragments spread side by side.
  const fragments = Array.from({ length: copies }, (_, i) => `fragment R${i} on ${host.type} { ${field} }`);
  return `${host.wrap(fragments.map((_, i) => `...R${i}`).join(' '))} ${fragments.join(' ')}`;
}

/** `copies` sets of `copies` fields merged below `copies` merged parents: copies² merged leaves. */
export function repeatedBelow(host: Host, copies: number) {
  const parent = host.type === 'Query' ? 'me' : 'course';
  return host.wrap(
    Array(copies)
      .fill(`${parent} { ${'id '.repeat(copies)}}`)
      .join(' '),
  );
}

/** `trees` aliased `__schema` trees, each answering the types with their fields. */
export function introspectionTrees(trees: number) {
  const tree = '__schema { types { name kind description fields { name description type { name kind } } } }';
  return `{ ${Array.from({ length: trees }, (_, i) => `s${i}: ${tree}`).join(' ')} }`;
}

export const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Course { id } } }';

/** A representation of `typename`, which `_entities` resolves only for its entity types. */
export const representation = (typename: string) => ({
  __typename: typename,
  id: '3f1d2c4b-5a69-4e7d-8c1b-2a3b4c5d6e7f',
});
