import { announceAssignmentsCreated } from '../../src/assignments/live-channel.js';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';

/**
 * A burst as a bulk auto-assignment makes it: `courseId` assigned to `users` in one INSERT, announced in the same
 * transaction as the API's writers announce theirs (no trigger announces new rows). The rows once committed.
 */
export function assignInBulk(
  prisma: PrismaClient,
  service: Caller,
  courseId: string,
  users: string[],
): Promise<{ id: string; user_id: string }[]> {
  return runAsCaller(
    prisma,
    service,
    async (tx) => {
      const created = await tx.$queryRawUnsafe<{ id: string; user_id: string }[]>(
        `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, due_date)
         SELECT $1::uuid, $2::uuid, u, 'auto', training_today() + 14 FROM unnest($3::uuid[]) AS u
         RETURNING id::text, user_id::text`,
        service.tenantId,
        courseId,
        users,
      );
      await announceAssignmentsCreated(
        tx,
        service.tenantId,
        created.map((row) => ({ id: row.id, userId: row.user_id })),
      );
      return created;
    },
    { timeout: 60_000 },
  );
}
