import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { bearerToken, type Identity } from '../auth.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS } from '../db.js';
import { temporarilyUnavailable, transactionConflict, unauthenticated } from '../errors.js';
import { isTransactionConflict } from '../database-errors.js';
import { pgliteTransaction } from './pglite-transaction.js';
import { laneTransaction } from './read-lane.js';
import { runAsCaller } from './transactions.js';
import { openSharedWrites, type SharedWrites } from './shared-writes.js';
import type { AppServices, Caller, CallerContext, CallerDb, CallerTransaction, Context, SharedReads } from './types.js';
import { APPLY_CALLER, beginAsCaller, callerSettingValues } from './settings.js';
import { tenantScopedArgs } from './tenant-scope.js';
import { RequestLog } from '../logger.js';

export type {
  AppServices,
  Caller,
  CallerContext,
  CallerDb,
  CallerTransaction,
  Context,
  ProfileRefresher,
  TransactionOptions,
} from './types.js';
export { actingAs, runAsAppRole, runAsCaller } from './transactions.js';
export { openReadLanes } from './read-lane.js';
export { writeOnLane } from './write-lane.js';
export { readInBatches, type BatchOptions, type TextRow } from './cursor.js';
export type { SharedWrites } from './shared-writes.js';
export type { ReadLane, ReadLanes } from './types.js';

/**
 * Running as the caller, the one module for it. Every statement runs in a transaction that first applies
 * the caller's settings (`SET LOCAL ROLE training_app`, app.tenant_id, app.user_id, app.role,
 * statement_timeout), so PostgreSQL's RLS governs it. One function per use:
 *
 * - `requestContext`: a GraphQL request's (or subscription's) context. Its `db` runs each model operation in
 *   a short transaction of its own and `transaction` several statements in one; in a query operation every
 *   read goes to one shared READ ONLY transaction instead (opened on first use, ended with the response by
 *   `queryReadsShareOneTransaction`): a read lane on PostgreSQL (read-lane.ts), a Prisma interactive
 *   transaction on PGlite (pglite-transaction.ts).
 * - `runAsCaller` (transactions.ts): one transaction as a caller, for work outside a request (scheduled jobs); `readAsCaller`
 *   one that only reads, on a read lane on PostgreSQL.
 * - `runAsAppRole`: the application role with no caller, for the few narrow cross-tenant SECURITY DEFINER
 *   functions (which tenants a job visits, which e-mails are due, a public certificate lookup).
 * - `tenantDeliveryContext`: live delivery's context, as the tenant's service role.
 *
 * Every model operation as a caller also names the caller's tenant in its SQL (tenant-scope.ts).
 */

