import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  type FieldNode,
  type FragmentDefinitionNode,
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

/**
 * Limits against abusive queries (SPEC §8): depth, aliases and an estimated
 * cost. Depth and aliases are validation rules (no variables needed); cost
 * needs the variables (`first`), so it is checked once the operation is
 * resolved, before anything executes. Request size and batching are limited by
 * the HTTP layer (src/core/server.ts) and page size by the builder.
 */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** Estimated length of a list that takes no `first` argument. */
const BOUNDED_LIST_SIZE = 10;

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 12, maxAliases: 30, maxCost: 25_000 };

const limitError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

function fragmentsOf(definitions: readonly { kind: Kind }[]): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      const fragment = definition as FragmentDefinitionNode;
      fragments.set(fragment.name.value, fragment);
    }
  }
  return fragments;
}

/**
 * Walks a selection set through fragments (each fragment once per path, so cycles cannot loop).
 * `introspection`: the field is a meta field (`__schema`, `__type`, `__typename`) or below one.
 */
function walk(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visit: (field: FieldNode, depth: number, introspection: boolean) => void,
  depth = 1,
  seen: ReadonlySet<string> = new Set(),
  inIntrospection = false,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const introspection = inIntrospection || selection.name.value.startsWith('__');
      visit(selection, depth, introspection);
      if (selection.selectionSet) walk(selection.selectionSet, fragments, visit, depth + 1, seen, introspection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      walk(selection.selectionSet, fragments, visit, depth, seen, inIntrospection);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment && !seen.has(name)) {
        walk(fragment.selectionSet, fragments, visit, depth, new Set([...seen, name]), inIntrospection);
      }
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
            context.reportError(limitError(`Query depth ${deepest} exceeds the limit of ${limits.maxDepth}`));
          }
          if (aliases > limits.maxAliases) {
            context.reportError(limitError(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`));
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
  fragments: Map<string, FragmentDefinitionNode>,
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

  // `pageSize`: inside a connection, its edges/nodes lists hold `first` items.
  const costOf = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    seen: ReadonlySet<string>,
    pageSize?: number,
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = fieldOf(parent, selection.name.value);
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
            cost += costOf(selection.selectionSet, named, seen, size);
          } else {
            const below = costOf(selection.selectionSet, named, seen, isList(field.type) ? undefined : pageSize);
            // A plain list with no `first` (an assignment's completions, analytics rows) is a small,
            // bounded relation: estimate it at BOUNDED_LIST_SIZE items, not a whole page.
            const items = firstArg !== undefined || pageSize !== undefined ? size : BOUNDED_LIST_SIZE;
            cost += (isList(field.type) ? items : 1) * below;
          }
        }
        total += cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        if (type && (isObjectType(type) || isInterfaceType(type) || isUnionType(type))) {
          total += costOf(selection.selectionSet, type, seen, pageSize);
        }
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && !seen.has(name) && type && (isObjectType(type) || isInterfaceType(type) || isUnionType(type))) {
          total += costOf(fragment.selectionSet, type, new Set([...seen, name]), pageSize);
        }
      }
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
            throw limitError(`Query cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages`);
          }
        },
      };
    },
  };
}
