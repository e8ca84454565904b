import {
  getNamedType,
  getOperationAST,
  GraphQLObjectType,
  Kind,
  visit,
  BREAK,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { plainRoots, plainTypes, type PlainLeaf, type PlainRelation, type PlainRoot } from './registry.js';

/**
 * Which operations PostgreSQL answers alone, worked out once per parsed document and operation name: a query
 * whose only root field is a registered connection, asking of it `nodes` (of plain fields, to any depth of plain
 * relations), `totalCount` and `__typename`, and nothing else anywhere — no fragment, no directive, no argument
 * below the root field, no response key twice. Everything else is graphql-js's, unchanged.
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

/** Not answerable by PostgreSQL alone: graphql-js answers. */
class NotPlain extends Error {}

const plans = new WeakMap<DocumentNode, Map<string, PlainPlan | null>>();

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
  if (plan === undefined) {
    try {
      plan = planOf(schema, document, operationName);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      plan = null;
    }
    byName.set(name, plan);
  }
  return plan;
}

function planOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): PlainPlan {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'query') throw new NotPlain();
  let special = false;
  visit(operation, {
    enter(node) {
      if (node.kind === Kind.DIRECTIVE || node.kind === Kind.FRAGMENT_SPREAD || node.kind === Kind.INLINE_FRAGMENT) {
        special = true;
        return BREAK;
      }
      return undefined;
    },
  });
  if (special) throw new NotPlain();
  const [rootNode, ...others] = fieldsOf(operation.selectionSet);
  if (!rootNode || others.length) throw new NotPlain();
  const root = plainRoots.get(rootNode.name.value);
  const rootField = schema.getQueryType()?.getFields()[rootNode.name.value];
  if (!root || !rootField || !rootNode.selectionSet) throw new NotPlain();
  // The one scope the fast path checks is "a caller": a field guarded by anything else is graphql-js's.
  const scopes = (rootField.extensions.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
  if (JSON.stringify(scopes) !== '{"authenticated":true}') throw new NotPlain();
  const connectionType = objectType(getNamedType(rootField.type));
  if (hasAuthScopes(connectionType.extensions)) throw new NotPlain();
  const connection: ConnectionEntry[] = fieldsOf(rootNode.selectionSet).map((node): ConnectionEntry => {
    const key = responseKey(node);
    if (node.name.value === '__typename') return { key, typename: connectionType.name };
    if (node.arguments?.length || (node.name.value !== 'nodes' && node.name.value !== 'totalCount')) {
      throw new NotPlain();
    }
    if (hasAuthScopes(connectionType.getFields()[node.name.value]!.extensions)) throw new NotPlain();
    if (node.name.value === 'totalCount') return { key, totalCount: true };
    const nodeType = objectType(getNamedType(connectionType.getFields().nodes!.type));
    return { key, nodes: objectPlan(nodeType, node.selectionSet) };
  });
  return { operation, rootKey: responseKey(rootNode), rootNode, rootField, root, connection };
}

function objectPlan(type: GraphQLObjectType, selectionSet: SelectionSetNode | undefined): PlainEntry[] {
  const fields = plainTypes.get(type.name);
  if (!fields || !selectionSet || hasAuthScopes(type.extensions)) throw new NotPlain();
  return fieldsOf(selectionSet).map((node): PlainEntry => {
    const key = responseKey(node);
    if (node.name.value === '__typename') return { key, typename: type.name };
    const field = Object.hasOwn(fields, node.name.value) ? fields[node.name.value] : undefined;
    const definition = type.getFields()[node.name.value];
    if (!field || !definition || definition.args.length || node.arguments?.length) throw new NotPlain();
    if (hasAuthScopes(definition.extensions)) throw new NotPlain();
    if (typeof field === 'function') {
      if (node.selectionSet) throw new NotPlain();
      return { key, leaf: field };
    }
    const related = objectType(getNamedType(definition.type));
    if (related.name !== field.type) throw new NotPlain();
    return { key, relation: field, object: objectPlan(related, node.selectionSet) };
  });
}

const hasAuthScopes = (extensions: Readonly<Record<string, unknown>>) =>
  (extensions.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes !== undefined;

function objectType(type: unknown): GraphQLObjectType {
  if (!(type instanceof GraphQLObjectType)) throw new NotPlain();
  return type;
}

/** The selection's fields, each response key once; a key beginning with `__` is only `__typename` itself. */
function fieldsOf(selectionSet: SelectionSetNode): FieldNode[] {
  const keys = new Set<string>();
  return selectionSet.selections.map((selection) => {
    if (selection.kind !== Kind.FIELD) throw new NotPlain();
    const key = responseKey(selection);
    if (keys.has(key) || (key.startsWith('__') && (key !== '__typename' || selection.alias))) throw new NotPlain();
    keys.add(key);
    return selection;
  });
}

const responseKey = (node: FieldNode) => node.alias?.value ?? node.name.value;