/** Longest a query operation's reads may take together (and each statement, in PostgreSQL). */
const READ_TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * `fn` as the caller, for reads only (a READ ONLY transaction): on PostgreSQL on a read lane (BEGIN and the
 * caller's settings go out with the first read, raw reads skip Prisma), on PGlite in a transaction.
 */
export async function readAsCaller<T>(
  services: AppServices,
  caller: Caller,
  fn: (tx: CallerTransaction, read: <R>(statement: Prisma.Sql) => Promise<R[]>) => Promise<T>,
): Promise<T> {
  const lanes = services.readLanes;
  const timeout = READ_TRANSACTION_TIMEOUT_MS;
  if (!lanes) return runAsCaller(services.prisma, caller, (tx) => fn(tx, (s) => tx.$queryRaw(s)), { timeout });
  const reads = laneTransaction(lanes, caller, () => beginAsCaller(caller, timeout));
  try {
    return await fn(await reads.get(), (statement) => reads.read(statement));
  } finally {
    await reads.end();
  }
}

/** Per request: the shared read transaction's switches, used only by the Apollo plugin below. */
interface ReadSharing {
  /** From now on every read of this request (`db`, `transaction` and `read`) runs in one shared transaction. */
  share(): void;
  /** Ends the shared transaction, if one was opened. */
  end(): Promise<void>;
}
// A symbol key, not a WeakMap: Apollo hands plugins a copy of the context (Object.assign keeps symbol keys).
const readSharing = Symbol('readSharing');
type SharingContext = Context & { [readSharing]?: ReadSharing };

/** A GraphQL request's (HTTP) or a subscription socket's (WebSocket) context, logging to `log`; `trace` if sampled. */
export async function requestContext(
  services: AppServices,
  authorization: string | undefined | null,
  log: RequestLog,
  clientAddress?: string,
  requestId: string = randomUUID(),
  trace?: Caller['trace'],
): Promise<Context> {
  const token = bearerToken(authorization);
  if (!token) return anonymousContext(services, log, clientAddress);
  const identity = await services.verifyToken(token);
  await recordProfile(services, identity, log);
  const { tenantId, userId, role } = identity;
  const caller: Caller = { tenantId, userId, role, requestId, trace };
  let shared: SharedReads | undefined;
  const sharing: ReadSharing = {
    share() {
      shared ??= refusedAfterEnd(
        services.readLanes
          ? laneTransaction(services.readLanes, caller, () => beginAsCaller(caller, READ_TRANSACTION_TIMEOUT_MS))
          : pgliteTransaction((fn) =>
              runAsCaller(services.prisma, caller, fn, { timeout: READ_TRANSACTION_TIMEOUT_MS }),
            ),
      );
    },
    end: async () => shared?.end(),
  };
  const context: CallerContext & SharingContext = callerContext(services, caller, log, () => shared, clientAddress);
  context[readSharing] = sharing;
  return context;
}

async function recordProfile(services: AppServices, identity: Identity, log: RequestLog): Promise<void> {
  try {
    await services.profiles.ensure(identity);
  } catch (error) {
    if (isTransactionConflict(error)) {
      log.warn({ err: error }, 'recording the caller profile lost to a concurrent write (retryable)');
      throw transactionConflict();
    }
    log.error({ err: error }, 'could not record the caller profile');
    throw temporarilyUnavailable();
  }
}

/**
 * Live delivery's context: work done for a whole tenant rather than one caller (a payload shaped once for
 * every subscriber allowed to see it), as the `service` role under RLS to that tenant, no user.
 */
export function tenantDeliveryContext(services: AppServices, tenantId: string): CallerContext {
  const service: Caller = { tenantId, userId: '', role: 'service' };
  return callerContext(services, service, new RequestLog(services.logger), () => undefined);
}

function callerContext(
  services: AppServices,
  caller: Caller,
  log: RequestLog,
  shared: () => SharedReads | undefined,
  clientAddress?: string,
  writes?: SharedWrites,
): CallerContext {
  const transaction: Context['transaction'] = (fn, options) => {
    if (writes) return writes.run(fn, options);
    const reads = shared();
    return reads ? reads.get().then(fn) : runAsCaller(services.prisma, caller, fn, options);
  };
  return {
    caller,
    db: callerDb(services.prisma, caller, writes ? () => writes : shared),
    transaction,
    read: <R>(statement: Prisma.Sql) => {
      if (writes) return writes.read<R>(statement);
      const reads = shared();
      return reads ? reads.read<R>(statement) : transaction((tx) => tx.$queryRaw<R[]>(statement));
    },
    services,
    log,
    clientAddress,
  };
}

/** Longest an idempotent mutation's one transaction may take (each statement too, in PostgreSQL). */
const SHARED_WRITES_TIMEOUT_MS = 30_000;

/**
 * The caller's request context with every read and write in one transaction (`SharedWrites`), which the
 * caller of this ends: each `transaction` of a resolver becomes a savepoint in it.
 */
export function sharedWritesContext(context: CallerContext): { context: CallerContext; writes: SharedWrites } {
  const { services, caller } = context;
  const writes = openSharedWrites((fn) =>
    runAsCaller(services.prisma, caller, fn, { timeout: SHARED_WRITES_TIMEOUT_MS }),
  );
  return {
    context: callerContext(services, caller, context.log, () => undefined, context.clientAddress, writes),
    writes,
  };
}

/**
 * A query's reads share one transaction (one connection, one BEGIN, one application of the
 * caller's settings), ended before the response goes out. A mutation's writes keep their
 * own transactions, and a subscription's context lives as long as its socket: neither shares.
 */
export const queryReadsShareOneTransaction: ApolloServerPlugin<Context> = {
  async requestDidStart({ contextValue }) {
    const sharing = (contextValue as SharingContext)[readSharing];
    if (!sharing) return; // anonymous: no reads
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'query') sharing.share();
      },
      async willSendResponse() {
        await sharing.end();
      },
    };
  },
};

