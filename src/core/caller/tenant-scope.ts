import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';

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

/** `prisma` (or a client over a lane's connection) with every model operation naming `tenantId`. */
export function tenantScoped<Client extends PrismaClient>(prisma: Client, tenantId: string): Client {
  return prisma.$extends({
    query: {
      $allModels: {
        $allOperations: ({ model, operation, args, query }) =>
          query(tenantScopedArgs(model, operation, args as Args, tenantId) as typeof args),
      },
    },
  }) as unknown as Client;
}
