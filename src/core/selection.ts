import {
  Kind,
  type DocumentNode,
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
 * through it, so a field inside a fragment counts everywhere. (It spreads a fragment at every
 * spread: for a resolver's own small selection. The query limits, which read whole documents
 * before they are trusted, compute each fragment once instead: `fragmentsInSpreadOrder`.)
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

/** A document's fragment definitions by name (the last of a name, as graphql-js executes). */
export function fragmentsOf(document: DocumentNode): Fragments {
  return Object.fromEntries(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

/** The fragments spread in `selectionSet` at any level (not inside those fragments); unknown names left out. */
function spreadsIn(selectionSet: SelectionSetNode, fragments: Fragments, read: { selections: number }) {
  const spreads: FragmentDefinitionNode[] = [];
  const pending = [selectionSet];
  for (let set = pending.pop(); set; set = pending.pop()) {
    read.selections += set.selections.length;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (fragment) spreads.push(fragment);
      } else if (selection.selectionSet) {
        pending.push(selection.selectionSet);
      }
    }
  }
  return spreads;
}

export interface SpreadOrder {
  /** Every fragment definition given, each after all the fragments it spreads. */
  order: FragmentDefinitionNode[];
  /** A fragment that spreads itself, directly or through others (a validation error); that spread is cut. */
  cycle?: string;
  /** Selections read to find the order: each definition's once. */
  selectionsRead: number;
}

/**
 * `definitions` in an order where each comes after every fragment it spreads, so that a walker computes
 * each fragment once, from the fragments it spreads already computed: in time linear in the document
 * however often a fragment is spread, and with no recursion however long a chain of fragments is.
 */
export function fragmentsInSpreadOrder(
  definitions: readonly FragmentDefinitionNode[],
  fragments: Fragments,
): SpreadOrder {
  const order: FragmentDefinitionNode[] = [];
  const state = new Map<FragmentDefinitionNode, 'open' | 'done'>();
  const read = { selections: 0 };
  let cycle: string | undefined;
  const open = (fragment: FragmentDefinitionNode) => {
    state.set(fragment, 'open');
    return { fragment, spreads: spreadsIn(fragment.selectionSet, fragments, read), next: 0 };
  };
  for (const root of definitions) {
    if (state.has(root)) continue;
    // Depth-first with an explicit path: a fragment is placed once all it spreads are.
    const path = [open(root)];
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const spread = top.spreads[top.next++];
      if (!spread) {
        path.pop();
        state.set(top.fragment, 'done');
        order.push(top.fragment);
      } else if (state.get(spread) === 'open') {
        cycle ??= spread.name.value;
      } else if (!state.has(spread)) {
        path.push(open(spread));
      }
    }
  }
  return { order, cycle, selectionsRead: read.selections };
}
