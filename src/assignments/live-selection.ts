import { createHash } from 'node:crypto';
import {
  getNamedType,
  isLeafType,
  isObjectType,
  Kind,
  print,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * Which live payloads can be shaped once and shared by every subscriber allowed
 * to see the row. A selection qualifies when each field it reaches shows the
 * same thing to anyone who may read the assignment: the assignment's own
 * columns, its course, trigger and completions (visible exactly when the
 * assignment is), and the ids and directory names of the people on it (the
 * tenant's directory is readable by everyone in the tenant). Anything else —
 * e.g. `user { trainingAssignments }`, which depends on who asks — is shaped
 * per viewer instead (still once per viewer and selection, not per event read).
 *
 * A viewer-dependent field added to one of these types must be left out here.
 */
const SHARED_LEAVES: Record<string, true | ReadonlySet<string>> = {
  Assignment: true,
  AssignmentTrigger: true,
  Course: true,
  Completion: true,
  User: new Set(['id', 'displayName', 'email']),
};
const SHARED_OBJECTS = new Set([
  'Assignment.course',
  'Assignment.user',
  'Assignment.assignedBy',
  'Assignment.cancelledBy',
  'Assignment.trigger',
  'AssignmentTrigger.person',
  'Assignment.completion',
  'Assignment.completions',
  'Completion.course',
  'Completion.user',
  'Completion.assignment',
  'Course.createdBy',
]);

export function isShareableSelection(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  if (!selectionSet) return true;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      const field = type.getFields()[name];
      if (!field) return false;
      const named = getNamedType(field.type);
      if (isLeafType(named)) {
        const leaves = SHARED_LEAVES[type.name];
        if (!leaves || (leaves !== true && !leaves.has(name))) return false;
      } else {
        if (!SHARED_OBJECTS.has(`${type.name}.${name}`) || !isObjectType(named)) return false;
        if (!isShareableSelection(schema, named, selection.selectionSet, fragments)) return false;
      }
    } else {
      const selectionSetOf = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!selectionSetOf) return false;
      const condition = selectionSetOf.typeCondition?.name.value;
      const conditionType = condition ? schema.getType(condition) : type;
      if (!isObjectType(conditionType)) return false;
      if (!isShareableSelection(schema, conditionType, selectionSetOf.selectionSet, fragments)) return false;
    }
  }
  return true;
}

/** Each operation's canonical form (hashed), computed once per parsed document (they are cached by query text). */
const canonicalForms = new WeakMap<object, string>();
const documents = new WeakMap<object, DocumentNode>();

/**
 * The operation as its payloads see it: printed without its name, with the
 * fragments it may spread, so documents that differ only in operation name,
 * spacing or commas share one form. Aliases are kept: they change the payload.
 */
function canonicalForm(info: GraphQLResolveInfo): string {
  let form = canonicalForms.get(info.operation);
  if (form === undefined) {
    const text = [
      print({ ...info.operation, name: undefined }),
      ...Object.keys(info.fragments)
        .sort()
        .map((name) => print(info.fragments[name]!)),
    ].join('\n');
    form = createHash('sha256').update(text).digest('base64url');
    canonicalForms.set(info.operation, form);
  }
  return form;
}

/**
 * What makes two subscriptions' payloads identical for the same row: the same
 * canonical operation and the same variables, except the `userId` argument —
 * who is followed decides which rows, not how a row looks. Subscribers with the
 * same key share one execution and one serialized payload per row.
 */
export function selectionKey(info: GraphQLResolveInfo): string {
  const userIdArgument = info.fieldNodes[0]?.arguments?.find((argument) => argument.name.value === 'userId');
  const variables: Record<string, unknown> = { ...info.variableValues };
  if (userIdArgument?.value.kind === Kind.VARIABLE) delete variables[userIdArgument.value.name.value];
  return `${canonicalForm(info)}:${JSON.stringify(variables)}`;
}

/** The operation and its fragments as a document, to execute a row against once per selection. */
export function operationDocument(info: GraphQLResolveInfo): DocumentNode {
  let document = documents.get(info.operation);
  if (!document) {
    document = { kind: Kind.DOCUMENT, definitions: [info.operation, ...Object.values(info.fragments)] };
    documents.set(info.operation, document);
  }
  return document;
}
