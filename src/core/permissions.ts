/** Every role a token may carry. */
export const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** A module's permissions: each names the roles that hold it. */
export type PermissionTable = Record<string, readonly Role[]>;

/**
 * The names of every permission, filled in by the modules: each declares its table with `definePermissions` and
 * adds its names here by declaration merging, so `t.withAuth({ may: '…' })` only accepts a permission some module
 * grants.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PermissionNames {}
export type Permission = keyof PermissionNames & string;

/** The permission names of a table, for a module's `interface PermissionNames extends Granted<typeof table> {}`. */
export type Granted<T extends PermissionTable> = Record<keyof T, true>;

/**
 * Which roles may do what: the one table of the API's role rules, the union of the modules' tables. A field names
 * its permission (`t.withAuth({ may: 'courses.manage' })`); scope-auth checks it before the resolver runs.
 * PostgreSQL's RLS policies enforce the same rules underneath. A permission no module grants is held by no role.
 */
const PERMISSIONS = new Map<string, ReadonlySet<Role>>();

/** Adds a module's permissions to the table (at import, before any request); a name may be granted once only. */
export function definePermissions<const T extends PermissionTable>(table: T): T {
  const twice = Object.keys(table).find((name) => PERMISSIONS.has(name));
  if (twice) throw new Error(`permission "${twice}" is granted by two modules`);
  for (const [name, roles] of Object.entries(table)) PERMISSIONS.set(name, new Set(roles));
  return table;
}

/** The whole table, for documentation and tests. */
export const permissionTable = (): ReadonlyMap<string, ReadonlySet<Role>> => PERMISSIONS;

export const may = (role: Role, permission: Permission): boolean => PERMISSIONS.get(permission)?.has(role) ?? false;
