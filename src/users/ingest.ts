import { builder } from '../core/builder.js';
import type { TenantTransaction } from '../core/caller.js';
import { ROLES } from '../core/permissions.js';
import { databaseEnum } from '../core/enums.js';
import { badInput, unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';

/**
 * Inputs owned by neighbouring systems (SPEC §2, §3): the users (identity),
 * who works in which zone (scheduling) and who operates which equipment
 * (asset management). Risk-based auto-assignment reads them to map a risky
 * entity to people. Admins and integrations feed them here, one set-based
 * statement per batch, all or nothing; those systems may instead write the
 * tables directly as "training_app" with app.tenant_id and app.role = 'service'
 * set for the transaction, under the same RLS policies (see the README).
 */

/** Per call; larger feeds belong in several calls (the request body limit is 1 MB anyway). */
const MAX_ROWS_PER_CALL = 5_000;

export const UserRole = databaseEnum('UserRole', ROLES, "A user's role in the tenant.");

export const ProfileInput = builder.inputType('ProfileInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: "The user's id (the token's `sub`)." }),
    displayName: t.string(),
    email: t.string(),
    role: t.field({ type: UserRole, required: true }),
  }),
});

export const ShiftAssignmentInput = builder.inputType('ShiftAssignmentInput', {
  fields: (t) => ({
    id: t.id({
      description:
        "The scheduling system's shift id: sending a shift again with its id updates it instead of adding one.",
    }),
    zoneId: t.id({ required: true }),
    userId: t.id({ required: true }),
    startsAt: t.field({ type: 'DateTime', required: true }),
    endsAt: t.field({ type: 'DateTime', required: true, description: 'After startsAt.' }),
  }),
});

export const EquipmentOperatorsInput = builder.inputType('EquipmentOperatorsInput', {
  fields: (t) => ({
    equipmentId: t.id({ required: true }),
    userIds: t.idList({ required: true, description: 'All its operators; an empty list removes them all.' }),
  }),
});

function batch<T>(field: string, rows: T[]): T[] {
  if (rows.length > MAX_ROWS_PER_CALL) throw badInput(field, `at most ${MAX_ROWS_PER_CALL} rows per call`);
  return rows;
}

/** Refuses an id given twice in one batch (a single statement cannot write one row twice). */
function unique(field: string, ids: (string | null)[], what: (index: number) => string): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (id === null) return;
    if (seen.has(id)) throw badInput(what(index), `${field} appears more than once in this batch`);
    seen.add(id);
  });
}

/** NOT_FOUND naming the first `userIds[i]` that is no profile of the caller's tenant. */
async function assertUsersExist(
  tx: TenantTransaction,
  tenantId: string,
  userIds: string[],
  field: (index: number) => string,
) {
  const [missing] = await tx.$queryRawUnsafe<{ ordinal: bigint }[]>(
    `SELECT u.ordinal FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, ordinal)
     WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.tenant_id = $1::uuid AND p.id = u.id)
     ORDER BY u.ordinal LIMIT 1`,
    tenantId,
    userIds,
  );
  if (missing) {
    const at = field(Number(missing.ordinal) - 1);
    throw unknownAt(at, 'no such user in this tenant');
  }
}

