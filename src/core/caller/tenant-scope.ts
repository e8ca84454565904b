import { Prisma } from '../../generated/prisma/client.js';

/**
 * Every model operation of a caller names the caller's tenant: `tenantId` joins the `where` of each read, update
 * and delete of a model with a tenant (and the data of each create that lacks it). RLS already keeps the rows to
 * the tenant; this makes the statement say so, which a database distributed by tenant_id needs to send it to one
 * tenant's shard instead of every shard (a lookup by id or code alone). It adds a condition, never a statement.
 */

/** Prisma's names of the models that have a tenantId. */
const TENANT_MODELS: ReadonlySet<string> = new Set(
  Object.values(Prisma.ModelName).filter((model) => {
    const fields = (Prisma as unknown as Record<string, Record<string, string> | undefined>)[`${model}ScalarFieldEnum`];
    return fields !== undefined && 'tenantId' in fields;
  }),
);

const FILTERED = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);

type Args = Record<string, unknown> | undefined;

/** `args` of `operation` on `model` with the tenant named (the same object when there is nothing to add). */
export function tenantScopedArgs(model: string | undefined, operation: string, args: Args, tenantId: string): Args {
  if (model === undefined || !TENANT_MODELS.has(model)) return args;
  let scoped = args;
  const where = args?.where as Record<string, unknown> | undefined;
  if (FILTERED.has(operation) && where?.tenantId === undefined) scoped = { ...scoped, where: { ...where, tenantId } };
  // A page after a cursor reads the cursor's row again, by the cursor's fields alone.
  const cursor = args?.cursor as Record<string, unknown> | undefined;
  if (cursor && cursor.tenantId === undefined) scoped = { ...scoped, cursor: { ...cursor, tenantId } };
  if (operation === 'create' || operation === 'createMany' || operation === 'createManyAndReturn') {
    scoped = { ...scoped, data: withTenant(scoped?.data, tenantId) };
  } else if (operation === 'upsert') {
    scoped = { ...scoped, create: withTenant(scoped?.create, tenantId) };
  }
  return scoped;
}

/**
 * Create data with tenantId when it has none. Data that links relations (`connect`, `create`…) is left as it is:
 * Prisma takes either relations or their key columns, not both.
 */
function withTenant(data: unknown, tenantId: string): unknown {
  if (Array.isArray(data)) return data.map((row) => withTenant(row, tenantId));
  if (typeof data !== 'object' || data === null) return data;
  const row = data as Record<string, unknown>;
  if (row.tenantId !== undefined) return row;
  const linked = Object.values(row).some(
    (value) => typeof value === 'object' && value !== null && isRelationWrite(value),
  );
  return linked ? row : { ...row, tenantId };
}

function isRelationWrite(value: object): boolean {
  return 'connect' in value || 'create' in value || 'connectOrCreate' in value || 'createMany' in value;
}

/** A model's delegate key on a client (`trainingCourse`) for each model with a tenant, and the model's name. */
const TENANT_DELEGATES: ReadonlyMap<string, string> = new Map(
  [...TENANT_MODELS].map((model) => [model.charAt(0).toLowerCase() + model.slice(1), model]),
);

type Members = Record<PropertyKey, unknown>;

/**
 * `client` (a caller's transaction, or a lane's client) with every model operation naming `tenantId`. A proxy
 * rather than a Prisma extension: an extended client costs a fraction of a millisecond to make, once per
 * transaction; this costs an object.
 */
export function tenantScoped<Client extends object>(client: Client, tenantId: string): Client {
  const delegates = new Map<string, object>();
  return new Proxy(client, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property);
      const model = typeof property === 'string' ? TENANT_DELEGATES.get(property) : undefined;
      if (model === undefined || typeof member !== 'object' || member === null) {
        return typeof member === 'function' ? member.bind(target) : member;
      }
      let scoped = delegates.get(model);
      if (!scoped) {
        scoped = new Proxy(member, {
          get(delegate, operation) {
            const method = (delegate as Members)[operation];
            if (typeof method !== 'function' || typeof operation !== 'string') return method;
            return (args?: Args, ...rest: unknown[]) =>
              method.call(delegate, tenantScopedArgs(model, operation, args, tenantId), ...rest);
          },
        });
        delegates.set(model, scoped);
      }
      return scoped;
    },
  });
}
