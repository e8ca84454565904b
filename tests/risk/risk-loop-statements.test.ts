import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourseEffectivenessDocument, QualificationsDocument } from '../../src/generated/operations/graphql.js';
import { uuid } from '../support/sql.js';
import { ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * No N+1 in the risk-loop reads: `qualifications` (users, names, missing courses) and
 * `byCourse { effectiveness }` cost the same number of SQL statements for a few rows as for many.
 */

let server: TestServer;
const statements: string[] = [];
beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
});
afterAll(() => server.stop());

async function statementsFor(run: () => Promise<unknown>): Promise<number> {
  statements.length = 0;
  await run();
  return statements.length;
}

/** A tenant with a zone of `workers` people, `courses` required zone courses (none held) and risk-based history. */
async function tenant(workers: number, courses: number): Promise<{ officer: Actor; zone: string }> {
  const officer = await server.actor('safety_officer');
  const zone = uuid();
  await server.db.withConnection((c) =>
    c.query(
      `WITH users AS (
         INSERT INTO profiles (id, tenant_id, role, display_name)
         SELECT gen_random_uuid(), $1::uuid, 'worker', 'W' || n FROM generate_series(1, $3::int) n RETURNING id),
       shifts AS (
         INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
         SELECT $1::uuid, $4::uuid, id, now() - interval '1 day', now() FROM users),
       courses AS (
         INSERT INTO training_courses (tenant_id, title, category, created_by, required, entity_type, auto_assign_enabled,
                                       risk_threshold)
         SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid, true, 'zone', true, 50 FROM generate_series(1, $5::int) n
         RETURNING id)
       INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, status, completed_at,
                                         trigger_score, trigger_entity_type, trigger_entity_id)
       SELECT $1::uuid, c.id, u.id, 'risk_based', 'completed', now() - interval '20 days', 80, 'worker', u.id
       FROM courses c CROSS JOIN users u`,
      [officer.tenantId, officer.userId, workers, zone, courses],
    ),
  );
  return { officer, zone };
}

describe('no N+1 in the risk loop', () => {
  it('qualifications of 3 or 30 users, each missing 2 or 8 courses, in the same number of statements', async () => {
    const small = await tenant(3, 2);
    const large = await tenant(30, 8);
    // Warm up: each caller's profile refresh happens once, on first use.
    await small.officer.request(QualificationsDocument, { zoneId: small.zone });
    await large.officer.request(QualificationsDocument, { zoneId: large.zone });
    let rows = 0;
    const smallCount = await statementsFor(async () => {
      rows = (await ok(small.officer.request(QualificationsDocument, { zoneId: small.zone }))).qualifications.length;
    });
    expect(rows).toBe(3);
    const largeCount = await statementsFor(async () => {
      const data = await ok(large.officer.request(QualificationsDocument, { zoneId: large.zone }));
      rows = data.qualifications.length;
      expect(data.qualifications.every((q) => q.missingCourses.length === 8 && q.user.displayName)).toBe(true);
    });
    expect(rows).toBe(30);
    expect(largeCount).toBe(smallCount);
  });

  it('byCourse effectiveness for 2 or 8 courses in the same number of statements', async () => {
    const small = await tenant(3, 2);
    const large = await tenant(3, 8);
    await small.officer.request(CourseEffectivenessDocument, {});
    await large.officer.request(CourseEffectivenessDocument, {});
    const smallCount = await statementsFor(() => ok(small.officer.request(CourseEffectivenessDocument, {})));
    const largeCount = await statementsFor(async () => {
      const data = await ok(large.officer.request(CourseEffectivenessDocument, {}));
      expect(data.trainingAnalytics.byCourse).toHaveLength(8);
    });
    expect(largeCount).toBe(smallCount);
  });
});