/**
 * Reads after `end()` are refused. graphql-js completes a response without waiting for the pending siblings
 * of a field whose error nulled their parent; their late reads (a DataLoader's batch) would otherwise open a
 * transaction that nobody ends, holding a pooled connection until a timeout.
 */
function refusedAfterEnd(shared: SharedReads): SharedReads {
  let ended = false;
  const refused = () => Promise.reject(new Error("read after the query operation's transaction ended"));
  return {
    get: () => (ended ? refused() : shared.get()),
    read: (statement) => (ended ? refused() : shared.read(statement)),
    end() {
      ended = true;
      return shared.end();
    },
  };
}

/**
 * The client for one caller outside a shared transaction: every model operation becomes a short
 * transaction that applies the caller's settings first, so nested Pothos selections stay one Prisma
 * operation each and all of them run under RLS.
 */
function perOperationDb(prisma: PrismaClient, caller: Caller): CallerDb {
  return prisma.$extends({
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          const [, result] = await prisma.$transaction([
            prisma.$executeRawUnsafe(APPLY_CALLER, ...callerSettingValues(caller, DEFAULT_TRANSACTION_TIMEOUT_MS)),
            query(tenantScopedArgs(model, operation, args as Record<string, unknown>, caller.tenantId) as typeof args),
          ]);
          return result;
        },
      },
    },
  }) as unknown as CallerDb; // the extension keeps PrismaClient's model API; only its nominal type differs
}

type Delegates = Record<string, Record<string | symbol, (...args: unknown[]) => unknown>>;

/**
 * The context's `db`: each model operation goes to the shared read transaction when there
 * is one, else to `perOperationDb` (made on first use: a query operation never needs it).
 * The `$` members are absent, as its type says: they would run as the owner, outside RLS.
 */
function callerDb(prisma: PrismaClient, caller: Caller, shared: () => Pick<SharedReads, 'get'> | undefined): CallerDb {
  let perOperation: CallerDb | undefined;
  const target = () =>
    (shared()?.get() ?? (perOperation ??= perOperationDb(prisma, caller))) as unknown as Delegates | Promise<Delegates>;
  const delegates = new Map<string, object>();
  return new Proxy(prisma, {
    get(owner, property, receiver) {
      if (typeof property === 'string' && property.startsWith('$')) return undefined;
      const delegate: unknown = Reflect.get(owner, property, receiver);
      if (typeof property !== 'string' || typeof delegate !== 'object' || !delegate) return delegate;
      let routed = delegates.get(property);
      if (!routed) {
        routed = new Proxy(delegate, {
          get(model, operation, modelReceiver) {
            const member: unknown = Reflect.get(model, operation, modelReceiver);
            if (typeof member !== 'function') return member;
            return (...args: unknown[]) => {
              const client = target();
              const call = (scoped: Delegates) => scoped[property]![operation]!(...args);
              return client instanceof Promise ? client.then(call) : call(client);
            };
          },
        });
        delegates.set(property, routed);
      }
      return routed;
    },
  });
}

/**
 * The anonymous caller's `db` throws. The getter lives on the prototype: Apollo
 * clones each request's context with Object.assign, which would call an own
 * getter and fail every anonymous request (even `{ health }`) with a 500.
 */
const anonymousPrototype: object = Object.defineProperty({}, 'db', {
  get(): CallerDb {
    throw unauthenticated();
  },
});

function anonymousContext(services: AppServices, log: RequestLog, clientAddress: string | undefined): Context {
  // Deny by default: scope-auth refuses anonymous callers before any resolver runs;
  // these throw only if a resolver forgot its scopes.
  const context = Object.create(anonymousPrototype) as Context;
  return Object.assign(context, {
    caller: null,
    transaction: () => Promise.reject(unauthenticated()),
    read: () => Promise.reject(unauthenticated()),
    services,
    log,
    clientAddress,
  });
}
