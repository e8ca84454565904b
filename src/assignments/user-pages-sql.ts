import { Prisma } from '../generated/prisma/client.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { PAST_DUE_OVERDUE_STATUSES, type AssignmentStatusValue } from './status.js';

/** The effective status as SQL, as `effectiveStatusWhere` says it to Prisma (overdue is computed). */
function statusSql(status: AssignmentStatusValue | null | undefined): Prisma.Sql {
  if (!status) return Prisma.sql`TRUE`;
  const pastDue = Prisma.join(PAST_DUE_OVERDUE_STATUSES.map((one) => Prisma.sql`${one}`));
  if (status === 'overdue') {
    return Prisma.sql`(a.status = 'overdue' OR (a.status IN (${pastDue}) AND a.due_date < training_today()))`;
  }
  if ((PAST_DUE_OVERDUE_STATUSES as readonly string[]).includes(status)) {
    return Prisma.sql`(a.status = ${status} AND (a.due_date IS NULL OR a.due_date >= training_today()))`;
  }
  return Prisma.sql`a.status = ${status}`;
}

/**
 * The first `take` assignments of each user, newest first (the order of every assignment list), in one
 * statement for all of them: what `User.trainingAssignments` shows under many users at once.
 */
export async function firstAssignmentIdsPerUser(
  tx: CallerTransaction,
  tenantId: string,
  userIds: readonly string[],
  status: AssignmentStatusValue | null | undefined,
  take: number,
): Promise<{ id: string; user_id: string }[]> {
  const users = Prisma.join(userIds.map((id) => Prisma.sql`${id}::uuid`));
  return tx.$queryRaw<{ id: string; user_id: string }[]>`
    SELECT id, user_id FROM (
      SELECT a.id, a.user_id, row_number() OVER (PARTITION BY a.user_id ORDER BY a.created_at DESC, a.id) AS n
      FROM training_assignments a
      WHERE a.tenant_id = ${tenantId}::uuid AND a.user_id IN (${users}) AND ${statusSql(status)}
    ) ranked
    WHERE n <= ${take}`;
}
