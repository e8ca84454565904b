import type { owner } from '../support/sql.js';
import { uuid } from '../support/sql.js';

/** Shared by the training-holdings*.test.ts files: the recount training_holdings must equal, and a tenant to write. */

/** Per user, each course held through a passed completion whose certificate is not revoked, with its latest expiry. */
export const RECOUNT = `
  SELECT k.tenant_id::text, k.user_id::text, array_agg(k.course_id::text ORDER BY k.expires_on, k.course_id) AS course_ids,
         array_agg(k.expires_on::text ORDER BY k.expires_on, k.course_id) AS expires_on
  FROM (SELECT tc.tenant_id, tc.user_id, tc.course_id, max(coalesce(tc.expires_at, 'infinity')) AS expires_on
        FROM training_completions tc
        WHERE tc.passed AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.tenant_id = tc.tenant_id
                                          AND c.completion_id = tc.id AND c.revoked_at IS NOT NULL)
        GROUP BY 1, 2, 3) k
  GROUP BY 1, 2`;
const STORED = `
  SELECT h.tenant_id::text, h.user_id::text, h.course_ids::text[] AS course_ids, h.expires_on::text[] AS expires_on
  FROM training_holdings h`;
/** Rows of the recount missing from the table, and rows of the table the recount does not have. */
export const DIFFERENCES = `
  (SELECT 'missing' AS side, * FROM (${RECOUNT} EXCEPT ${STORED}) a)
  UNION ALL (SELECT 'extra' AS side, * FROM (${STORED} EXCEPT ${RECOUNT}) b)`;

export interface World {
  tenant: string;
  admin: string;
  users: string[];
  courses: string[];
}

/** A tenant with an admin, `users` workers and three required courses that issue certificates. */
export async function makeWorld(sql: ReturnType<typeof owner>, users = 3): Promise<World> {
  const tenant = uuid();
  const admin = uuid();
  const workers = Array.from({ length: users }, () => uuid());
  await sql.query(
    `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1::uuid, 'worker' FROM unnest($2::uuid[]) u
     UNION ALL SELECT $3::uuid, $1::uuid, 'admin'`,
    [tenant, workers, admin],
  );
  const courses = await sql.query<{ id: string }>(
    `INSERT INTO training_courses (tenant_id, title, category, created_by, required, issues_certificate)
     SELECT $1::uuid, 'Course ' || n, 'compliance', $2::uuid, true, true FROM generate_series(1, 3) n RETURNING id::text`,
    [tenant, admin],
  );
  return { tenant, admin, users: workers, courses: courses.map((row) => row.id) };
}
