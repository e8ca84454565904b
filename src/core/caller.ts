import type { ApolloServerPlugin } from '@apollo/server';
import pg from 'pg';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { bearerToken, type Identity, type TokenVerifier } from './auth.js';
import type { Config } from './config.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, type Database } from './db.js';
import { isTransactionConflict, temporarilyUnavailable, transactionConflict, unauthenticated } from './errors.js';
import type { Logger } from './logger.js';
import type { LiveEventHub } from './live-events/index.js';
import type { Role } from './permissions.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * Running as the caller, in one place. Every statement of a request runs inside a
 * transaction that first applies the caller's settings (`SET LOCAL ROLE training_app`,
 * app.tenant_id, app.user_id, app.role), so PostgreSQL's RLS governs it:
 *
 * - `withTenant` runs a function in one such transaction;
 * - `createContext` builds a request's context, whose `db` turns every model operation
 *   into one (or routes it into the query's shared read transaction);
 * - `queryReadsShareOneTransaction` (an Apollo plugin) opens that shared transaction
 *   for query operations and commits it before the response goes out.
 */

/** Who is asking: every SQL statement of a request runs with these settings. */
export interface Caller {
  tenantId: string;
  userId: string;
  role: Role;
}

/** The non-owner role every request runs as; RLS policies are written for it. */
export const APP_ROLE = 'training_app';

/**
 * The settings every transaction of a request applies first, by name, and their values for a caller.
 * statement_timeout matches the transaction's timeout: a statement of a request the API has given up on
 * is cancelled by PostgreSQL instead of running on and holding a pooled connection.
 */
const CALLER_SETTINGS = ['role', 'app.tenant_id', 'app.user_id', 'app.role', 'statement_timeout'] as const;

function callerSettingValues(caller: Caller, timeoutMs: number): string[] {
  return [APP_ROLE, caller.tenantId, caller.userId, caller.role, `${timeoutMs}ms`];
}

/** The caller's settings as one statement, values as parameters (`callerSettingValues`). */
const APPLY_CALLER = `SELECT ${CALLER_SETTINGS.map((name, index) => `set_config('${name}', $${index + 1}, true)`).join(', ')}`;

/**
 * BEGIN and the caller's settings as one script (one round trip) for a read lane (db.ts), values as
 * literals: the simple-query protocol that runs a script takes no parameters. READ ONLY: a query operation
 * only reads, and a resolver that tried to write in one would fail rather than write. A session left idle
 * inside the transaction (a request that never ended it) is closed by PostgreSQL after the timeout.
 */
function beginAsCaller(caller: Caller, timeoutMs: number): string {
  const values = callerSettingValues(caller, timeoutMs);
  const applied = CALLER_SETTINGS.map(
    (name, index) => `set_config('${name}', ${pg.escapeLiteral(values[index]!)}, true)`,
  );
  applied.push(`set_config('idle_in_transaction_session_timeout', '${timeoutMs}ms', true)`);
  return `BEGIN READ ONLY; SELECT ${applied.join(', ')}`;
}

export type TenantTransaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Prisma's interactive-transaction limits; the default `timeout` (5 s) suits requests, not bulk work. */
export interface TransactionOptions {
  timeout?: number;
  maxWait?: number;
}

/** Runs `fn` in one transaction as the caller: RLS governs every statement inside. */
export function withTenant<T>(
  prisma: PrismaClient,
  caller: Caller,
  fn: (tx: TenantTransaction) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  const timeout = options?.timeout ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(APPLY_CALLER, ...callerSettingValues(caller, timeout));
      return fn(tx);
    },
    { ...options, timeout },
  );
}

/** Thrown out of a dry run's transaction to roll it back, carrying what the run would have returned. */
class DryRunRollback<T> extends Error {
  constructor(readonly result: T) {
    super('dry run: rolled back');
  }
}

/**
 * Runs `fn` in one transaction of the request; with `dryRun` the transaction is rolled back
 * (its rows, notifications and NOTIFYs with it) and what `fn` returned is still the answer.
 */
export function transactionOrDryRun<T>(
  context: Pick<Context, 'transaction'>,
  dryRun: boolean,
  fn: (tx: TenantTransaction) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  return context
    .transaction(async (tx) => {
      const result = await fn(tx);
      if (dryRun) throw new DryRunRollback(result);
      return result;
    }, options)
    .catch((error: unknown) => {
      if (error instanceof DryRunRollback) return error.result as T;
      throw error;
    });
}

/** The Prisma client a request sees: its models only. Raw `$` members would run as the owner, outside RLS. */
export type CallerClient = Omit<PrismaClient, `$${string}`>;

