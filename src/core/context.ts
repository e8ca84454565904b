import type { PrismaClient } from '../generated/prisma/client.js';
import { bearerToken, type Identity, type TokenVerifier } from './auth.js';
import type { Config } from './config.js';
import {
  sharedTransaction,
  tenantClient,
  withTenant,
  type Caller,
  type SharedTransaction,
  type TenantTransaction,
  type TransactionOptions,
} from './db.js';
import { temporarilyUnavailable, unauthenticated } from './errors.js';
import type { Logger } from './logger.js';
import type { LiveEventHub } from './live-events/index.js';

/** Long-lived services shared by every request. */
export interface AppServices {
  config: Config;
  logger: Logger;
  /** The owner client; requests never use it directly, only through their scoped view. */
  prisma: PrismaClient;
  verifyToken: TokenVerifier;
  profiles: ProfileRefresher;
  /** This instance's live events from PostgreSQL (subscriptions). */
  notifications: LiveEventHub;
}

/** What every resolver receives: the caller and a database view scoped to them. */
export interface Context {
  caller: Caller | null;
  /** Every operation runs under RLS as the caller (tenant, user, role). */
  readonly db: PrismaClient;
  /** Several statements in one transaction as the caller. */
  transaction<T>(fn: (tx: TenantTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * From now on every read of this request (`db` and `transaction`) runs in one shared
   * transaction, until `endReads()`. The HTTP server calls it for query operations only:
   * a mutation's writes keep their own transactions, and a subscription's context lives
   * as long as its socket.
   */
  shareReads?(): void;
  /** Commits the shared read transaction, if one was opened. */
  endReads?(): Promise<void>;
  services: AppServices;
}

/** Longest a query operation's reads may take together (and each statement, in PostgreSQL). */
export const READ_TRANSACTION_TIMEOUT_MS = 10_000;

/** Builds the context for one request (HTTP) or one subscription (WebSocket). */
export async function createContext(services: AppServices, authorization: string | undefined | null): Promise<Context> {
  const token = bearerToken(authorization);
  if (!token) return anonymousContext(services);
  const identity = await services.verifyToken(token);
  try {
    await services.profiles.ensure(identity);
  } catch (error) {
    services.logger.error({ err: error }, 'could not record the caller profile');
    throw temporarilyUnavailable();
  }
  const caller: Caller = { tenantId: identity.tenantId, userId: identity.userId, role: identity.role };
  let shared: SharedTransaction | undefined;
  return {
    caller,
    db: routedClient(services.prisma, caller, () => shared),
    transaction: (fn, options) => (shared ? shared.get().then(fn) : withTenant(services.prisma, caller, fn, options)),
    shareReads() {
      shared ??= sharedTransaction(services.prisma, caller, { timeout: READ_TRANSACTION_TIMEOUT_MS });
    },
    endReads: async () => shared?.end(),
    services,
  };
}

type Delegates = Record<string, Record<string | symbol, (...args: unknown[]) => unknown>>;

/**
 * The client resolvers and Pothos use: each model operation goes to the shared read
 * transaction when there is one, else runs as its own short transaction as the caller
 * (`tenantClient`, made on first use: a query operation never needs it). Raw SQL
 * (`$queryRaw` and the other `$` members) is refused here: it would run as the owner,
 * outside RLS; use `context.transaction`.
 */
function routedClient(prisma: PrismaClient, caller: Caller, shared: () => SharedTransaction | undefined): PrismaClient {
  let perOperation: PrismaClient | undefined;
  const target = () =>
    (shared()?.get() ?? (perOperation ??= tenantClient(prisma, caller))) as unknown as Delegates | Promise<Delegates>;
  const delegates = new Map<string, object>();
  return new Proxy(prisma, {
    get(owner, property, receiver) {
      if (typeof property === 'string' && property.startsWith('$')) {
        throw new Error(`context.db.${property} would bypass RLS: use context.transaction`);
      }
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
  get(): PrismaClient {
    throw unauthenticated();
  },
});

function anonymousContext(services: AppServices): Context {
  // Deny by default: scope-auth refuses anonymous callers before any resolver runs;
  // these throw only if a resolver forgot its scopes.
  const context = Object.create(anonymousPrototype) as Context;
  return Object.assign(context, {
    caller: null,
    transaction: () => Promise.reject(unauthenticated()),
    services,
  });
}

export interface ProfileRefresher {
  ensure(identity: Identity): Promise<void>;
}

/**
 * The caller's profile is created or refreshed from the token's claims on first
 * use (SPEC §3). Remembering what was last written keeps this to one write per
 * user per process instead of one per request.
 */
export function createProfileRefresher(prisma: PrismaClient, maxEntries = 50_000): ProfileRefresher {
  const written = new Map<string, string>();
  return {
    async ensure(identity) {
      const key = `${identity.tenantId}/${identity.userId}`;
      const fingerprint = [identity.role, identity.name ?? '', identity.email ?? ''].join('|');
      if (written.get(key) === fingerprint) return;
      await withTenant(
        prisma,
        identity,
        (tx) =>
          tx.$executeRaw`
          INSERT INTO profiles (id, tenant_id, display_name, email, role)
          VALUES (${identity.userId}::uuid, ${identity.tenantId}::uuid, ${identity.name ?? null}, ${identity.email ?? null}, ${identity.role})
          ON CONFLICT (tenant_id, id) DO UPDATE SET
            display_name = COALESCE(EXCLUDED.display_name, profiles.display_name),
            email = COALESCE(EXCLUDED.email, profiles.email),
            role = EXCLUDED.role
          WHERE (profiles.display_name, profiles.email, profiles.role)
                IS DISTINCT FROM (COALESCE(EXCLUDED.display_name, profiles.display_name),
                                  COALESCE(EXCLUDED.email, profiles.email), EXCLUDED.role)`,
      );
      if (written.size >= maxEntries) written.clear();
      written.set(key, fingerprint);
    },
  };
}
