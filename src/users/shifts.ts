import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { badInput } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { assertUsersExist, batch, unique } from './feeds.js';
import { announceQualificationChange } from './qualification-change.js';
import { Rule } from '../core/field-rules.js';

/**
 * Who works in which zone and when, as the scheduling system knows it (see feeds.ts).
 * Zone risk scores reach users with a shift there.
 */

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

interface ShiftRow {
  /** null: a new shift, its id generated. */
  id: string | null;
  zoneId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}

/**
 * Inserts the shifts, or updates those whose id is already recorded; returns how many were written.
 * Rows are written in id order (new shifts last), so two concurrent batches sharing shift ids lock
 * them in the same order and never deadlock.
 */
function upsertShiftRows(tx: CallerTransaction, tenantId: string, rows: ShiftRow[]): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO shift_assignments (id, tenant_id, zone_id, user_id, starts_at, ends_at)
      SELECT coalesce(s.id, gen_random_uuid()), ${tenantId}::uuid, s.zone_id, s.user_id, s.starts_at, s.ends_at
      FROM unnest(
        ${rows.map((row) => row.id)}::uuid[], ${rows.map((row) => row.zoneId)}::uuid[],
        ${rows.map((row) => row.userId)}::uuid[], ${rows.map((row) => row.startsAt)}::timestamptz[],
        ${rows.map((row) => row.endsAt)}::timestamptz[]
      ) AS s(id, zone_id, user_id, starts_at, ends_at)
      ORDER BY s.id NULLS LAST
      ON CONFLICT (tenant_id, id) DO UPDATE SET
        zone_id = EXCLUDED.zone_id, user_id = EXCLUDED.user_id,
        starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at`;
}

builder.mutationField('recordShiftAssignments', (t) =>
  t.withAuth({ may: 'users.feed' }).int({
    description:
      'Records who works in which zone and when (admin, integrations), all or nothing; a shift sent with an id ' +
      'already recorded is updated. Zone risk scores reach users with a shift there in the last 30 days or later. ' +
      'Returns how many were written.',
    args: { shifts: t.arg({ type: [ShiftAssignmentInput], required: true }) },
    resolve: async (_root, args, context) => {
      const rows = batch('shifts', args.shifts).map((input, index): ShiftRow => {
        const at = `shifts[${index}]`;
        if (input.endsAt.getTime() <= input.startsAt.getTime())
          throw badInput(`${at}.endsAt`, 'must be after startsAt', Rule.after, { other: 'startsAt' });
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
        const written = await upsertShiftRows(tx, context.caller.tenantId, rows);
        // A new or changed shift can change who is qualified in its zone: its user is announced.
        await announceQualificationChange(tx, context.caller.tenantId, [...new Set(rows.map((row) => row.userId))]);
        return written;
      });
    },
  }),
);
