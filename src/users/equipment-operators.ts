import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import * as validate from '../core/validate.js';
import { assertUsersExist, batch, unique } from './feeds.js';
import { announceQualificationChange } from './qualification-change.js';

/**
 * Who operates which equipment, as the asset-management system knows it (see feeds.ts).
 * Equipment risk scores reach its operators.
 */

export const EquipmentOperatorsInput = builder.inputType('EquipmentOperatorsInput', {
  fields: (t) => ({
    equipmentId: t.id({ required: true }),
    userIds: t.idList({ required: true, description: 'All its operators; an empty list removes them all.' }),
  }),
});

interface OperatorPair {
  equipmentId: string;
  userId: string;
}

/**
 * Makes `pairs` the whole operator list of each of `equipmentIds`: drops the others, adds the new ones.
 * Concurrent calls sharing equipment never deadlock: each first takes a transaction-scoped advisory lock
 * per piece of equipment, in equipment-id order, so a second call listing the same equipment waits there
 * for the first to commit before touching any row. (Locking the rows themselves is not enough: rows a
 * concurrent call inserts after that lock are still taken by the DELETE, in no particular order.)
 * The users of the operators added are announced (they may now be qualified to operate it).
 */
async function replaceOperators(
  tx: CallerTransaction,
  tenantId: string,
  equipmentIds: string[],
  pairs: OperatorPair[],
): Promise<void> {
  const pairEquipment = pairs.map((pair) => pair.equipmentId);
  const pairUsers = pairs.map((pair) => pair.userId);
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock(hashtextextended('equipment_operators/' || ${tenantId}::text || '/' || e.id::text, 0)))::int
    FROM (SELECT DISTINCT id FROM unnest(${equipmentIds}::uuid[]) AS u(id) ORDER BY id) AS e`;
  await tx.$executeRaw`
    DELETE FROM equipment_operators eo
    WHERE eo.tenant_id = ${tenantId}::uuid AND eo.equipment_id = ANY(${equipmentIds}::uuid[])
      AND (eo.equipment_id, eo.user_id) NOT IN (
          SELECT w.equipment_id, w.user_id
          FROM unnest(${pairEquipment}::uuid[], ${pairUsers}::uuid[]) AS w(equipment_id, user_id))`;
  const added = await tx.$queryRaw<{ user_id: string }[]>`
    INSERT INTO equipment_operators (tenant_id, equipment_id, user_id)
    SELECT ${tenantId}::uuid, w.equipment_id, w.user_id
    FROM unnest(${pairEquipment}::uuid[], ${pairUsers}::uuid[]) AS w(equipment_id, user_id)
    ORDER BY w.equipment_id, w.user_id
    ON CONFLICT (tenant_id, equipment_id, user_id) DO NOTHING
    RETURNING user_id::text`;
  await announceQualificationChange(tx, tenantId, [...new Set(added.map((row) => row.user_id))]);
}

builder.mutationField('setEquipmentOperators', (t) =>
  t.withAuth({ may: 'users.feed' }).int({
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
        await replaceOperators(
          tx,
          tenantId,
          items.map((item) => item.equipmentId),
          pairs,
        );
        return pairs.length;
      });
    },
  }),
);
