import { Prisma } from '../generated/prisma/client.js';
import type { CallerTransaction } from '../core/caller/index.js';

/** One subscriber of a delivery batch, as the visibility statement sees it. */
export interface VisibilityProbe {
  tenantId: string;
  /** The subscriber (viewer); null for a user-less caller such as an integration. */
  userId: string | null;
  role: string;
  /** The subscription's `userId` argument; null: the whole tenant. */
  filterUserId: string | null;
  /** The ids announced to it. */
  ids: string[];
}

/**
 * ONE statement for a whole batch of subscribers: joins the (subscriber,
 * candidate id) pairs and the subscribers' (tenant, user, role) — both `unnest`ed
 * arrays — to the assignments, and keeps a pair only where
 * `training_assignment_visible` (the very function the SELECT policy calls)
 * allows it. Returns, per subscriber index, its visible ids in creation order.
 * Runs under RLS too (the hub uses the tenant's `service` role), so even a wrong
 * argument here could not reach another tenant. The subscribers are all of
 * `tenantId`, which the statement names (one shard on a distributed database).
 */
export async function visibleAssignments(
  tx: CallerTransaction,
  tenantId: string,
  probes: VisibilityProbe[],
): Promise<string[][]> {
  const pairSubscribers: number[] = [];
  const pairIds: string[] = [];
  probes.forEach((probe, index) => {
    for (const id of probe.ids) {
      pairSubscribers.push(index);
      pairIds.push(id);
    }
  });
  const rows = await tx.$queryRaw<{ sub: number; id: string }[]>(Prisma.sql`
    SELECT c.sub, a.id::text AS id
    FROM unnest(${pairSubscribers}::int[], ${pairIds}::uuid[]) AS c(sub, id)
    JOIN unnest(${probes.map((_, index) => index)}::int[], ${probes.map((probe) => probe.tenantId)}::uuid[],
                ${probes.map((probe) => probe.userId)}::uuid[], ${probes.map((probe) => probe.role)}::text[],
                ${probes.map((probe) => probe.filterUserId)}::uuid[])
         AS s(sub, tenant_id, user_id, role, filter_user_id) ON s.sub = c.sub
    JOIN training_assignments a ON a.tenant_id = s.tenant_id AND a.id = c.id
    WHERE a.tenant_id = ${tenantId}::uuid
      AND training_assignment_visible(a.tenant_id, a.user_id, s.tenant_id, s.user_id, s.role)
      AND (s.filter_user_id IS NULL OR a.user_id = s.filter_user_id)
    GROUP BY c.sub, a.id, a.created_at
    ORDER BY c.sub, a.created_at, a.id`);
  const visible: string[][] = probes.map(() => []);
  for (const row of rows) visible[row.sub]!.push(row.id);
  return visible;
}
