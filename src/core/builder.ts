import SchemaBuilder, {
  BasePlugin,
  type ObjectRef,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import PrismaPlugin, { type PrismaClient as PothosPrismaClient } from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { type ReplaceContext } from '@pothos/plugin-scope-auth';
import {
  getNamedType,
  GraphQLObjectType,
  isLeafType,
  Kind,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type SelectionNode,
} from 'graphql';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import type { CallerContext, Context } from './caller/index.js';
import { may, type Permission } from './permissions.js';
import { forbidden, unauthenticated } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';

/**
 * The loadedFields plugins: scalar fields of Prisma objects read straight from a row that already holds their columns.
 *
 * plugin-prisma wraps every field that declares a Prisma selection — each `expose*` of a `select`-mode
 * object is one, with `select: { field: true }` — and for every field of every row asks its loader map
 * whether a plan loaded that row with this field (`getLoaderMapping`: a string key per field per row,
 * an ancestor walk, a write of the nested mapping), and reloads the row when none did. For a field whose
 * GraphQL type is a scalar or an enum, and whose selection is a fixed set of columns, the mapping answers
 * nothing the row cannot: the row either holds every selected column (then the plugin would call the
 * resolver with it, and nothing beneath a scalar reads the nested mapping) or it does not (then this
 * defers to the plugin, which reloads it as before). Rows of the compiled page reads, of Prisma's planned
 * queries, of mutations and of live delivery all take the first branch.
 *
 * Two plugins around plugin-prisma's wrapper: `loadedFieldsInner` (just inside it) records the resolver
 * plugin-prisma wraps, and `loadedFields` (just outside it, inside scope-auth) calls that recorded resolver
 * when the row holds the columns and plugin-prisma's wrapper otherwise. A to-one relation whose selection is
 * such leaf fields is read from the row the same way (`relatedRowAnswers`). To-many relations, other
 * object-typed fields and selections computed from arguments are left to plugin-prisma: their nested mapping
 * matters.
 */

const innerResolvers = new WeakMap<object, GraphQLFieldResolver<unknown, unknown>>();

/** The columns a field selects when they are a fixed set (`{ a: true, b: true }`); undefined otherwise. */
function fixedColumns(select: unknown): string[] | undefined {
  if (typeof select !== 'object' || select === null) return undefined;
  const keys = Object.keys(select);
  if (keys.length === 0) return undefined;
  for (const key of keys) if ((select as Record<string, unknown>)[key] !== true) return undefined;
  return keys;
}

function returnsLeaf<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): boolean {
  const type = fieldConfig.type;
  return type.kind === 'Scalar' || type.kind === 'Enum';
}

function columnsOf<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): string[] | undefined {
  if (fieldConfig.kind !== 'PrismaObject' || !returnsLeaf(fieldConfig)) return undefined;
  return fixedColumns((fieldConfig.extensions as Record<string, unknown> | undefined)?.pothosPrismaSelect);
}

/** The relation a to-one `t.relation` field reads (`pothosPrismaRelationField`), else undefined. */
function toOneRelationOf<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): string | undefined {
  if (fieldConfig.kind !== 'PrismaObject') return undefined;
  const relation = (fieldConfig.extensions as Record<string, unknown> | undefined)?.pothosPrismaRelationField as
    { name: string; isList: boolean } | undefined;
  return relation && !relation.isList ? relation.name : undefined;
}

/**
 * The columns the selection beneath a field reads from the related row when every field it selects is
 * `__typename` or a scalar/enum field of fixed columns (each read straight from the row, above); null when
 * anything beneath may need plugin-prisma's mapping (an object field, a computed selection, a fragment on
 * another type).
 */
function leafColumnsOf(info: GraphQLResolveInfo): string[] | null {
  const type = getNamedType(info.returnType);
  if (!(type instanceof GraphQLObjectType)) return null;
  const columns = new Set<string>();
  const fields = type.getFields();
  const visit = (selections: readonly SelectionNode[]): boolean =>
    selections.every((selection) => {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__typename') return true;
        const field = fields[selection.name.value];
        const select =
          field && isLeafType(getNamedType(field.type)) && fixedColumns(field.extensions?.pothosPrismaSelect);
        if (!select) return false;
        for (const column of select) columns.add(column);
        return true;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
      if (!fragment || (fragment.typeCondition && fragment.typeCondition.name.value !== type.name)) return false;
      return visit(fragment.selectionSet.selections);
    });
  return info.fieldNodes.every((node) => node.selectionSet && visit(node.selectionSet.selections))
    ? [...columns]
    : null;
}

/**
 * For one to-one relation field: whether the related row a parent row holds answers the field's selection
 * straight from the row, i.e. that selection is leaf fields whose columns the related row holds. None of them
 * then asks plugin-prisma's loader map, so the relation needs neither its own mapping (`getLoaderMapping`: a
 * path key per row) nor the one it records for the fields beneath. The columns are worked out once per
 * selection: graphql-js hands every row of a list the same field nodes.
 */
