import type { CallerTransaction } from '../core/caller/index.js';
import { badInput, unknownAt } from '../core/errors.js';
import { Rule } from '../core/field-rules.js';

/**
 * Rules shared by the feeds of inputs owned by neighbouring systems: the users
 * (identity, profiles.ts), who works in which zone (scheduling, shifts.ts) and who
 * operates which equipment (asset management, equipment-operators.ts). Risk-based
 * auto-assignment reads them to map a risky entity to people. Admins and integrations
 * feed them, one set-based statement per batch, all or nothing; those systems may
 * instead write the tables directly as "training_app" with app.tenant_id and
 * app.role = 'service' set for the transaction, under the same RLS policies (see the
 * README).
 */

/** Per call; larger feeds belong in several calls (the request body limit is 1 MB anyway). */
const MAX_ROWS_PER_CALL = 5_000;

export function batch<T>(field: string, rows: T[]): T[] {
  if (rows.length > MAX_ROWS_PER_CALL) {
    throw badInput(field, `at most ${MAX_ROWS_PER_CALL} rows per call`, Rule.maxRows, { max: MAX_ROWS_PER_CALL });
  }
  return rows;
}

/** Refuses an id given twice in one batch (a single statement cannot write one row twice). */
export function unique(field: string, ids: (string | null)[], what: (index: number) => string): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (id === null) return;
    if (seen.has(id)) {
      throw badInput(what(index), `${field} appears more than once in this batch`, Rule.unique, { field });
    }
    seen.add(id);
  });
}

/** NOT_FOUND naming the first `userIds[i]` that is no profile of the caller's tenant. */
export async function assertUsersExist(
  tx: CallerTransaction,
  tenantId: string,
  userIds: string[],
  field: (index: number) => string,
) {
  const [missing] = await tx.$queryRaw<{ ordinal: bigint }[]>`
    SELECT u.ordinal FROM unnest(${userIds}::uuid[]) WITH ORDINALITY AS u(id, ordinal)
    WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.tenant_id = ${tenantId}::uuid AND p.id = u.id)
    ORDER BY u.ordinal LIMIT 1`;
  if (missing) {
    const at = field(Number(missing.ordinal) - 1);
    throw unknownAt(at, 'no such user in this tenant', 'user');
  }
}
