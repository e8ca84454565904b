import DataLoader from 'dataloader';
import { unauthenticated } from './errors.js';
import { uuid } from './validate.js';

/**
 * Federation entities (`_entities`) loaded by one statement per type and request, whatever the
 * number of representations: a DataLoader per request context and type. The representations
 * were checked before execution (src/core/limits.ts: at most MAX_ENTITY_REPRESENTATIONS, each of
 * an entity type, its id a UUID string); the id is checked again here so nothing but a UUID ever
 * reaches Prisma.
 * A row the caller's tenant cannot see (RLS) resolves to null.
 */
const loaders = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

export function loadEntity<Row extends { id: string }>(
  context: { caller: unknown },
  typename: string,
  id: unknown,
  load: (ids: string[]) => Promise<Row[]>,
): Promise<Row | null> {
  // `_entities` bypasses the Query type's scopes: the anonymous are refused here, before any loading.
  if (!context.caller) throw unauthenticated();
  const key = uuid('representations.id', typeof id === 'string' ? id : '');
  let byType = loaders.get(context);
  if (!byType) loaders.set(context, (byType = new Map()));
  let loader = byType.get(typename) as DataLoader<string, Row | null> | undefined;
  if (!loader) {
    loader = new DataLoader<string, Row | null>(async (ids) => {
      const rows = await load([...ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((one) => byId.get(one) ?? null);
    });
    byType.set(typename, loader as DataLoader<string, unknown>);
  }
  return loader.load(key);
}
