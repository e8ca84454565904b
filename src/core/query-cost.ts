import {
  getNamedType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  valueFromASTUntyped,
  type ArgumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';
import { introspectionCounter } from './introspection-cost.js';
import { fragmentsInSpreadOrder, type Fragments } from './selection.js';

/**
 * A list field can state how long it can be with `extensions: { maxItems }` (a list with one row per value
 * of an enum); one that does not, and takes no `first`, is priced as a whole page (MAX_PAGE_SIZE).
 */
export const MAX_ITEMS_EXTENSION = 'maxItems';

/** An argument's value, from the query text or the variables. */
export function argumentValue(argument: ArgumentNode, variables: Record<string, unknown>): unknown {
  return valueFromASTUntyped(argument.value, variables);
}

/** The `representations` an `_entities` selection asks for, when they are a list. */
export function representationsOf(selection: FieldNode, variables: Record<string, unknown>): unknown[] | undefined {
  const argument = selection.arguments?.find((candidate) => candidate.name.value === 'representations');
  const value = argument ? argumentValue(argument, variables) : undefined;
  return Array.isArray(value) ? value : value === undefined || value === null ? undefined : [value];
}

/**
 * A selection set's price. Inside a connection, its `edges`/`nodes` lists hold the connection's page
 * (`first`), which the set itself does not know: there it costs `withPage + perItem × page`, and `alone`
 * where no page applies. So a fragment is priced once, from its own content, whatever it is spread in.
 */
interface Price {
  alone: number;
  withPage: number;
  perItem: number;
}

const constant = (cost: number): Price => ({ alone: cost, withPage: cost, perItem: 0 });
const atPage = (price: Price, page: number) => price.withPage + price.perItem * page;
/** Pages are capped at MAX_PAGE_SIZE, so a larger `first` costs no more than that. */
const bounded = (size: number) => Math.min(Math.max(size, 1), MAX_PAGE_SIZE);

/**
 * Estimated cost: every field costs 1; a list multiplies what is selected below it by its length —
 * `first` (as sent, else the argument's default), a connection without one the default page size,
 * `_entities` its representations, a list with `maxItems` that many, another list a whole page.
 * Introspection is priced the same way with the lengths of its lists read from the schema: the size of
 * its answer (src/core/introspection-cost.ts). Each fragment is priced once (in an order where the fragments it
 * spreads come first), so the time is linear in the document. Pricing introspection stops once the
 * count passes `limit`, as the request is refused then anyway.
 */
export function estimateCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  limit = Infinity,
): number {
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return 0;

  const compositeType = (name: string): GraphQLCompositeType | undefined => {
    const type = schema.getType(name);
    return type && (isObjectType(type) || isInterfaceType(type) || isUnionType(type)) ? type : undefined;
  };
  const introspection = introspectionCounter(schema, fragments, variables, limit);
  const fragmentPrices = new Map<FragmentDefinitionNode, Price>();

  const fieldPrice = (selection: FieldNode, parentType: GraphQLCompositeType | undefined): Price => {
    const name = selection.name.value;
    // `__typename` needs no resolver and no read (clients such as urql add it to every selection set); the
    // shape limits bound how many a document may hold.
    if (name === '__typename') return constant(0);
    if (name.startsWith('__')) return constant(introspection(selection));
    const field =
      parentType && (isObjectType(parentType) || isInterfaceType(parentType)) && parentType.getFields()[name];
    if (!field) return constant(0);
    const named = getNamedType(field.type);
    if (!selection.selectionSet || !(isObjectType(named) || isInterfaceType(named) || isUnionType(named))) {
      return constant(1);
    }
    const firstArgument = selection.arguments?.find((argument) => argument.name.value === 'first');
    const first = firstArgument ? argumentValue(firstArgument, variables) : undefined;
    const declaredFirst = field.args.find((argument) => argument.name === 'first')?.defaultValue;
    // `first` as sent, else the argument's default.
    const size = typeof first === 'number' ? first : typeof declaredFirst === 'number' ? declaredFirst : undefined;
    const below = priceOf(selection.selectionSet, named);
    // A connection's own fields (pageInfo, totalCount) are not per item; its edges/nodes lists are.
    if (named.name.endsWith('Connection')) return constant(1 + atPage(below, bounded(size ?? DEFAULT_PAGE_SIZE)));
    if (!isList(field.type)) return { alone: 1 + below.alone, withPage: 1 + below.withPage, perItem: below.perItem };
    if (size !== undefined) return constant(1 + bounded(size) * below.alone);
    const unpaged = name === '_entities' ? (representationsOf(selection, variables)?.length ?? 1) : listBound(field);
    return { alone: 1 + Math.max(unpaged, 1) * below.alone, withPage: 1, perItem: below.alone };
  };

  // Recurses into the selection sets written inside one definition, never into a fragment: priced already.
  const priceOf = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined): Price => {
    const total = constant(0);
    for (const selection of selectionSet.selections) {
      let price: Price | undefined;
      if (selection.kind === Kind.FIELD) {
        price = fieldPrice(selection, parentType);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        price = priceOf(selection.selectionSet, condition === undefined ? parentType : compositeType(condition));
      } else {
        // Unknown, or the spread that closes a fragment loop: nothing.
        const fragment = fragments[selection.name.value];
        price = fragment && fragmentPrices.get(fragment);
      }
      if (!price) continue;
      total.alone += price.alone;
      total.withPage += price.withPage;
      total.perItem += price.perItem;
    }
    return total;
  };

  const definitions = Object.values(fragments).filter((fragment) => fragment !== undefined);
  for (const fragment of fragmentsInSpreadOrder(definitions, fragments).order) {
    // A field inside a fragment belongs to the fragment's type; one of an unknown type costs nothing.
    fragmentPrices.set(fragment, priceOf(fragment.selectionSet, compositeType(fragment.typeCondition.name.value)));
  }
  return priceOf(operation.selectionSet, root).alone;
}

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/** How many items a list without `first` can hold: its declared `maxItems`, else a whole page. */
function listBound(field: GraphQLField<unknown, unknown>): number {
  const declared = (field.extensions as Record<string, unknown> | undefined)?.[MAX_ITEMS_EXTENSION];
  return typeof declared === 'number' ? declared : MAX_PAGE_SIZE;
}
