import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  type DefinitionNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  isObjectType,
  isInterfaceType,
  isUnionType,
  type GraphQLCompositeType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './builder.js';
import { queryLimitExceeded } from './errors.js';
import { fieldsOf, type Fragments } from './selection.js';

/**
 * Limits against abusive queries: depth, aliases and an estimated
 * cost. Depth and aliases are validation rules (no variables needed); cost
 * needs the variables (`first`), so it is checked once the operation is
 * resolved, before anything executes. Request size and batching are limited by
 * the HTTP layer (src/core/http.ts) and page size by the builder.
 */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** Estimated length of a list that takes no `first` argument. */
const BOUNDED_LIST_SIZE = 10;

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 12, maxAliases: 30, maxCost: 25_000 };

/** The operation's fragment definitions by name. */
function fragmentsOf(definitions: readonly DefinitionNode[]): Fragments {
  return Object.fromEntries(
    definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

/**
 * Visits every field of a selection set and of the selections below it, with its depth (fragments do not add
 * depth). `introspection`: the field is a meta field (`__schema`, `__type`, `__typename`) or below one.
 */
function walk(
  selectionSet: SelectionSetNode,
  fragments: Fragments,
  visit: (field: FieldNode, depth: number, introspection: boolean) => void,
  depth = 1,
  spread: ReadonlySet<string> = new Set(),
  inIntrospection = false,
): void {
  for (const selected of fieldsOf(selectionSet, fragments, spread)) {
    const introspection = inIntrospection || selected.field.name.value.startsWith('__');
    visit(selected.field, depth, introspection);
    if (selected.field.selectionSet) {
      walk(selected.field.selectionSet, fragments, visit, depth + 1, selected.spread, introspection);
    }
  }
}

export function depthAndAliasRules(limits: QueryLimits): ValidationRule[] {
  return [
    (context) => {
      const fragments = fragmentsOf(context.getDocument().definitions);
      return {
        OperationDefinition(operation: OperationDefinitionNode) {
          let deepest = 0;
          let aliases = 0;
          walk(operation.selectionSet, fragments, (field, depth, introspection) => {
            // Introspection does not count toward depth: the standard introspection query that IDEs and
            // tools send nests `ofType` 15 levels deep. It is off in production unless enabled.
            if (!introspection) deepest = Math.max(deepest, depth);
            if (field.alias) aliases++;
          });
          if (deepest > limits.maxDepth) {
            context.reportError(queryLimitExceeded(`Query depth ${deepest} exceeds the limit of ${limits.maxDepth}`));
          }
          if (aliases > limits.maxAliases) {
            context.reportError(queryLimitExceeded(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`));
          }
        },
      };
    },
  ];
}

/**
 * Estimated cost: every field costs 1; a list multiplies what is selected
 * below it by its page size (`first`, else the default page size).
 */
export function estimateCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): number {
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return 0;

  const fieldOf = (parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined =>
    isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;

  const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

  const compositeType = (name: string): GraphQLCompositeType | undefined => {
    const type = schema.getType(name);
    return type && (isObjectType(type) || isInterfaceType(type) || isUnionType(type)) ? type : undefined;
  };

  // `pageSize`: inside a connection, its edges/nodes lists hold `first` items.
  const costOf = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    spread: ReadonlySet<string>,
    pageSize?: number,
  ): number => {
    let total = 0;
    for (const selected of fieldsOf(selectionSet, fragments, spread)) {
      const selection = selected.field;
      // A field inside a fragment belongs to the fragment's type; one of an unknown type costs nothing.
      const parent = selected.typeCondition === undefined ? parentType : compositeType(selected.typeCondition);
      const field = parent && fieldOf(parent, selection.name.value);
      if (!field) continue;
      let cost = 1;
      const named = getNamedType(field.type);
      if (selection.selectionSet && (isObjectType(named) || isInterfaceType(named) || isUnionType(named))) {
        const firstArg = selection.arguments?.find((argument) => argument.name.value === 'first');
        let size = pageSize ?? DEFAULT_PAGE_SIZE;
        if (firstArg?.value.kind === Kind.INT) size = Number(firstArg.value.value);
        if (firstArg?.value.kind === Kind.VARIABLE) {
          const value = variables[firstArg.value.name.value];
          if (typeof value === 'number') size = value;
        }
        // Pages are capped at MAX_PAGE_SIZE, so a larger `first` costs no more than that.
        size = Math.min(Math.max(size, 1), MAX_PAGE_SIZE);
        if (named.name.endsWith('Connection')) {
          // A connection's own fields (pageInfo, totalCount) are not per item; its edges/nodes lists are.
          cost += costOf(selection.selectionSet, named, selected.spread, size);
        } else {
          const below = costOf(
            selection.selectionSet,
            named,
            selected.spread,
            isList(field.type) ? undefined : pageSize,
          );
          // A plain list with no `first` (an assignment's completions, analytics rows) is a small,
          // bounded relation: estimate it at BOUNDED_LIST_SIZE items, not a whole page.
          const items = firstArg !== undefined || pageSize !== undefined ? size : BOUNDED_LIST_SIZE;
          cost += (isList(field.type) ? items : 1) * below;
        }
      }
      total += cost;
    }
    return total;
  };
  return costOf(operation.selectionSet, root, new Set());
}

/** Refuses operations whose estimated cost is above the limit, before they execute. */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = estimateCost(schema, operation, fragmentsOf(document.definitions), request.variables ?? {});
          if (cost > limits.maxCost) {
            throw queryLimitExceeded(
              `Query cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages`,
            );
          }
        },
      };
    },
  };
}
