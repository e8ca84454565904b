import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  getNamedType,
  valueFromASTUntyped,
  type ArgumentNode,
  type DocumentNode,
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
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';
import { badCursor, badRepresentation, queryLimitExceeded, queryTooNested } from './errors.js';
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
  /** Most representations one `_entities` call may resolve (MAX_ENTITY_REPRESENTATIONS). */
  maxRepresentations: number;
  /** Deepest nesting of `{`, `(` and `[` in the query text, checked before it is parsed. */
  maxNesting: number;
  /** Most tokens the parser reads from one document before giving up. */
  maxTokens: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 25_000,
  maxRepresentations: 500,
  maxNesting: 64,
  maxTokens: 10_000,
};

/**
 * A list field can state how long it can be with `extensions: { maxItems }` (a list with one row per value
 * of an enum); one that does not, and takes no `first`, is priced as a whole page (MAX_PAGE_SIZE).
 */
export const MAX_ITEMS_EXTENSION = 'maxItems';

/** graphql-js parse options for every entry point: the token limit. */
export const parseOptionsOf = (limits: QueryLimits) => ({ maxTokens: limits.maxTokens });

/**
 * Refuses query text nested deeper than `limits.maxNesting` (braces, parentheses, brackets outside strings
 * and comments) before the recursive parser sees it: thousands of `{` would exhaust its stack.
 */
export function checkQueryText(query: string, limits: QueryLimits): void {
  let depth = 0;
  for (let i = 0; i < query.length; i++) {
    const char = query[i];
    if (char === '#') {
      while (i < query.length && query[i] !== '\n' && query[i] !== '\r') i++;
    } else if (char === '"') {
      if (query.startsWith('"""', i)) {
        const end = query.indexOf('"""', i + 3);
        i = end < 0 ? query.length : end + 2;
      } else {
        for (i++; i < query.length && query[i] !== '"' && query[i] !== '\n'; i++) if (query[i] === '\\') i++;
      }
    } else if (char === '{' || char === '(' || char === '[') {
      if (++depth > limits.maxNesting) {
        throw queryTooNested(`Query text is nested more than ${limits.maxNesting} levels deep`);
      }
    } else if (char === '}' || char === ')' || char === ']') {
      depth--;
    }
  }
}

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
        const first = firstArg ? argumentValue(firstArg, variables) : undefined;
        const declaredFirst = field.args.find((argument) => argument.name === 'first')?.defaultValue;
        // `first` as sent, else the argument's default, else (a connection) the default page size.
        let size = typeof first === 'number' ? first : typeof declaredFirst === 'number' ? declaredFirst : undefined;
        // Pages are capped at MAX_PAGE_SIZE, so a larger `first` costs no more than that.
        const bounded = (n: number) => Math.min(Math.max(n, 1), MAX_PAGE_SIZE);
        if (named.name.endsWith('Connection')) {
          // A connection's own fields (pageInfo, totalCount) are not per item; its edges/nodes lists are.
          cost += costOf(selection.selectionSet, named, selected.spread, bounded(size ?? DEFAULT_PAGE_SIZE));
        } else {
          const below = costOf(
            selection.selectionSet,
            named,
            selected.spread,
            isList(field.type) ? undefined : pageSize,
          );
          if (size !== undefined) size = bounded(size);
          else if (pageSize !== undefined) size = pageSize;
          else if (selection.name.value === '_entities') size = representationsOf(selection, variables)?.length ?? 1;
          else size = listBound(field);
          cost += (isList(field.type) ? Math.max(size, 1) : 1) * below;
        }
      }
      total += cost;
    }
    return total;
  };
  return costOf(operation.selectionSet, root, new Set());
}

/** How many items a list without `first` can hold: its declared `maxItems`, else a whole page. */
function listBound(field: GraphQLField<unknown, unknown>): number {
  const declared = (field.extensions as Record<string, unknown> | undefined)?.[MAX_ITEMS_EXTENSION];
  return typeof declared === 'number' ? declared : MAX_PAGE_SIZE;
}

/** An argument's value, from the query text or the variables. */
function argumentValue(argument: ArgumentNode, variables: Record<string, unknown>): unknown {
  return valueFromASTUntyped(argument.value, variables);
}

/** The `representations` an `_entities` selection asks for, when they are a list. */
function representationsOf(selection: FieldNode, variables: Record<string, unknown>): unknown[] | undefined {
  const argument = selection.arguments?.find((candidate) => candidate.name.value === 'representations');
  const value = argument ? argumentValue(argument, variables) : undefined;
  return Array.isArray(value) ? value : value === undefined || value === null ? undefined : [value];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Entity representations are checked before anything resolves: at most `maxRepresentations`, each an
 * object with a `__typename` and an `id` that is a UUID string. An object `id` would otherwise reach
 * Prisma as a filter (`{ "not": … }`), and a number or `null` as an internal error.
 */
function checkRepresentations(selection: FieldNode, variables: Record<string, unknown>, limits: QueryLimits): void {
  const representations = representationsOf(selection, variables) ?? [];
  if (representations.length > limits.maxRepresentations) {
    throw queryLimitExceeded(
      `_entities got ${representations.length} representations; the limit is ${limits.maxRepresentations} per request`,
    );
  }
  representations.forEach((representation, index) => {
    const at = `representations[${index}]`;
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
      throw badRepresentation(at, 'expected an object with __typename and id');
    }
    const { __typename: typename, id } = representation as Record<string, unknown>;
    if (typeof typename !== 'string') throw badRepresentation(`${at}.__typename`, 'expected a type name');
    if (typeof id !== 'string' || !UUID.test(id)) throw badRepresentation(`${at}.id`, 'expected a UUID string');
  });
}

/**
 * Every connection of this API pages by id: a cursor is `GPC:S:<uuid>` in base64. One that does not decode
 * to that (a forged or foreign cursor) is refused here instead of reaching the database.
 */
function checkCursor(argument: ArgumentNode, variables: Record<string, unknown>): void {
  const value = argumentValue(argument, variables);
  if (value === undefined || value === null) return;
  const decoded = typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
  if (!decoded.startsWith('GPC:S:') || !UUID.test(decoded.slice(6))) throw badCursor(argument.name.value);
}

/** Checks the arguments no field can take as they are: entity representations and cursors. */
function checkArguments(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  limits: QueryLimits,
) {
  walk(operation.selectionSet, fragments, (field, depth) => {
    if (depth === 1 && field.name.value === '_entities') checkRepresentations(field, variables, limits);
    for (const argument of field.arguments ?? []) {
      if (argument.name.value === 'after' || argument.name.value === 'before') checkCursor(argument, variables);
    }
  });
}

/**
 * The one policy for an operation, before anything executes, whatever the entry point (HTTP, graphql-ws):
 * entity representations and cursors are well formed, and the estimated cost is within the limit.
 * (Depth and aliases are validation rules, run with graphql-js' own.)
 */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const fragments = fragmentsOf(document.definitions);
  checkArguments(operation, fragments, variables, limits);
  const cost = estimateCost(schema, operation, fragments, variables);
  if (cost > limits.maxCost) {
    throw queryLimitExceeded(`Query cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages`);
  }
}

/** Applies `checkOperation` to every HTTP request (the text nesting is checked before Apollo: src/core/apollo.ts). */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          checkOperation(schema, document, operation, request.variables ?? {}, limits);
        },
      };
    },
  };
}
