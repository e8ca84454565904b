/** The tenant a Prisma filter limits every row to: `tenantId: '…'` at its top, or in one of its top-level ANDs. */
export function tenantOf(where: unknown): string | undefined {
  if (typeof where !== 'object' || where === null || Array.isArray(where)) return undefined;
  const filter = where as Record<string, unknown>;
  if (typeof filter.tenantId === 'string') return filter.tenantId;
  const all: unknown[] = Array.isArray(filter.AND) ? filter.AND : [filter.AND];
  return all.map(tenantOf).find((tenantId) => tenantId !== undefined);
}
