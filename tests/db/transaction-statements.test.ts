import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';
import { insertAssignmentsInBulk, insertCourse, insertWorkers } from '../support/tenant-rows.js';

/**
 * A caller's transaction sends its statements one at a time (src/core/adapter-transactions.ts). Prisma's query
 * interpreter loads an operation's relations at once; on one connection node-postgres then queues the second
 * statement behind the first, which it deprecates (an error from pg 9). Its warning comes once per process,
 * so this file holds the only such test. PGlite has no such client; there the answers are checked alone.
 */

let db: TestDatabase;
const tenantId = randomUUID();
let courseId: string;
let workers: string[];
beforeAll(async () => {
  db = await freshDatabase();
  const sql = owner(db);
  workers = await insertWorkers(sql, tenantId, 3);
  courseId = await insertCourse(sql, tenantId, workers[0]!);
  await insertAssignmentsInBulk(db, tenantId, courseId, workers);
});
afterAll(() => db?.drop());

describe('statements of a caller transaction', () => {
  it("load an operation's relations one after another, each answered with its own rows", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const caller = { tenantId, userId: workers[0]!, role: 'admin' as const };
      const assignments = await runAsCaller(db.prisma, caller, (tx) =>
        tx.trainingAssignment.findMany({
          include: { course: true, user: true, completions: true },
          orderBy: { userId: 'asc' },
        }),
      );
      expect(assignments.map((assignment) => assignment.user.id)).toEqual([...workers].sort());
      for (const assignment of assignments) {
        expect(assignment.course.id).toBe(courseId);
        expect(assignment.completions).toEqual([]);
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (onPostgres) expect(warnings.filter((message) => /already executing a query/.test(message))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
