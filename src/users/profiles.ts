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
    displayName: t.string(),
    email: t.string(),
    role: t.field({ type: UserRole, required: true }),
  }),
});

interface ProfileRow {
  id: string;
  displayName: string | null;
  email: string | null;
  role: string;
}

/**
 * Inserts or updates the profiles in one statement; returns how many were written. Rows are written in
 * id order, so two concurrent batches sharing ids lock them in the same order and never deadlock.
 */
function upsertProfileRows(tx: CallerTransaction, tenantId: string, rows: ProfileRow[]): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO profiles (id, tenant_id, display_name, email, role)
      SELECT p.id, ${tenantId}::uuid, p.display_name, p.email, p.role
      FROM unnest(
        ${rows.map((row) => row.id)}::uuid[], ${rows.map((row) => row.displayName)}::text[],
        ${rows.map((row) => row.email)}::text[], ${rows.map((row) => row.role)}::text[]
      ) AS p(id, display_name, email, role)
      ORDER BY p.id
      ON CONFLICT (tenant_id, id) DO UPDATE SET
        display_name = EXCLUDED.display_name, email = EXCLUDED.email, role = EXCLUDED.role`;
}

builder.mutationField('upsertProfiles', (t) =>
  t.withAuth({ may: 'users.feed' }).int({
    description:
      'Creates or updates users of the tenant (admin, integrations), all or nothing. Returns how many were written.',
    args: { profiles: t.arg({ type: [ProfileInput], required: true }) },
    resolve: async (_root, args, context) => {
      const rows = batch('profiles', args.profiles).map((input, index) => ({
        id: validate.uuid(`profiles[${index}].id`, input.id),
        displayName:
          input.displayName == null
            ? null
            : validate.text(`profiles[${index}].displayName`, input.displayName, { max: validate.DISPLAY_NAME_MAX }) ||
              null,
        email:
          input.email == null
            ? null
            : validate.text(`profiles[${index}].email`, input.email, { max: validate.EMAIL_MAX }) || null,
        role: input.role,
      }));
      unique(
        'id',
        rows.map((row) => row.id),
        (index) => `profiles[${index}].id`,
      );
      if (rows.length === 0) return 0;
      return context.transaction((tx) => upsertProfileRows(tx, context.caller.tenantId, rows));
    },
  }),
);
