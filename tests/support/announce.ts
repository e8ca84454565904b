/**
 * What the API does after writing rows that live subscribers follow, for tests that write them with SQL:
 * announce them in the same transaction (or right after, on the owner's autocommit connection). No trigger
 * announces anything: on a distributed database a trigger's NOTIFY would fire on the shard, where nobody
 * listens.
 */
type Query = (text: string, params: unknown[]) => Promise<unknown>;

/** New assignments, each with its tenant and user (as `RETURNING id::text, tenant_id::text, user_id::text`). */
export async function announceAssignments(
  query: Query,
  rows: readonly { id: string; tenant_id: string; user_id: string }[],
): Promise<void> {
  for (const tenantId of new Set(rows.map((row) => row.tenant_id))) {
    const ofTenant = rows.filter((row) => row.tenant_id === tenantId);
    await query('SELECT announce_assignments_created($1::uuid, $2::uuid[], $3::uuid[])', [
      tenantId,
      ofTenant.map((row) => row.id),
      ofTenant.map((row) => row.user_id),
    ]);
  }
}

/** A change of these users' qualifications (null: every user of the tenant). */
export async function announceQualifications(
  query: Query,
  tenantId: string,
  userIds: readonly string[] | null,
): Promise<void> {
  await query('SELECT notify_qualification_changed($1::uuid, $2::uuid[])', [tenantId, userIds && [...userIds]]);
}

/** `tx.$executeRawUnsafe` as a `Query`, for a caller's transaction. */
export const inTransaction =
  (tx: { $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number> }): Query =>
  (text, params) =>
    tx.$executeRawUnsafe(text, ...params);
