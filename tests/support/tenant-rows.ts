import { randomUUID } from 'node:crypto';
import { runAsCaller } from '../../src/core/caller/index.js';
import { announceAssignments, inTransaction } from './announce.js';
import { asHarness } from './statement-log.js';
import type { TestDatabase } from './database.js';
import type { Owner } from './sql.js';

/**
 * A tenant's rows written straight to the database, for tests that need many of them fast or rows no API
 * writes: workers and courses as the owner, a bulk auto-assignment as the service role (RLS and triggers
 * apply), and the neighbouring systems' rows (risk scores, shifts, equipment operators).
 */

/** `count` fresh workers of the tenant; their ids. */
export async function insertWorkers(sql: Owner, tenantId: string, count: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO profiles (id, tenant_id, role) SELECT gen_random_uuid(), $1, 'worker' FROM generate_series(1, $2)
     RETURNING id::text`,
    [tenantId, count],
  );
  return rows.map((row) => row.id);
}

/** A compliance course of the tenant; its id. */
export async function insertCourse(sql: Owner, tenantId: string, createdBy: string, title = 'Lockout/tagout') {
  const row = await sql.insert('training_courses', {
    tenant_id: tenantId,
    title,
    category: 'compliance',
    created_by: createdBy,
  });
  return row.id as string;
}

/**
 * Assignments inserted as the database sees a bulk auto-assignment: one multi-row statement, then their
 * announcement in the same transaction.
 */
export function insertAssignmentsInBulk(db: TestDatabase, tenantId: string, courseId: string, userIds: string[]) {
  return asHarness(() =>
    runAsCaller(db.prisma, { tenantId, userId: randomUUID(), role: 'service' }, async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; tenant_id: string; user_id: string }[]>(
        `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type)
         SELECT $1::uuid, $2::uuid, u, 'auto' FROM unnest($3::uuid[]) AS u
         RETURNING id::text, tenant_id::text, user_id::text`,
        tenantId,
        courseId,
        userIds,
      );
      await announceAssignments(inTransaction(tx), rows);
      return rows.map(({ id, user_id }) => ({ id, user_id }));
    }),
  );
}

/**
 * What neighbouring systems know of one worker: risk scores of the worker, of a zone and of a piece of
 * equipment, a shift in that zone around now, and the worker as the equipment's operator.
 */
export async function insertNeighbours(
  sql: Owner,
  tenantId: string,
  userId: string,
  scores: { worker: number; zone: number; equipment: number },
): Promise<{ zone: string; equipment: string; shift: string }> {
  const [zone, equipment] = [randomUUID(), randomUUID()];
  await sql.query(
    `INSERT INTO predictive_scores (tenant_id, entity_type, entity_id, score)
     VALUES ($1, 'worker', $2, $5), ($1, 'zone', $3, $6), ($1, 'equipment', $4, $7)`,
    [tenantId, userId, zone, equipment, scores.worker, scores.zone, scores.equipment],
  );
  const [shift] = await sql.query<{ id: string }>(
    `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
     VALUES ($1, $2, $3, now() - interval '1 day', now() + interval '1 day') RETURNING id`,
    [tenantId, zone, userId],
  );
  await sql.query(`INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) VALUES ($1, $2, $3)`, [
    tenantId,
    equipment,
    userId,
  ]);
  return { zone, equipment, shift: shift!.id };
}
