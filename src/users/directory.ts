import { Prisma } from '../generated/prisma/client.js';
import { builder, connectionOf } from '../core/builder.js';
import { badCursor, badInput } from '../core/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../core/page-size.js';
import * as validate from '../core/validate.js';
import { primeProfiles, User } from './user.js';
import { Rule } from '../core/field-rules.js';

/**
 * The people directory: the tenant's profiles by name, for every "pick a person" field of a dashboard.
 * Ordered by display name (unnamed last), then id; a page continues after the profile its cursor names.
 */

export const UserConnection = connectionOf('UserConnection', User);

interface DirectoryRow {
  id: string | null;
  display_name: string | null;
  email: string | null;
  total: number;
}

/** A cursor is the id of the last profile of the page, written like every other cursor of this API. */
const cursorOf = (id: string) => Buffer.from(`GPC:S:${id}`).toString('base64');
function idOfCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  if (!decoded.startsWith('GPC:S:') || !validate.isUuid(decoded.slice(6))) throw badCursor('after');
  return decoded.slice(6).toLowerCase();
}

/** `%` and `_` typed by the user match themselves, not any text. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

builder.queryField('users', (t) =>
  t.withAuth({ may: 'users.directory' }).connection(
    {
      type: User,
      description:
        "The tenant's people (admin, safety officer), by name: `search` matches part of the name or the email, " +
        'case-insensitively. Forward pages only (`first`, `after`).',
      args: { search: t.arg.string({ description: 'Text in the display name or email.' }) },
      resolve: async (_root, args, context) => {
        if (args.last != null || args.before != null) {
          throw badInput(
            args.last != null ? 'last' : 'before',
            'this list pages forward only: use first and after',
            Rule.forwardOnly,
          );
        }
        const first =
          args.first == null
            ? DEFAULT_PAGE_SIZE
            : validate.integer('first', args.first, { min: 0, max: MAX_PAGE_SIZE });
        const text = args.search ? validate.text('search', args.search, { max: 200 }) : '';
        const after = args.after ? idOfCursor(args.after) : null;
        const tenantId = context.caller.tenantId;
        const matches = text
          ? Prisma.sql`AND (p.display_name ILIKE ${likePattern(text)} OR p.email ILIKE ${likePattern(text)})`
          : Prisma.empty;
        // Unnamed profiles sort last; the cursor's own row gives the position (a cursor naming no profile of
        // the tenant continues after nothing).
        const key = Prisma.sql`(p.display_name IS NULL, coalesce(p.display_name, ''), p.id)`;
        const position = after
          ? Prisma.sql`AND ${key} > (
              SELECT c.display_name IS NULL, coalesce(c.display_name, ''), c.id FROM profiles c
              WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ${after}::uuid)`
          : Prisma.empty;
        const rows = await context.read<DirectoryRow>(Prisma.sql`
          WITH matching AS (
            SELECT p.id, p.display_name, p.email FROM profiles p
            WHERE p.tenant_id = ${tenantId}::uuid ${matches})
          SELECT page.id::text, page.display_name, page.email, counted.total
          FROM (SELECT count(*)::int AS total FROM matching) AS counted
          LEFT JOIN LATERAL (
            SELECT p.id, p.display_name, p.email FROM matching p
            WHERE true ${position}
            ORDER BY ${key}
            LIMIT ${first + 1}) AS page ON true
          ORDER BY page.display_name IS NULL, coalesce(page.display_name, ''), page.id`);
        const total = rows[0]?.total ?? 0;
        const found = rows.filter((row): row is DirectoryRow & { id: string } => row.id !== null);
        const page = found.slice(0, first);
        primeProfiles(
          context,
          page.map((row) => ({ id: row.id, displayName: row.display_name, email: row.email })),
        );
        return {
          edges: page.map((row) => ({ cursor: cursorOf(row.id), node: { id: row.id } })),
          pageInfo: {
            hasNextPage: found.length > first,
            hasPreviousPage: after !== null,
            startCursor: page[0] ? cursorOf(page[0].id) : null,
            endCursor: page.at(-1) ? cursorOf(page.at(-1)!.id) : null,
          },
          totalCount: () => total,
        };
      },
    },
    UserConnection,
  ),
);