/** Long-lived services shared by every request. */
export interface AppServices {
  config: Config;
  logger: Logger;
  /** The owner client; requests never use it directly, only through their caller's client. */
  prisma: PrismaClient;
  /** Query operations' read transactions without Prisma's interactive one (PostgreSQL; absent on PGlite). */
  openReadLane?: Database['openReadLane'];
  verifyToken: TokenVerifier;
  /** Creates or refreshes the caller's profile from the token before the request runs. */
  profiles: ProfileRefresher;
  /** This instance's live events from PostgreSQL (subscriptions). */
  liveEvents: LiveEventHub;
  /** Per-client-address limit on public lookups (certificate PDF, verify page, `verifyCertificate`). */
  lookupLimiter: RateLimiter;
}

export interface ProfileRefresher {
  ensure(identity: Identity): Promise<void>;
  /** These users' profiles were written otherwise: check them against their next token's claims. */
  forget(tenantId: string, userIds: readonly string[]): void;
}

/** What every resolver receives: the caller and a database client scoped to them. */
export interface Context {
  caller: Caller | null;
  /** Every operation runs under RLS as the caller (tenant, user, role). */
  readonly db: CallerClient;
  /** Several statements in one transaction as the caller (raw SQL goes here). */
  transaction<T>(fn: (tx: TenantTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * One raw read as the caller, in the request's transaction (a query's read lane takes it straight to pg).
   * Select text, int, boolean or json columns only (cast in SQL): pg and Prisma return other types (bigint,
   * numeric, timestamps) differently, and which of them answers depends on the operation and the engine.
   */
  read<R>(statement: Prisma.Sql): Promise<R[]>;
  services: AppServices;
  /** The client's address (HTTP), for per-address limits; undefined over WebSocket. */
  clientAddress?: string;
}

/** The context of a field whose scopes require a caller (scope-auth's AuthContexts). */
export interface CallerContext extends Context {
  caller: Caller;
}

/** Longest a query operation's reads may take together (and each statement, in PostgreSQL). */
export const READ_TRANSACTION_TIMEOUT_MS = 10_000;

/** Per request: the shared read transaction's switches, used only by the Apollo plugin below. */
interface ReadSharing {
  /** From now on every read of this request (`db` and `transaction`) runs in one shared transaction. */
  share(): void;
  /** Commits the shared transaction, if one was opened. */
  end(): Promise<void>;
}
// A symbol key, not a WeakMap: Apollo hands plugins a copy of the context (Object.assign keeps symbol keys).
const readSharing = Symbol('readSharing');
type SharingContext = Context & { [readSharing]?: ReadSharing };

/** Builds the context for one request (HTTP) or one subscription (WebSocket). */
export async function createContext(
  services: AppServices,
  authorization: string | undefined | null,
  clientAddress?: string,
): Promise<Context> {
  const token = bearerToken(authorization);
  if (!token) return anonymousContext(services, clientAddress);
  const identity = await services.verifyToken(token);
  try {
    await services.profiles.ensure(identity);
  } catch (error) {
    if (isTransactionConflict(error)) {
      services.logger.warn({ err: error }, 'recording the caller profile lost to a concurrent write (retryable)');
      throw transactionConflict();
    }
    services.logger.error({ err: error }, 'could not record the caller profile');
    throw temporarilyUnavailable();
  }
  const caller: Caller = { tenantId: identity.tenantId, userId: identity.userId, role: identity.role };
  let shared: SharedTransaction | undefined;
  const context: CallerContext & SharingContext = {
    caller,
    db: routedClient(services.prisma, caller, () => shared),
    transaction: (fn, options) => (shared ? shared.get().then(fn) : withTenant(services.prisma, caller, fn, options)),
    read: (statement) => (shared ? shared.read(statement) : readInTransaction(context, statement)),
    services,
    clientAddress,
    [readSharing]: {
      share() {
        shared ??= refusedAfterEnd(
          services.openReadLane
            ? laneTransaction(services.openReadLane, caller)
            : sharedTransaction(services.prisma, caller, { timeout: READ_TRANSACTION_TIMEOUT_MS }),
        );
      },
      end: async () => shared?.end(),
    },
  };
  return context;
}

/**
 * A context for work done on behalf of a whole tenant rather than one caller
 * (live delivery shapes a payload once for every subscriber allowed to see it):
 * the `service` role, under RLS to that tenant, no user.
 */
export function tenantServiceContext(services: AppServices, tenantId: string): CallerContext {
  const caller: Caller = { tenantId, userId: '', role: 'service' };
  const context: CallerContext = {
    caller,
    db: routedClient(services.prisma, caller, () => undefined),
    transaction: (fn, options) => withTenant(services.prisma, caller, fn, options),
    read: (statement) => readInTransaction(context, statement),
    services,
  };
  return context;
}

function readInTransaction<R>(context: Pick<Context, 'transaction'>, statement: Prisma.Sql): Promise<R[]> {
  return context.transaction((tx) => tx.$queryRaw<R[]>(statement));
}

/**
 * A query's reads share one transaction (one connection, one BEGIN, one application of the
 * caller's settings), committed before the response goes out. A mutation's writes keep their
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

/** One transaction as the caller, opened on first use and committed by `end()`. */
interface SharedTransaction {
  /** The transaction; the first call opens it. */
  get(): Promise<TenantTransaction>;
  /** One raw read in it. */
  read<R>(statement: Prisma.Sql): Promise<R[]>;
  /** Commits it if it was opened. Safe to call more than once. */
  end(): Promise<void>;
}

/**
 * Reads after `end()` are refused. graphql-js completes a response without waiting for the pending siblings
 * of a field whose error nulled their parent; their late reads (a DataLoader's batch) would otherwise open a
 * transaction that nobody ends, holding a pooled connection until a timeout.
 */
function refusedAfterEnd(shared: SharedTransaction): SharedTransaction {
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

/** The shared transaction on PostgreSQL: a read lane (db.ts), opened on first use. */
function laneTransaction(openReadLane: NonNullable<Database['openReadLane']>, caller: Caller): SharedTransaction {
  let lane: ReturnType<typeof openReadLane> | undefined;
  const opened = () => (lane ??= openReadLane(beginAsCaller(caller, READ_TRANSACTION_TIMEOUT_MS)));
  return {
    // The lane's client is a whole PrismaClient; a transaction's client is that minus the members that open transactions.
    get: () => opened().then((open) => open.prisma as TenantTransaction),
    read: (statement) => opened().then((open) => open.query(statement)),
    async end() {
      // The response need not wait for the COMMIT: the transaction is READ ONLY, so there is nothing its
      // COMMIT could fail to keep, and the lane hands its connection back once the COMMIT is through.
      // A lane that failed to open has nothing to end (its reads reported the failure).
      void lane?.then((open) => open.end()).catch(() => undefined);
    },
  };
}

function sharedTransaction(prisma: PrismaClient, caller: Caller, options?: TransactionOptions): SharedTransaction {
  let opened: Promise<TenantTransaction> | undefined;
  let finished: Promise<unknown> = Promise.resolve();
  let release = () => {};
  const shared: SharedTransaction = {
    get: () =>
      (opened ??= new Promise<TenantTransaction>((resolve, reject) => {
        const released = new Promise<void>((done) => (release = done));
        finished = withTenant(
          prisma,
          caller,
          async (tx) => {
            // As a read lane's (beginAsCaller): a query operation only reads.
            await tx.$executeRawUnsafe('SET TRANSACTION READ ONLY');
            resolve(tx);
            await released;
          },
          options,
        ).catch(reject); // after `resolve` this only ends it: the reads themselves report their errors
      })),
    read: (statement) => shared.get().then((tx) => tx.$queryRaw(statement)),
    async end() {
      release();
      await finished;
    },
  };
  return shared;
}

/**
 * A view of the client for one caller outside a shared transaction: every model operation
 * becomes a short transaction that applies the caller's settings first, so nested Pothos
 * selections stay one Prisma operation each and all of them run under RLS.
 */
function tenantClient(prisma: PrismaClient, caller: Caller): CallerClient {
  return prisma.$extends({
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          const [, result] = await prisma.$transaction([
            prisma.$executeRawUnsafe(APPLY_CALLER, ...callerSettingValues(caller, DEFAULT_TRANSACTION_TIMEOUT_MS)),
            query(args),
          ]);
          return result;
        },
      },
    },
  }) as unknown as CallerClient; // the extension keeps PrismaClient's model API; only its nominal type differs
}

type Delegates = Record<string, Record<string | symbol, (...args: unknown[]) => unknown>>;

/**
 * The request's `db`: each model operation goes to the shared read transaction when there
 * is one, else to `tenantClient` (made on first use: a query operation never needs it).
 * The `$` members are absent, as its type says: they would run as the owner, outside RLS.
 */
function routedClient(prisma: PrismaClient, caller: Caller, shared: () => SharedTransaction | undefined): CallerClient {
  let perOperation: CallerClient | undefined;
  const target = () =>
    (shared()?.get() ?? (perOperation ??= tenantClient(prisma, caller))) as unknown as Delegates | Promise<Delegates>;
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
  get(): CallerClient {
    throw unauthenticated();
  },
});

function anonymousContext(services: AppServices, clientAddress: string | undefined): Context {
  // Deny by default: scope-auth refuses anonymous callers before any resolver runs;
  // these throw only if a resolver forgot its scopes.
  const context = Object.create(anonymousPrototype) as Context;
  return Object.assign(context, {
    caller: null,
    transaction: () => Promise.reject(unauthenticated()),
    read: () => Promise.reject(unauthenticated()),
    services,
    clientAddress,
  });
}
