import { Prisma } from '../generated/prisma/client.js';
import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { ROLES } from '../core/permissions.js';
import { databaseEnum } from '../core/enums.js';
import * as validate from '../core/validate.js';
import { batch, unique } from './feeds.js';

/** The users of a tenant as the identity system knows them (see feeds.ts). */

export const UserRole = databaseEnum('UserRole', ROLES, "A user's role in the tenant.");

export const ProfileInput = builder.inputType('ProfileInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: "The user's id (the token's `sub`)." }),
    displayName: t.string({ description: 'Absent: left as it is; null (or blank): cleared.' }),
    email: t.string({
      description:
        'One address, `local@domain` (at most 254 characters, no display name). Absent: left as it is; null (or blank): cleared.',
    }),
    role: t.field({ type: UserRole, required: true }),
  }),
});

/** A field the batch sets (to a value or to null), or leaves as it is (`keep`). */
type Update<T> = { keep: true } | { keep: false; value: T | null };

interface ProfileRow {
  id: string;
  displayName: Update<string>;
  email: Update<string>;
  role: string;
}

/** Absent: keep; null: clear; otherwise what `check` makes of it (null: clear). */
function update(value: string | null | undefined, check: (value: string) => string | null): Update<string> {
  if (value === undefined) return { keep: true };
  return { keep: false, value: value === null ? null : check(value) };
}

/**
 * Inserts the new profiles, then locks every row of the batch, then updates them, each step in id order, so
 * two concurrent batches sharing ids wait for each other in the same order and never deadlock. The lock comes
 * after the insert because a row another batch inserted meanwhile is skipped by DO NOTHING without a lock,
 * and an unlocked UPDATE takes its rows in join order. A field the input left out keeps its stored value (a
 * new profile starts without it). Returns how many were written.
 */
async function upsertProfileRows(tx: CallerTransaction, tenantId: string, rows: ProfileRow[]): Promise<number> {
  const ids = rows.map((row) => row.id);
  const input = Prisma.sql`unnest(
    ${ids}::uuid[],
    ${rows.map((row) => (row.displayName.keep ? null : row.displayName.value))}::text[],
    ${rows.map((row) => row.displayName.keep)}::boolean[],
    ${rows.map((row) => (row.email.keep ? null : row.email.value))}::text[],
    ${rows.map((row) => row.email.keep)}::boolean[],
    ${rows.map((row) => row.role)}::text[]
  ) AS p(id, display_name, keep_display_name, email, keep_email, role)`;
  await tx.$executeRaw`
    INSERT INTO profiles (id, tenant_id, display_name, email, role)
      SELECT p.id, ${tenantId}::uuid, p.display_name, p.email, p.role FROM ${input}
      ORDER BY p.id
      ON CONFLICT (tenant_id, id) DO NOTHING`;
  await tx.$executeRaw`
    SELECT 1 FROM profiles WHERE tenant_id = ${tenantId}::uuid AND id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  return tx.$executeRaw`
    UPDATE profiles SET
      display_name = CASE WHEN p.keep_display_name THEN profiles.display_name ELSE p.display_name END,
      email = CASE WHEN p.keep_email THEN profiles.email ELSE p.email END,
      role = p.role
    FROM ${input}
    WHERE profiles.tenant_id = ${tenantId}::uuid AND profiles.id = p.id`;
}

builder.mutationField('upsertProfiles', (t) =>
  t.withAuth({ may: 'users.feed' }).int({
    description:
      'Creates or updates users of the tenant (admin, integrations), all or nothing. A field left out keeps ' +
      'its stored value; null clears it. Returns how many were written.',
    args: { profiles: t.arg({ type: [ProfileInput], required: true }) },
    resolve: async (_root, args, context) => {
      const rows = batch('profiles', args.profiles).map((input, index) => ({
        id: validate.uuid(`profiles[${index}].id`, input.id),
        displayName: update(
          input.displayName,
          (value) => validate.text(`profiles[${index}].displayName`, value, { max: validate.DISPLAY_NAME_MAX }) || null,
        ),
        // Empty (or only spaces) clears, as null does; anything else must be one address.
        email: update(input.email, (value) =>
          /^ *$/.test(value) ? null : validate.email(`profiles[${index}].email`, value),
        ),
        role: input.role,
      }));
      unique(
        'id',
        rows.map((row) => row.id),
        (index) => `profiles[${index}].id`,
      );
      if (rows.length === 0) return 0;
      const { tenantId } = context.caller;
      const written = await context.transaction((tx) => upsertProfileRows(tx, tenantId, rows));
      // This process's memory of what tokens last wrote is stale for these users now: their next request
      // refreshes the profile from its claims again.
      context.services.profiles.forget(
        tenantId,
        rows.map((row) => row.id),
      );
      return written;
    },
  }),
);
