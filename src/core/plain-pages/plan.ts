import {
  getNamedType,
  getOperationAST,
  GraphQLObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { plainRoots, plainTypes, type PlainLeaf, type PlainRelation, type PlainRoot } from './registry.js';

/**
 * Which selections PostgreSQL answers alone, worked out once per parsed document: a query whose only root field
 * is a registered connection, asking of it `nodes` (of plain fields, to any depth of plain relations),
 * `totalCount` and `__typename`; or one field's selection of a plain object type (a subscription's event).
 * Fields are collected as graphql-js collects them — through fragment spreads and inline fragments on the
 * object's own type, a response key asked twice merged into its first place — and nothing else is plain: no
 * directive, no argument below the root field, no fragment on another type. Everything else is graphql-js's.
 */

/** One constant, leaf or relation of an answer's object, under its response key, in the order graphql-js writes them. */
export type PlainEntry =
  | { key: string; typename: string }
  | { key: string; leaf: PlainLeaf }
  | { key: string; relation: PlainRelation; object: PlainEntry[] };

export type ConnectionEntry =
  { key: string; typename: string } | { key: string; totalCount: true } | { key: string; nodes: PlainEntry[] };

export interface PlainPlan {
  operation: OperationDefinitionNode;
  rootKey: string;
  rootNode: FieldNode;
  rootField: GraphQLField<unknown, unknown>;
  root: PlainRoot;
  connection: ConnectionEntry[];
}

/** One field's plain selection: its response key and its object's entries. */
export interface PlainSelection {
  key: string;
  object: PlainEntry[];
}

/** Not answerable by PostgreSQL alone: graphql-js answers. */
class NotPlain extends Error {}

type Fragments = Readonly<Record<string, FragmentDefinitionNode>>;

const plans = new WeakMap<DocumentNode, Map<string, PlainPlan | null>>();
const selections = new WeakMap<FieldNode, PlainSelection | null>();

/** The plan for this document's operation, or null when graphql-js must run it. */
export function plainPlanOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): PlainPlan | null {
  let byName = plans.get(document);
  if (!byName) plans.set(document, (byName = new Map()));
  const name = operationName ?? '';
  let plan = byName.get(name);
  if (plan === undefined) byName.set(name, (plan = plainOrNull(() => planOf(schema, document, operationName))));
  return plan;
}

/**
 * The plain selection of the field `info` resolves (its sub-selection of an object type), or null when
 * graphql-js must shape it. Its own arguments do not matter: they pick rows, not how a row reads.
 */
export function plainSelectionOf(info: GraphQLResolveInfo): PlainSelection | null {
  const [first] = info.fieldNodes;
  if (!first) return null;
  let selection = selections.get(first);
  if (selection === undefined) {
    selection = plainOrNull(() => {
      if (info.operation.directives?.length || info.fieldNodes.some((node) => node.directives?.length)) {
        throw new NotPlain();
      }
      const type = objectType(getNamedType(info.returnType));
      return { key: responseKey(first), object: objectPlan(type, selectionSetsOf(info.fieldNodes), info.fragments) };
    });
    selections.set(first, selection);
  }
  return selection;
}

function plainOrNull<T>(plan: () => T): T | null {
  try {
    return plan();
  } catch (error) {
    if (!(error instanceof NotPlain)) throw error;
    return null;
  }
}

function planOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): PlainPlan {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'query' || operation.directives?.length) throw new NotPlain();
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const queryType = schema.getQueryType();
  if (!queryType) throw new NotPlain();
  const [rootEntry, ...others] = collect(queryType, [operation.selectionSet], fragments);
  const [rootKey, [rootNode, ...repeated]] = rootEntry ?? ['', []];
  if (!rootNode || others.length || repeated.length) throw new NotPlain();
  const root = plainRoots.get(rootNode.name.value);
  const rootField = queryType.getFields()[rootNode.name.value];
  if (!root || !rootField || !rootNode.selectionSet) throw new NotPlain();
  // The one scope the fast path checks is "a caller": a field guarded by anything else is graphql-js's.
  if (JSON.stringify(scopesOf(rootField.extensions)) !== AUTHENTICATED) throw new NotPlain();
  const connectionType = objectType(getNamedType(rootField.type));
  if (guardedBeyondCaller(connectionType.extensions)) throw new NotPlain();
  const connection = collect(connectionType, [rootNode.selectionSet], fragments).map(
    ([key, nodes]): ConnectionEntry => {
      const name = nodes[0]!.name.value;
      if (name === '__typename') return { key, typename: connectionType.name };
      if (nodes.some((node) => node.arguments?.length) || (name !== 'nodes' && name !== 'totalCount')) {
        throw new NotPlain();
      }
      if (guardedBeyondCaller(connectionType.getFields()[name]!.extensions)) throw new NotPlain();
      if (name === 'totalCount') return { key, totalCount: true };
      const nodeType = objectType(getNamedType(connectionType.getFields().nodes!.type));
      return { key, nodes: objectPlan(nodeType, selectionSetsOf(nodes), fragments) };
    },
  );
  return { operation, rootKey, rootNode, rootField, root, connection };
}

function objectPlan(type: GraphQLObjectType, sets: readonly SelectionSetNode[], fragments: Fragments): PlainEntry[] {
  const fields = plainTypes.get(type.name);
  if (!fields || guardedBeyondCaller(type.extensions)) throw new NotPlain();
  return collect(type, sets, fragments).map(([key, nodes]): PlainEntry => {
    const name = nodes[0]!.name.value;
    if (name === '__typename') return { key, typename: type.name };
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const definition = type.getFields()[name];
    if (!field || !definition || definition.args.length || nodes.some((node) => node.arguments?.length)) {
      throw new NotPlain();
    }
    if (guardedBeyondCaller(definition.extensions)) throw new NotPlain();
    if (typeof field === 'function') {
      if (nodes.some((node) => node.selectionSet)) throw new NotPlain();
      return { key, leaf: field };
    }
    const related = objectType(getNamedType(definition.type));
    if (related.name !== field.type) throw new NotPlain();
    return { key, relation: field, object: objectPlan(related, selectionSetsOf(nodes), fragments) };
  });
}

/**
 * The fields these selection sets ask of `type`, by response key in the order graphql-js's `collectFields`
 * meets them, each with every node asking it (their sub-selections are merged, as graphql-js merges them).
 * Validation has made the nodes of one key the same field with the same arguments.
 */
function collect(
  type: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
  fragments: Fragments,
  fields = new Map<string, FieldNode[]>(),
  spread = new Set<string>(),
): [string, FieldNode[]][] {
  for (const set of sets) {
    for (const selection of set.selections) {
      if (selection.directives?.length) throw new NotPlain();
      if (selection.kind === Kind.FIELD) {
        const key = responseKey(selection);
        if (key.startsWith('__') && (key !== '__typename' || selection.alias)) throw new NotPlain();
        const nodes = fields.get(key);
        if (nodes) nodes.push(selection);
        else fields.set(key, [selection]);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment || fragment.directives?.length) throw new NotPlain();
      const condition = fragment.typeCondition?.name.value;
      if (condition !== undefined && condition !== type.name) throw new NotPlain();
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        // graphql-js spreads a named fragment once per selection: a repeat adds nothing.
        if (spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
      }
      collect(type, [fragment.selectionSet], fragments, fields, spread);
    }
  }
  return [...fields];
}

function selectionSetsOf(nodes: readonly FieldNode[]): SelectionSetNode[] {
  return nodes.map((node) => {
    if (!node.selectionSet) throw new NotPlain();
    return node.selectionSet;
  });
}

const AUTHENTICATED = '{"authenticated":true}';

const scopesOf = (extensions: Readonly<Record<string, unknown>>) =>
  (extensions.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;

/** Guarded by a scope other than "a caller" (which every plain answer has): graphql-js checks it. */
function guardedBeyondCaller(extensions: Readonly<Record<string, unknown>>): boolean {
  const scopes = scopesOf(extensions);
  return scopes !== undefined && JSON.stringify(scopes) !== AUTHENTICATED;
}

function objectType(type: unknown): GraphQLObjectType {
  if (!(type instanceof GraphQLObjectType)) throw new NotPlain();
  return type;
}

const responseKey = (node: FieldNode) => node.alias?.value ?? node.name.value;
