import {
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';

/**
 * The one walker over a query's selection: the fields a selection set asks for, with
 * those of its named fragments (`...Name`) and inline fragments (`... on Type { }`)
 * spread in. Query limits (depth, aliases, cost), analytics (which figures to compute)
 * and auto-assignment (whether to load the created assignments) all read selections
 * through it, so a field inside a fragment counts everywhere.
 */

export type Fragments = Readonly<Record<string, FragmentDefinitionNode | undefined>>;

export interface SelectedField {
  field: FieldNode;
  /** The type condition of the innermost fragment the field was selected through; undefined: none. */
  typeCondition: string | undefined;
  /**
   * The named fragments spread on the way to this field. Pass it on when walking the field's own
   * selection: a fragment is spread once per path, so a fragment cycle cannot loop.
   */
  spread: ReadonlySet<string>;
}

/** The fields of `selectionSet`, its fragments spread in; not the fields below them. */
export function fieldsOf(
  selectionSet: SelectionSetNode | undefined,
  fragments: Fragments,
  spread: ReadonlySet<string> = new Set(),
  typeCondition?: string,
): SelectedField[] {
  const fields: SelectedField[] = [];
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      fields.push({ field: selection, typeCondition, spread });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value ?? typeCondition;
      fields.push(...fieldsOf(selection.selectionSet, fragments, spread, condition));
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (!fragment || spread.has(name)) continue;
      fields.push(
        ...fieldsOf(fragment.selectionSet, fragments, new Set([...spread, name]), fragment.typeCondition.name.value),
      );
    }
  }
  return fields;
}

/** The names of the fields a resolver's client selected under it (through fragments too). */
export function selectedFieldNames(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): Set<string> {
  return new Set(
    info.fieldNodes.flatMap((node) => fieldsOf(node.selectionSet, info.fragments).map(({ field }) => field.name.value)),
  );
}
