import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * The one module that owns the database: the Prisma client, the pool (or the
 * embedded PGlite) and the helpers that run work as a tenant user under RLS.
 */

export const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is asking: every SQL statement of a request runs with these settings. */
export interface Caller {
  tenantId: string;
  userId: string;
  role: Role;
}

/** A plain SQL connection (owner privileges) for migrations, LISTEN and maintenance. */
export interface SqlConnection {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Runs a script of several statements (no parameters). */
  exec(text: string): Promise<void>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  /** Borrows one owner connection for the duration of `fn`. */
  withConnection<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T>;
  /** The PostgreSQL URL or the PGlite instance, for components that need their own session (LISTEN). */
  source: { url: string } | { pglite: PGlite };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data folder, or `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  poolMax?: number;
  /**
   * How long a request waits for a pooled connection before it fails (Prisma's
   * transaction `maxWait`; Prisma's own default, 2 s, fails bursts that would have
   * been served a moment later). Also bounds opening a new connection to a server
   * that does not answer.
   */
  acquireTimeoutMs?: number;
  /** Called with every SQL statement Prisma sends (tests count them to catch N+1). */
  onQuery?: (sql: string) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir ?? 'memory://', options);
}

export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5_000;
/** Prisma's interactive-transaction default; request statements are cancelled after it too. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 5_000;

function createClient(adapter: PrismaPg | PrismaPGlite, { onQuery, acquireTimeoutMs }: DatabaseOptions): PrismaClient {
  const transactionOptions = {
    maxWait: acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
    timeout: DEFAULT_TRANSACTION_TIMEOUT_MS,
  };
  if (!onQuery) return new PrismaClient({ adapter, transactionOptions });
  const prisma = new PrismaClient({ adapter, transactionOptions, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return prisma;
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const poolMax = options.poolMax ?? 10;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  const prisma = createClient(new PrismaPg(pool), options);
  return {
    kind: 'postgres',
    prisma,
    source: { url },
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => (await client.query(text, params)).rows,
          exec: async (text) => {
            await client.query(text);
          },
        });
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const prisma = createClient(new PrismaPGlite(pglite), options);
  const connection: SqlConnection = {
    query: async (text, params) => (await pglite.query(text, params)).rows as never[],
    exec: async (text) => {
      await pglite.exec(text);
    },
  };
  return {
    kind: 'pglite',
    prisma,
    source: { pglite },
    // PGlite is a single in-process session: there is nothing to borrow.
    withConnection: (fn) => fn(connection),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/** The non-owner role every request runs as; RLS policies are written for it. */
export const APP_ROLE = 'training_app';

// statement_timeout matches the transaction's timeout: a statement of a request the API has given
// up on is cancelled by PostgreSQL instead of running on and holding a pooled connection.
const APPLY_CALLER =
  `SELECT set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', $1, true), ` +
  `set_config('app.user_id', $2, true), set_config('app.role', $3, true), set_config('statement_timeout', $4, true)`;

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
export type TenantTransaction = Transaction;

/** Prisma's interactive-transaction limits; the default `timeout` (5 s) suits requests, not bulk work. */
export interface TransactionOptions {
  timeout?: number;
  maxWait?: number;
}

/**
 * Runs `fn` in one transaction as the caller: `SET LOCAL ROLE training_app` and
 * the app.* settings are applied first, so RLS governs every statement inside.
 */
export function withTenant<T>(
  prisma: PrismaClient,
  caller: Caller,
  fn: (tx: Transaction) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  const timeout = options?.timeout ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(APPLY_CALLER, caller.tenantId, caller.userId, caller.role, `${timeout}ms`);
      return fn(tx);
    },
    { ...options, timeout },
  );
}

/** One transaction as the caller, opened on first use and committed by `end()`. */
export interface SharedTransaction {
  /** The transaction; the first call opens it. */
  get(): Promise<Transaction>;
  /** Commits it if it was opened. Safe to call more than once. */
  end(): Promise<void>;
}

/**
 * One transaction for every read of a request (see context.ts): a query's
 * operations share one connection, one BEGIN and one application of the
 * caller's settings instead of paying for a transaction each.
 */
export function sharedTransaction(
  prisma: PrismaClient,
  caller: Caller,
  options?: TransactionOptions,
): SharedTransaction {
  let opened: Promise<Transaction> | undefined;
  let finished: Promise<unknown> = Promise.resolve();
  let release = () => {};
  return {
    get: () =>
      (opened ??= new Promise<Transaction>((resolve, reject) => {
        const released = new Promise<void>((done) => (release = done));
        finished = withTenant(
          prisma,
          caller,
          async (tx) => {
            resolve(tx);
            await released;
          },
          options,
        ).catch(reject); // after `resolve` this only ends it: the reads themselves report their errors
      })),
    async end() {
      release();
      await finished;
    },
  };
}

/**
 * A view of the client for one caller: every model operation becomes a short
 * transaction that applies the caller's settings first. Made once per request;
 * Pothos' prisma plugin reads it from the context, so nested selections stay
 * one Prisma operation each and all of them run under RLS.
 */
export function tenantClient(prisma: PrismaClient, caller: Caller): PrismaClient {
  const scoped = prisma.$extends({
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          const [, result] = await prisma.$transaction([
            prisma.$executeRawUnsafe(
              APPLY_CALLER,
              caller.tenantId,
              caller.userId,
              caller.role,
              `${DEFAULT_TRANSACTION_TIMEOUT_MS}ms`,
            ),
            query(args),
          ]);
          return result;
        },
      },
    },
  });
  // The extension keeps PrismaClient's model API; only its nominal type differs.
  return scoped as unknown as PrismaClient;
}
