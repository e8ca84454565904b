import { Prisma } from '../generated/prisma/client.js';
import { plainLeaf, registerPlainFields, sameTenant, type PlainRelation } from '../core/plain-pages/index.js';

// The User fields PostgreSQL writes as their resolvers serialise them (plain pages, core/plain-pages): the id,
// and the names of the profile, which anyone of the tenant reads (RLS), null when the tenant has none.
const profile = (name: 'display_name' | 'email') => (row: string, scope: Parameters<typeof sameTenant>[2]) => {
  const related = `${row}_profile`;
  return Prisma.sql`(SELECT ${Prisma.raw(`${related}.${name}`)} FROM profiles ${Prisma.raw(related)} WHERE ${sameTenant(row, related, scope)} AND ${Prisma.raw(`${related}.id = ${row}.id`)})`;
};

registerPlainFields('User', {
  id: plainLeaf.value('id'),
  displayName: profile('display_name'),
  email: profile('email'),
});

/**
 * A User field whose resolver makes `{ id }` of the row's `column` (null when the column is): a row of its own
 * (with the tenant, for the names), whether or not the tenant has a profile for that id.
 */
export function userOf(column: string): PlainRelation {
  if (!/^[a-z_]+$/.test(column)) throw new Error(`not a column: ${column}`);
  return {
    type: 'User',
    from: (row, related) =>
      Prisma.raw(`FROM (SELECT ${row}.${column} AS id, ${row}.tenant_id) ${related} WHERE ${related}.id IS NOT NULL`),
  };
}
