import {
  defaultFieldResolver,
  getNamedType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  valueFromASTUntyped,
  type FieldNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Fragments } from './selection.js';

/**
 * Introspection priced like any other selection — every field 1, a list its length — with the lengths
 * read from the schema itself: the number of fields of the answer, counted by graphql-js' own
 * introspection resolvers over the schema (no database). So tools' full introspection query costs what it
 * answers (5,577 fields here) and 30 aliased `__schema` trees cost 30 times that, refused; so does a tree
 * that nests `fields { type { fields … } }` to multiply its answer.
 *
 * The counting is bounded by the limit, not by the answer: each selection set is planned once per
 * introspection type (its leaf fields counted, its object fields listed), each plan evaluated once per
 * schema element it applies to, and counting stops once more than `limit` fields were counted afresh
 * (the total is then past the limit, and the request refused). The resolvers read the schema alone:
 * `info` holds nothing else.
 */

type Field = GraphQLField<unknown, unknown>;

/**
 * A selection set applied to one introspection type, fragments spread in: what an object of that type
 * answers. Plans are shared by content (which leaves do not matter, only how many; aliases and order
 * neither), so 30 aliased copies of a tree are one plan, each element of the schema counted once for it.
 */
interface Plan {
  /** Leaf fields (a name, a kind, `__typename`): one answer field each. */
  leaves: number;
  /** Object and list fields: one answer field each, plus what their values answer. */
  objects: { field: Field; args: Record<string, unknown>; plan: Plan }[];
}

export function introspectionCounter(
  schema: GraphQLSchema,
  fragments: Fragments,
  variables: Record<string, unknown>,
  limit: number,
): (selection: FieldNode) => number {
  const plans = new Map<SelectionSetNode, Map<GraphQLObjectType, Plan>>();
  const planByContent = new Map<string, Plan>();
  const planIds = new Map<Plan, number>();
  const answers = new Map<Plan, Map<unknown, number>>();
  const info = { schema } as GraphQLResolveInfo;
  let counted = 0;

  const argumentsOf = (selection: FieldNode) =>
    Object.fromEntries(
      (selection.arguments ?? []).map((argument) => [
        argument.name.value,
        valueFromASTUntyped(argument.value, variables),
      ]),
    );

  const planOf = (selectionSet: SelectionSetNode, type: GraphQLObjectType): Plan => {
    let byType = plans.get(selectionSet);
    const known = byType?.get(type);
    if (known) return known;
    const plan: Plan = { leaves: 0, objects: [] };
    if (!byType) plans.set(selectionSet, (byType = new Map()));
    // Set before it is filled: a fragment that spreads itself (a validation error) adds nothing.
    byType.set(type, plan);
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = type.getFields()[selection.name.value];
        const below = field && getNamedType(field.type);
        if (field && selection.selectionSet && isObjectType(below)) {
          plan.objects.push({ field, args: argumentsOf(selection), plan: planOf(selection.selectionSet, below) });
        } else if (field || selection.name.value === '__typename') {
          plan.leaves++;
        }
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments[selection.name.value] : selection;
      const condition = fragment?.typeCondition?.name.value;
      if (!fragment || (condition !== undefined && condition !== type.name)) continue;
      const spread = planOf(fragment.selectionSet, type);
      plan.leaves += spread.leaves;
      plan.objects.push(...spread.objects);
    }
    const content = [
      type.name,
      plan.leaves,
      ...plan.objects
        .map(({ field, args, plan: below }) => `${field.name}${JSON.stringify(args)}:${idOf(below)}`)
        .sort(),
    ].join('|');
    const shared = planByContent.get(content) ?? plan;
    planByContent.set(content, shared);
    byType.set(type, shared);
    return shared;
  };

  const idOf = (plan: Plan) => {
    let id = planIds.get(plan);
    if (id === undefined) planIds.set(plan, (id = planIds.size));
    return id;
  };

  /** What each value of an object field answers. */
  const valuesAnswer = ({ field, args, plan }: Plan['objects'][number], source: unknown): number => {
    const value = (field.resolve ?? defaultFieldResolver)(source, args, undefined, info);
    let total = 0;
    for (const item of Array.isArray(value) ? value : value == null ? [] : [value]) {
      if (counted > limit) break;
      total += answer(plan, item);
    }
    return total;
  };

  const answer = (plan: Plan, value: unknown): number => {
    let byValue = answers.get(plan);
    const known = byValue?.get(value);
    if (known !== undefined) return known;
    if (!byValue) answers.set(plan, (byValue = new Map()));
    byValue.set(value, 0);
    counted += plan.leaves + plan.objects.length;
    let total = plan.leaves + plan.objects.length;
    for (const object of plan.objects) {
      if (counted > limit) break;
      total += valuesAnswer(object, value);
    }
    byValue.set(value, total);
    return total;
  };

  return (selection) => {
    const name = selection.name.value;
    const meta = name === '__schema' ? SchemaMetaFieldDef : name === '__type' ? TypeMetaFieldDef : undefined;
    const type = meta && getNamedType(meta.type);
    if (!meta || !selection.selectionSet || !isObjectType(type)) return name === '__typename' || meta ? 1 : 0;
    counted++;
    const root = { field: meta, args: argumentsOf(selection), plan: planOf(selection.selectionSet, type) };
    return 1 + valuesAnswer(root, undefined);
  };
}
