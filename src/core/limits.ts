import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  isUnionType,
} from 'graphql';
import { badCursor, badRepresentation, queryLimitExceeded, queryTooNested } from './errors.js';
import { argumentValue, estimateCost, representationsOf } from './query-cost.js';
import { fragmentsOf, type Fragments } from './selection.js';
import { Rule } from './field-rules.js';

/**
 * Limits against abusive queries, the one policy of every entry point (HTTP POST and GET, graphql-ws,
 * `_entities`), each checked before the work it bounds:
 * - the query text's nesting before it is parsed, and its tokens while it is (`checkQueryText`, parse options);
 * - the document's shape before graphql-js validates it (src/core/document-shape.ts): selections with
 *   fragments spread in place, per selection set and merged into one field, depth and aliases, all in
 *   time linear in the document, so that neither validation nor our own walks can be made to blow up;
 * - the operation's arguments and estimated cost once it is resolved, before anything executes
 *   (`checkOperation`: the cost needs the variables, src/core/query-cost.ts).
 * Request size and batching are limited by the HTTP layer (src/core/http.ts) and page size by the builder.
 */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** Selections (fields, inline fragments, fragment spreads) with every fragment spread in place. */
  maxSelections: number;
  /** Selections written in one selection set. */
  maxSelectionsPerSet: number;
  /** Selections that merge into one field of the answer (the same name or alias at one place). */
  maxMergedSelections: number;
  /** Most representations one `_entities` call may resolve (MAX_ENTITY_REPRESENTATIONS). */
  maxRepresentations: number;
  /** Deepest nesting of `{`, `(` and `[` in the query text, checked before it is parsed. */
  maxNesting: number;
  /** Most tokens the parser reads from one document before giving up. */
  maxTokens: number;
}

/**
 * The operations of operations/*.graphql (those of the web app among them) hold at most 62 selections
 * with their fragments spread in place, 16 in one set, 2 merged into one field, depth 5; tools' full
 * introspection query 230 (240 with every option), 8, 1 and 6. The shape limits leave them that much room
 * and more, while bounding graphql-js validation (which compares every pair of merged fields, and of
 * fragments spread in one set) to a few milliseconds at worst.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 25_000,
  maxSelections: 1_000,
  maxSelectionsPerSet: 50,
  maxMergedSelections: 10,
  maxRepresentations: 500,
  maxNesting: 64,
  maxTokens: 10_000,
};

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The entity types `_entities` resolves (the members of federation's `_Entity` union), per schema. */
const entityTypesOf = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
function entityTypes(schema: GraphQLSchema): ReadonlySet<string> {
  let names = entityTypesOf.get(schema);
  if (!names) {
    const union = schema.getType('_Entity');
    names = new Set(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
    entityTypesOf.set(schema, names);
  }
  return names;
}

/**
 * Entity representations are checked before anything resolves: at most `maxRepresentations`, each an
 * object with the `__typename` of an entity type and an `id` that is a UUID string. An object `id` would
 * otherwise reach Prisma as a filter (`{ "not": … }`), a number or `null` an internal error, and so would
 * a type that is no entity (`Profile`, `Query`), from federation's resolver.
 */
function checkRepresentations(
  schema: GraphQLSchema,
  selection: FieldNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const representations = representationsOf(selection, variables) ?? [];
  if (representations.length > limits.maxRepresentations) {
    throw queryLimitExceeded(
      `_entities got ${representations.length} representations; the limit is ${limits.maxRepresentations} per request`,
    );
  }
  const entities = entityTypes(schema);
  representations.forEach((representation, index) => {
    const at = `representations[${index}]`;
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
      throw badRepresentation(at, 'expected an object with __typename and id', Rule.invalidValue);
    }
    const { __typename: typename, id } = representation as Record<string, unknown>;
    if (typeof typename !== 'string')
      throw badRepresentation(`${at}.__typename`, 'expected a type name', Rule.unknownType);
    if (!entities.has(typename)) {
      throw badRepresentation(
        `${at}.__typename`,
        `expected an entity type: ${[...entities].join(', ')}`,
        Rule.unknownType,
      );
    }
    if (typeof id !== 'string' || !UUID.test(id))
      throw badRepresentation(`${at}.id`, 'expected a UUID string', Rule.uuid);
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

/**
 * Checks the arguments no field can take as they are: entity representations and cursors. Each field the
 * operation reaches is read once, however often its fragment is spread: its arguments are the same each
 * time. (`_entities` is a field of Query alone: wherever it is, validation put it at the root.)
 */
function checkArguments(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  limits: QueryLimits,
) {
  const reached = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (fragment && !reached.has(fragment.name.value)) {
          reached.add(fragment.name.value);
          pending.push(fragment.selectionSet);
        }
        continue;
      }
      if (selection.selectionSet) pending.push(selection.selectionSet);
      if (selection.kind !== Kind.FIELD) continue;
      if (selection.name.value === '_entities') checkRepresentations(schema, selection, variables, limits);
      for (const argument of selection.arguments ?? []) {
        if (argument.name.value === 'after' || argument.name.value === 'before') checkCursor(argument, variables);
      }
    }
  }
}

/**
 * The policy for an operation, before anything executes, whatever the entry point (HTTP, graphql-ws):
 * entity representations and cursors are well formed, and the estimated cost is within the limit. (The
 * document's shape was checked before validation: `checkDocument`.)
 */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const fragments = fragmentsOf(document);
  checkArguments(schema, operation, fragments, variables, limits);
  const cost = estimateCost(schema, operation, fragments, variables, limits.maxCost);
  if (cost > limits.maxCost) {
    throw queryLimitExceeded(`Query cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages`);
  }
}

/**
 * Applies `checkOperation` to every HTTP request (GET and POST) once Apollo has resolved its operation,
 * with the request's variables: a query text already seen skips the checks made before Apollo (text, shape,
 * and the operation with the variables it came with: src/core/apollo.ts).
 */
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
