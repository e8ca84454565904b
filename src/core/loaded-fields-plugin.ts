import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';

/**
 * Scalar fields of Prisma objects read straight from a row that already holds their columns: the per-field
 * loader mapping described below costs CPU on every field of every row of a list (BENCHMARKS.md, lever 10).
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
 * when the row holds the columns and plugin-prisma's wrapper otherwise. Relations, object-typed fields and
 * selections computed from arguments are left to plugin-prisma: their nested mapping matters.
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

export class LoadedFieldsInnerPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (columnsOf(fieldConfig)) {
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
    const columns = columnsOf(fieldConfig);
    const inner = innerResolvers.get(fieldConfig);
    if (!columns || !inner || inner === resolver) return resolver;
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
