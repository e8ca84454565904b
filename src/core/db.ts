import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { withQueryCompilerUnretained } from './query-compiler.js';
import { aroundTransactionStatements, oneStatementAtATime, reportingStatements } from './adapter-transactions.js';
import { OpenTransactions, type InOpenTransaction } from './open-transactions.js';
import { tracedAdapter } from './telemetry/traced-adapter.js';

/**
 * The one module that opens the database: the Prisma client and the pool (or the
 * embedded PGlite). Running work as a tenant user under RLS is src/core/caller/'s job.
 */

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
  /** PostgreSQL's pool (absent on PGlite), for code that holds a pooled connection itself. */
  pooled?: PooledConnections;
  /** To be called with every statement the API sends other than through Prisma (tests count them). */
  onQuery?: (sql: string) => void;
  close(): Promise<void>;
}

/** What a query operation's read lane (src/core/caller/read-lane.ts) needs to take and use a pooled connection. */
export interface PooledConnections {
  pool: pg.Pool;
  /** The name a statement text is prepared under, the same on every connection and for every client. */
  statementName: (query: { sql: string }) => string;
  /**
   * Runs a function in an interactive transaction of the database's Prisma client on a connection already inside
   * a transaction (a read lane's), whose opener ends it: Prisma sends it no BEGIN, COMMIT or ROLLBACK, and its
   * statements are not reported to `onQuery` (the connection reports what it sends).
   */
  inOpenTransaction: InOpenTransaction;
  /** How long taking a connection, or opening a transaction on one, may wait (DB_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs: number;
  /** Called with every statement sent (tests count them). */
  onQuery?: (sql: string) => void;
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
  // Spans time a statement from when it is sent, not from when it joined its transaction's queue.
  const traced = aroundTransactionStatements(tracedAdapter(adapter), oneStatementAtATime);
  if (!onQuery) return withQueryCompilerUnretained(new PrismaClient({ adapter: traced, transactionOptions }));
  const prisma = new PrismaClient({ adapter: traced, transactionOptions, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return withQueryCompilerUnretained(prisma);
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const poolMax = options.poolMax ?? 10;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
  });
  // An idle client losing its server (restart, failover) must not crash the process; nor may one that is
  // checked out (pg-pool listens only while a client is idle), e.g. inside a transaction between two
  // statements: the next statement on it fails instead, and the pool discards it when it comes back.
  pool.on('error', () => {});
  // A pooled client whose server went away reports it on the client too; the pool already replaces it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const statementName = preparedStatementNames();
  const open = new OpenTransactions(statementName);
  const factory = new PrismaPg(pool, { statementNameGenerator: statementName });
  // Reported by the adapter, not through Prisma's query log, which would report open transactions' statements too.
  const reported = options.onQuery ? reportingStatements(factory, options.onQuery) : factory;
  const prisma = createClient(open.route(reported), { ...options, onQuery: undefined });
  return {
    kind: 'postgres',
    prisma,
    source: { url },
    onQuery: options.onQuery,
    pooled: {
      pool,
      statementName,
      inOpenTransaction: open.runner(prisma),
      acquireTimeoutMs: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
      onQuery: options.onQuery,
    },
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
/** Distinct statement texts that get a name (and so stay prepared on each pooled connection). */
const MAX_PREPARED_STATEMENTS = 256;
/**
 * Longer texts are never named: their length grows with their input (a multi-row VALUES of a score batch, a long IN
 * list), so the shape seldom recurs, and each connection would keep a large plan for it.
 */
const MAX_PREPARED_TEXT_LENGTH = 16_384;

/**
 * Named prepared statements: a statement Prisma sends again on a connection skips PostgreSQL's
 * parse and plan, and pg skips sending it. Each of the first MAX_PREPARED_STATEMENTS distinct texts gets a
 * name; later texts go unnamed (as before), so neither this map nor a connection's prepared statements grow
 * without bound (IN lists of every length, compiled pages of every selection).
 */
function preparedStatementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < MAX_PREPARED_STATEMENTS && sql.length <= MAX_PREPARED_TEXT_LENGTH) {
      names.set(sql, (name = `prisma_${names.size}`));
    }
    // undefined: pg's unnamed statement (the adapter passes the value to pg as the statement's name).
    return name as string;
  };
}

/** Another live process has the PGlite data folder open. */
export class DataFolderInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * PGlite is PostgreSQL inside one process: two processes on one data folder would each keep their own
 * copy in memory and overwrite each other's files. A lock file beside the folder names the process that
 * has it open; a second process is refused while that one lives, and a stale lock (its process is gone)
 * is taken over. Returns the release function.
 */
function lockDataFolder(dataDir: string): () => void {
  const lockFile = `${dataDir.replace(/\/+$/, '')}.lock`;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      heldLocks.add(lockFile);
      return () => {
        heldLocks.delete(lockFile);
        rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    // A container restarts its process with the same pid (1): a lock naming this pid is live only if this process took it.
    const live = holder === process.pid ? heldLocks.has(lockFile) : holder > 0 && processLives(holder);
    if (live) {
      throw new DataFolderInUse(
        dataDir,
        holder,
        `the embedded database ${dataDir} is open in process ${holder}${holder === process.pid ? ' (this one)' : ''}; ` +
          'stop that process first, or set PGLITE_DATA_DIR to another folder (or DATABASE_URL)',
      );
    }
    rmSync(lockFile, { force: true });
  }
}

/** Lock files this process holds. */
const heldLocks = new Set<string>();

function processLives(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  // Loaded only here: the embedded database's code is some 35 MB of a process's memory, which a process on
  // PostgreSQL never needs.
  const [{ PGlite }, { pg_trgm }, { PrismaPGlite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('pglite-prisma-adapter'),
  ]);
  let unlock = () => {};
  if (!dataDir.includes('://')) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataFolder(dataDir);
  }
  let pglite: PGlite;
  try {
    // pg_trgm backs the course search indexes (migration 20261202000100_course_search_trigram).
    pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  } catch (error) {
    unlock();
    throw error;
  }
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
    onQuery: options.onQuery,
    // PGlite is a single in-process session: there is nothing to borrow.
    withConnection: (fn) => fn(connection),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}
