import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { Identity, TokenVerifier } from '../auth.js';
import type { Config } from '../config.js';
import type { LiveEventHub } from '../live-events/index.js';
import type { Logger, RequestLog } from '../logger.js';
import type { Trace } from '../telemetry/tracing.js';
import type { Caller } from './caller.js';

export type { Caller };

/** One transaction as the caller: the models and raw SQL, nothing that would open or end a transaction. */
export type CallerTransaction = Prisma.TransactionClient;

/**
 * The database as the caller outside a transaction of one's own (a request's `db`): the models only, each
 * operation run as the caller. Raw `$` members would run as the owner, outside RLS.
 */
export type CallerDb = Omit<CallerTransaction, `$${string}`>;

export interface TransactionOptions {
  /** Prisma's interactive-transaction limits; the default `timeout` (5 s) suits requests, not bulk work. */
  timeout?: number;
  maxWait?: number;
  /** Roll the transaction back (its rows, notifications and NOTIFYs with it); what `fn` returned is still the answer. */
  dryRun?: boolean;
}

/** Long-lived services shared by every request. */
export interface AppServices {
  config: Config;
  logger: Logger;
  /** The owner client; requests never use it directly, only through their caller's client. */
  prisma: PrismaClient;
  /** Query operations' read transactions without Prisma's interactive one (PostgreSQL; absent on PGlite). */
  readLanes?: ReadLanes;
  verifyToken: TokenVerifier;
  /** Creates or refreshes the caller's profile from the token before the request runs. */
  profiles: ProfileRefresher;
  /** This instance's live events from PostgreSQL (subscriptions). */
  liveEvents: LiveEventHub;
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
  readonly db: CallerDb;
  /**
   * Several statements in one transaction as the caller (raw SQL goes here); in a query operation, its one
   * shared read transaction (the options then do not apply: it is READ ONLY and ends with the response).
   */
  transaction<T>(fn: (tx: CallerTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * One raw read as the caller, in the request's transaction (a query's read lane takes it straight to pg).
   * Select text, int, boolean or json columns only (cast in SQL): pg and Prisma return other types (bigint,
   * numeric, timestamps) differently, and which of them answers depends on the operation and the engine.
   */
  read<R>(statement: Prisma.Sql): Promise<R[]>;
  services: AppServices;
  /** The request's log lines, which carry its trace id: every line a request writes goes here. */
  log: RequestLog;
  /** The client's address (HTTP), for per-address limits; undefined over WebSocket. */
  clientAddress?: string;
}

/** The context of a field whose scopes require a caller (scope-auth's AuthContexts). */
export interface CallerContext extends Context {
  caller: Caller;
}

/** A query operation's one READ ONLY transaction as the caller, opened on first use and ended by `end()`. */
export interface SharedReads {
  /** The transaction; the first call opens it. */
  get(): Promise<CallerTransaction>;
  /** One raw read in it. */
  read<R>(statement: Prisma.Sql): Promise<R[]>;
  /** Ends it if it was opened. Safe to call more than once. */
  end(): Promise<void>;
}

/** One query operation's transaction, on one connection, until `end()`. */
export interface ReadLane {
  /** Model reads and raw SQL, every statement on this lane's connection, in its transaction. */
  readonly prisma: CallerTransaction;
  /**
   * One raw read on the lane's connection, as a named prepared statement (the first 256 texts); the
   * transaction's first goes in one round trip with the BEGIN script once the connection has it prepared.
   */
  query<R>(statement: Prisma.Sql): Promise<R[]>;
  /** Commits (a transaction a statement failed in rolls back) and returns the connection to the pool. */
  end(): Promise<void>;
}

export interface ReadLanes {
  /**
   * Takes a pooled connection; `begin` (a script without parameters) opens the lane's transaction, whose model
   * operations name `tenantId`; its statements are child spans of `trace` when given.
   */
  open(begin: string, tenantId: string, trace?: Trace): Promise<ReadLane>;
}
