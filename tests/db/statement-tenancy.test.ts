import { describe, expect, it } from 'vitest';
import { tenancyProblems } from '../support/statement-tenancy.js';

/**
 * The check the whole suite's statements go through (STATEMENT_TENANCY): a statement stays on one tenant only if
 * every tenant table it reads or writes is limited by tenant_id, however it is nested. It must catch each way a
 * statement can reach every tenant, and pass the forms the API uses.
 */

const tenantTables = new Set(['training_assignments', 'training_courses', 'training_completions']);
const problems = (sql: string) => tenancyProblems(sql, tenantTables);

describe('a statement that names one tenant', () => {
  it.each([
    ['a parameter', 'SELECT * FROM training_courses WHERE tenant_id = $1'],
    ['a cast constant', "SELECT * FROM training_courses c WHERE c.tenant_id = 'a1b2'::uuid AND c.id = $2"],
    ['one value IN', 'SELECT * FROM training_courses WHERE tenant_id IN ($1) AND id IN ($2, $3)'],
    [
      "Prisma's qualified names, nested ANDs",
      'UPDATE "public"."training_assignments" SET "status" = $1 WHERE ("public"."training_assignments"."id" = $2 AND ("public"."training_assignments"."tenant_id" = $3))',
    ],
    [
      'a join on tenant_id',
      'SELECT * FROM training_assignments a JOIN training_courses c ON c.tenant_id = a.tenant_id AND c.id = a.course_id WHERE a.tenant_id = $1',
    ],
    [
      'a correlated subquery on tenant_id',
      'SELECT *, (SELECT count(*) FROM training_completions x WHERE x.tenant_id = a.tenant_id AND x.assignment_id = a.id) FROM training_assignments a WHERE a.tenant_id = $1',
    ],
    [
      'a limited subquery in FROM, joined on its tenant_id',
      'SELECT * FROM (SELECT * FROM training_assignments WHERE tenant_id = $1 LIMIT 10) p JOIN training_courses c ON c.tenant_id = p.tenant_id',
    ],
    [
      'a CTE',
      'WITH mine AS (SELECT * FROM training_assignments WHERE tenant_id = $1) SELECT * FROM mine JOIN training_courses c ON c.tenant_id = mine.tenant_id',
    ],
    [
      "Prisma's relation load: a list of the parents' tenant_id",
      'SELECT * FROM training_courses WHERE id IN ($1, $2) AND tenant_id IN ($3, $4)',
    ],
    [
      'a join on (tenant_id, id) as a row',
      'SELECT * FROM training_assignments a LEFT JOIN training_courses c ON (c.tenant_id, c.id) = (a.tenant_id, a.course_id) WHERE a.tenant_id = $1',
    ],
    [
      "Prisma's batch of lookups: tenant_id in each branch of an OR",
      'SELECT * FROM training_courses WHERE (id = $1 AND tenant_id = $2) OR (id = $3 AND tenant_id = $4)',
    ],
    ['an INSERT with tenant_id', 'INSERT INTO training_courses (tenant_id, title) VALUES ($1, $2) RETURNING id'],
    ['a shared table', 'SELECT * FROM scheduled_jobs WHERE name = $1'],
    ['no table', "BEGIN READ ONLY; SELECT set_config('app.tenant_id', '…', true)"],
  ])('passes with %s', async (_, sql) => {
    expect(await problems(sql)).toEqual([]);
  });
});

describe('a statement that may span tenants', () => {
  it.each([
    ['a lookup by id', 'SELECT * FROM training_courses WHERE id = $1', 'training_courses'],
    ['tenant_id under OR', 'SELECT * FROM training_courses WHERE tenant_id = $1 OR id = $2', 'training_courses'],
    [
      'an OR with a branch that names no tenant',
      'SELECT * FROM training_courses WHERE (id = $1 AND tenant_id = $2) OR id = $3',
      'training_courses',
    ],
    [
      'tenant_id from a subquery',
      'SELECT * FROM training_courses WHERE tenant_id IN (SELECT tenant_id FROM training_assignments WHERE id = $1)',
      'training_assignments',
    ],
    ['tenant_id from a list', 'SELECT * FROM training_courses WHERE tenant_id = ANY($1)', 'training_courses'],
    // The caller's tenant from a setting: PostgreSQL folds no STABLE function at planning, and Citus evaluates
    // only parameters of a SELECT before choosing its shards, so this reads every shard.
    [
      'tenant_id from a function',
      'SELECT * FROM training_courses WHERE tenant_id = app_tenant_id()',
      'training_courses',
    ],
    [
      'tenant_id from a setting',
      "SELECT * FROM training_courses WHERE tenant_id = current_setting('app.tenant_id')::uuid",
      'training_courses',
    ],
    [
      'a join on id alone',
      'SELECT * FROM training_assignments a JOIN training_courses c ON c.id = a.course_id WHERE a.tenant_id = $1',
      'training_courses (as c)',
    ],
    [
      'a correlated subquery on id alone',
      'SELECT (SELECT title FROM training_courses c WHERE c.id = a.course_id) FROM training_assignments a WHERE a.tenant_id = $1',
      'training_courses (as c)',
    ],
    ['an unlimited CTE', 'WITH every AS (SELECT * FROM training_courses) SELECT * FROM every', 'training_courses'],
    [
      'one arm of a UNION',
      'SELECT id FROM training_courses WHERE tenant_id = $1 UNION SELECT id FROM training_assignments',
      'training_assignments',
    ],
    [
      'an INSERT without tenant_id',
      'INSERT INTO training_courses (title) VALUES ($1)',
      'INSERT INTO training_courses does not give tenant_id',
    ],
    [
      'an INSERT … SELECT from every tenant',
      'INSERT INTO training_courses (tenant_id, title) SELECT tenant_id, title FROM training_courses',
      'training_courses',
    ],
    [
      'a DELETE … USING without tenant_id',
      'DELETE FROM training_completions x USING training_assignments a WHERE x.tenant_id = $1 AND a.id = x.assignment_id',
      'training_assignments (as a)',
    ],
    ['an UPDATE by id', 'UPDATE training_assignments SET status = $1 WHERE id = $2', 'training_assignments'],
  ])('fails with %s, naming the table', async (_, sql, table) => {
    expect((await problems(sql)).join('\n')).toContain(table);
  });
});