builder.mutationFields((t) => ({
  upsertProfiles: t.withAuth({ may: 'users.feed' }).int({
    description:
      'Creates or updates users of the tenant (admin, integrations), all or nothing. Returns how many were written.',
    args: { profiles: t.arg({ type: [ProfileInput], required: true }) },
    resolve: async (_root, args, context) => {
      const rows = batch('profiles', args.profiles).map((input, index) => ({
        id: validate.uuid(`profiles[${index}].id`, input.id),
        displayName:
          input.displayName == null
            ? null
            : validate.text(`profiles[${index}].displayName`, input.displayName, { max: 200 }) || null,
        email:
          input.email == null ? null : validate.text(`profiles[${index}].email`, input.email, { max: 320 }) || null,
        role: input.role,
      }));
      unique(
        'id',
        rows.map((row) => row.id),
        (index) => `profiles[${index}].id`,
      );
      if (rows.length === 0) return 0;
      return context.transaction((tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO profiles (id, tenant_id, display_name, email, role)
             SELECT p.id, $1::uuid, p.display_name, p.email, p.role
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS p(id, display_name, email, role)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               display_name = EXCLUDED.display_name, email = EXCLUDED.email, role = EXCLUDED.role`,
          context.caller.tenantId,
          rows.map((row) => row.id),
          rows.map((row) => row.displayName),
          rows.map((row) => row.email),
          rows.map((row) => row.role),
        ),
      );
    },
  }),

  recordShiftAssignments: t.withAuth({ may: 'users.feed' }).int({
    description:
      'Records who works in which zone and when (admin, integrations), all or nothing; a shift sent with an id ' +
      'already recorded is updated. Zone risk scores reach users with a shift there in the last 30 days or later. ' +
      'Returns how many were written.',
    args: { shifts: t.arg({ type: [ShiftAssignmentInput], required: true }) },
    resolve: async (_root, args, context) => {
      const rows = batch('shifts', args.shifts).map((input, index) => {
        const at = `shifts[${index}]`;
        if (input.endsAt.getTime() <= input.startsAt.getTime())
          throw badInput(`${at}.endsAt`, 'must be after startsAt');
        return {
          id: input.id == null ? null : validate.uuid(`${at}.id`, input.id),
          zoneId: validate.uuid(`${at}.zoneId`, input.zoneId),
          userId: validate.uuid(`${at}.userId`, input.userId),
          startsAt: input.startsAt.toISOString(),
          endsAt: input.endsAt.toISOString(),
        };
      });
      unique(
        'id',
        rows.map((row) => row.id),
        (index) => `shifts[${index}].id`,
      );
      if (rows.length === 0) return 0;
      return context.transaction(async (tx) => {
        await assertUsersExist(
          tx,
          context.caller.tenantId,
          rows.map((row) => row.userId),
          (index) => `shifts[${index}].userId`,
        );
        return tx.$executeRawUnsafe(
          `INSERT INTO shift_assignments (id, tenant_id, zone_id, user_id, starts_at, ends_at)
             SELECT coalesce(s.id, gen_random_uuid()), $1::uuid, s.zone_id, s.user_id, s.starts_at, s.ends_at
             FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::timestamptz[])
                  AS s(id, zone_id, user_id, starts_at, ends_at)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               zone_id = EXCLUDED.zone_id, user_id = EXCLUDED.user_id,
               starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at`,
          context.caller.tenantId,
          rows.map((row) => row.id),
          rows.map((row) => row.zoneId),
          rows.map((row) => row.userId),
          rows.map((row) => row.startsAt),
          rows.map((row) => row.endsAt),
        );
      });
    },
  }),

  setEquipmentOperators: t.withAuth({ may: 'users.feed' }).int({
    description:
      'Replaces the operators of each piece of equipment listed (admin, integrations), all or nothing; ' +
      'equipment not listed keeps its operators. Returns how many operators the listed equipment now has.',
    args: { equipment: t.arg({ type: [EquipmentOperatorsInput], required: true }) },
    resolve: async (_root, args, context) => {
      const items = batch('equipment', args.equipment).map((input, index) => ({
        equipmentId: validate.uuid(`equipment[${index}].equipmentId`, input.equipmentId),
        userIds: input.userIds.map((id, j) => validate.uuid(`equipment[${index}].userIds[${j}]`, id)),
      }));
      unique(
        'equipmentId',
        items.map((item) => item.equipmentId),
        (index) => `equipment[${index}].equipmentId`,
      );
      // One row per (equipment, user): a user listed twice for the same equipment is one operator.
      const pairs = [
        ...new Map(
          items.flatMap((item, index) =>
            item.userIds.map(
              (userId, j) =>
                [
                  `${item.equipmentId}:${userId}`,
                  { equipmentId: item.equipmentId, userId, field: `equipment[${index}].userIds[${j}]` },
                ] as const,
            ),
          ),
        ).values(),
      ];
      batch('equipment', pairs);
      if (items.length === 0) return 0;
      const tenantId = context.caller.tenantId;
      return context.transaction(async (tx) => {
        await assertUsersExist(
          tx,
          tenantId,
          pairs.map((pair) => pair.userId),
          (n) => pairs[n]!.field,
        );
        await tx.$executeRawUnsafe(
          `DELETE FROM equipment_operators eo
           WHERE eo.tenant_id = $1::uuid AND eo.equipment_id = ANY($2::uuid[])
             AND (eo.equipment_id, eo.user_id) NOT IN (
                 SELECT w.equipment_id, w.user_id FROM unnest($3::uuid[], $4::uuid[]) AS w(equipment_id, user_id))`,
          tenantId,
          items.map((item) => item.equipmentId),
          pairs.map((pair) => pair.equipmentId),
          pairs.map((pair) => pair.userId),
        );
        await tx.$executeRawUnsafe(
          `INSERT INTO equipment_operators (tenant_id, equipment_id, user_id)
           SELECT $1::uuid, w.equipment_id, w.user_id FROM unnest($2::uuid[], $3::uuid[]) AS w(equipment_id, user_id)
           ON CONFLICT (tenant_id, equipment_id, user_id) DO NOTHING`,
          tenantId,
          pairs.map((pair) => pair.equipmentId),
          pairs.map((pair) => pair.userId),
        );
        return pairs.length;
      });
    },
  }),
}));