function relatedRowAnswers(): (related: object, info: GraphQLResolveInfo) => boolean {
  let nodes: readonly FieldNode[] | undefined;
  let columns: string[] | null = null;
  return (related, info) => {
    if (info.fieldNodes !== nodes) {
      columns = leafColumnsOf(info);
      nodes = info.fieldNodes;
    }
    if (!columns) return false;
    for (const column of columns) if ((related as Record<string, unknown>)[column] === undefined) return false;
    return true;
  };
}

export class LoadedFieldsInnerPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (columnsOf(fieldConfig) || toOneRelationOf(fieldConfig)) {
      innerResolvers.set(fieldConfig, resolver as GraphQLFieldResolver<unknown, unknown>);
    }
    return resolver;
  }
}

export class LoadedFieldsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const inner = innerResolvers.get(fieldConfig);
    if (!inner || inner === resolver) return resolver;
    const relation = toOneRelationOf(fieldConfig);
    if (relation) {
      // A row without the relation or a column, or a selection that needs more, goes through plugin-prisma.
      const answers = relatedRowAnswers();
      return (parent, args, context, info) => {
        const related =
          typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[relation] : undefined;
        return related === null || (typeof related === 'object' && related !== undefined && answers(related, info))
          ? inner(parent, args, context, info)
          : resolver(parent, args, context, info);
      };
    }
    const columns = columnsOf(fieldConfig);
    if (!columns) return resolver;
    const [only] = columns;
    if (columns.length === 1) {
      return (parent, args, context, info) =>
        typeof parent === 'object' && parent !== null && (parent as Record<string, unknown>)[only!] !== undefined
          ? inner(parent, args, context, info)
          : resolver(parent, args, context, info);
    }
    return (parent, args, context, info) => {
      if (typeof parent !== 'object' || parent === null) return resolver(parent, args, context, info);
      for (const column of columns) {
        if ((parent as Record<string, unknown>)[column] === undefined) return resolver(parent, args, context, info);
      }
      return inner(parent, args, context, info);
    };
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      loadedFields: LoadedFieldsPlugin<Types>;
      loadedFieldsInner: LoadedFieldsInnerPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('loadedFields', LoadedFieldsPlugin);
SchemaBuilder.registerPlugin('loadedFieldsInner', LoadedFieldsInnerPlugin);

/**
 * The schema builder. It defines no types: each domain folder adds its own.
 * Scope-auth comes first so every field is checked before anything else runs,
 * and federation comes after it.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Any verified caller. */
    authenticated: boolean;
    /** The caller's role has this permission (core/permissions.ts). */
    may: Permission;
  };
  /** `t.withAuth(scopes)` gives a field's resolvers these contexts: the caller is known. */
  AuthContexts: {
    authenticated: CallerContext;
    may: CallerContext;
  };
  Scalars: {
    Date: { Input: Date; Output: Date };
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string };
    JSON: { Input: never; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  // loadedFields / loadedFieldsInner sit just outside and just inside plugin-prisma (above).
  plugins: [
    ScopeAuthPlugin,
    'loadedFields',
    PrismaPlugin,
    'loadedFieldsInner',
    RelayPlugin,
    DirectivesPlugin,
    FederationPlugin,
  ],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      authenticated: context.caller !== null,
      may: (permission) => context.caller !== null && may(context.caller.role, permission),
    }),
    unauthorizedError: (_parent, context) => (context.caller ? forbidden() : unauthenticated()),
  },
  prisma: {
    // plugin-prisma types its client as having `$connect`, but it only reads the model
    // delegates, which the caller's client has: the one place that client is widened.
    client: (context) => context.db as unknown as PothosPrismaClient,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: true,
  },
});

type NodeRef = Parameters<typeof builder.connectionObject>[0]['type'];
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type ForCallerFields<Ref> =
  Ref extends ObjectRef<SchemaTypes, infer Shape, infer Parent>
    ? ObjectRef<ReplaceContext<Types, CallerContext>, Shape, Parent>
    : never;

/**
 * One named Relay connection per node type (`AssignmentConnection`), shared by
 * every list of that type, with `totalCount`. plugin-prisma hands each
 * connection a lazy `totalCount()`: the count query runs only when asked for.
 *
 * Lists are read by callers only (`t.withAuth(…)` fields), so the connection is
 * typed for their context; only the type changes, the object is the same.
 */
export function connectionOf(name: string, node: NodeRef) {
  const connection = builder.connectionObject(
    {
      type: node,
      name,
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many items match, across all pages.',
          resolve: (connection) => (connection as { totalCount?: () => Promise<number> | number }).totalCount?.() ?? 0,
        }),
      }),
    },
    { name: `${name.replace(/Connection$/, '')}Edge` },
  );
  return connection as unknown as ForCallerFields<typeof connection>;
}
