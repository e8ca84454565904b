import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

/**
 * The one module that owns the database: the Prisma client and the pool (or the
 * embedded PGlite). Running work as a tenant user under RLS is caller.ts' job.
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
  /**
   * A query operation's read transaction on a pooled connection of its own (PostgreSQL only; issue 15):
   * `begin` (a script without parameters) opens it, and every statement after it, raw or through the
   * lane's Prisma client, runs in it, without Prisma's interactive-transaction machinery.
   */
  openReadLane?(begin: string): Promise<ReadLane>;
  close(): Promise<void>;
}

/** One query operation's transaction, on one connection, until `end()`. */
export interface ReadLane {
  /** A Prisma client whose every statement goes to this lane's connection (model reads and raw SQL alike). */
  readonly prisma: PrismaClient;
  /**
   * One raw read on the lane's connection, as a named prepared statement (the first 256 texts); the
   * transaction's first goes in one round trip with the BEGIN script once the connection has it prepared.
   */
  query<R>(statement: Prisma.Sql): Promise<R[]>;
  /** Commits (a transaction a statement failed in rolls back) and returns the connection to the pool. */
  end(): Promise<void>;
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
  // An idle client losing its server (restart, failover) must not crash the process; nor may one that is
  // checked out (pg-pool listens only while a client is idle), e.g. inside a transaction between two
  // statements: the next statement on it fails instead, and the pool discards it when it comes back.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const statementNameGenerator = preparedStatementNames();
  const prisma = createClient(new PrismaPg(pool, { statementNameGenerator }), options);
  const lanes = readLanes(pool, statementNameGenerator, options);
  return {
    kind: 'postgres',
    prisma,
    source: { url },
    openReadLane: lanes.open,
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
      await lanes.close();
      await pool.end();
    },
  };
}

/**
 * Longest one statement of a read lane may wait for its answer before the lane gives up on the connection:
 * PostgreSQL's statement_timeout cannot fire on a server that stopped answering (the interactive transaction
 * this replaces had its own timeout for that).
 */
const READ_LANE_QUERY_TIMEOUT_MS = 15_000;

/** A statement sent through a lane after its transaction ended (by code that kept the lane past its operation). */
const laneEnded = () => new Error('read lane used after its transaction ended');

/** A pg.Pool stand-in for a lane's Prisma client: every statement goes to the connection the lane holds. */
type LanePool = pg.Pool & { held: HeldConnection | undefined };

/**
 * A pooled connection while a lane holds it. The lane's BEGIN script goes out with the first statement:
 * in the same round trip when that is a raw read this connection has prepared, else just before it.
 * Statements go one after another (pg would queue statements sent while one runs, but that is deprecated),
 * and one that never answered marks the connection broken.
 */
class HeldConnection {
  private tail: Promise<unknown> = Promise.resolve();
  broken: Error | undefined;
  /** Why the BEGIN script (or the read sent with it) failed: no later statement may run without the caller's settings. */
  private unopened: Error | undefined;
  private readonly onError = (error: Error) => void (this.broken ??= error);

  constructor(
    readonly connection: pg.PoolClient,
    /** The script that opens the transaction, until it is sent. */
    private begin: string | undefined,
    private readonly onQuery: ((sql: string) => void) | undefined,
    private readonly openTimeoutMs: number,
  ) {
    // A held connection the server closes (idle-in-transaction timeout, restart) reports it here, not to the pool.
    connection.on('error', this.onError);
  }

  /** One statement of the transaction (Prisma's, or a raw read that cannot join the BEGIN script). */
  send(config: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.begin !== undefined) void this.sendBegin('').catch(() => undefined); // its failure fails `config` too
    return this.chain(config);
  }

  /**
   * A raw read. The transaction's first goes out in one round trip with the BEGIN script when this
   * connection has its statement prepared already (as SQL `EXECUTE name(literals)`: still the cached plan,
   * which PostgreSQL would otherwise spend about 0.5 ms planning); else BEGIN goes first and the statement
   * follows with parameters, which prepares it on this connection.
   */
  async read<R>(statement: Prisma.Sql, name: string | undefined): Promise<R[]> {
    this.onQuery?.(statement.text);
    const execute =
      this.begin !== undefined && name !== undefined && this.prepared(name) === statement.text
        ? executeWithLiterals(name, statement.values)
        : undefined;
    if (execute === undefined) {
      return (await this.send({ name, text: statement.text, values: [...statement.values] })).rows as R[];
    }
    const results = (await this.sendBegin(`; ${execute}`)) as unknown as pg.QueryResult[];
    return results[results.length - 1]!.rows as R[];
  }

  /**
   * The text of the statement prepared under `name` on this connection, as pg records it (pg refuses to
   * prepare two texts under one name, so the record is exact); undefined if pg no longer keeps it there.
   */
  private prepared(name: string): string | undefined {
    const session = this.connection as unknown as { connection?: { parsedStatements?: Record<string, string> } };
    return session.connection?.parsedStatements?.[name];
  }

  private sendBegin(then: string): Promise<pg.QueryResult> {
    const begin = this.begin!;
    this.begin = undefined;
    this.onQuery?.(begin);
    // Opening the transaction waits no longer than taking a connection may (as Prisma's `maxWait` did):
    // a server that stopped answering fails the request within DB_ACQUIRE_TIMEOUT_MS.
    return this.chain({ text: begin + then, query_timeout: this.openTimeoutMs } as pg.QueryConfig, true);
  }

  private chain(config: pg.QueryConfig, opening = false): Promise<pg.QueryResult> {
    const run = () => {
      if (this.unopened) throw this.unopened;
      return this.query(config);
    };
    const result = this.tail.then(run, run).catch((error: unknown) => {
      if (opening) this.unopened = error as Error;
      if (!(error instanceof pg.DatabaseError)) this.broken ??= error as Error;
      throw error;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    return this.connection.query({ query_timeout: READ_LANE_QUERY_TIMEOUT_MS, ...config } as pg.QueryConfig);
  }

  /** Commits (unless nothing was sent) and returns the connection; a broken one is closed instead. */
  async release(): Promise<void> {
    try {
      if (!this.broken && this.begin === undefined) {
        this.onQuery?.('COMMIT');
        // Also after a failed BEGIN script: COMMIT ends whatever part of it ran (an aborted transaction rolls back).
        await this.tail;
        await this.query({ text: 'COMMIT' });
      }
    } catch (error) {
      // A connection whose COMMIT failed or never answered is closed instead of reused.
      this.broken ??= error as Error;
    } finally {
      this.connection.off('error', this.onError);
      this.connection.release(this.broken);
    }
  }
}

/**
 * `EXECUTE name(values)` with the values written as SQL literals, for the simple-query protocol (which takes
 * no parameters); undefined for a value it does not write (then the statement goes with parameters).
 * Every value of a compiled page is a string, a boolean or a list of strings, cast in the SQL itself.
 */
function executeWithLiterals(name: string, values: readonly unknown[]): string | undefined {
  const literals: string[] = [];
  for (const value of values) {
    const literal = sqlLiteral(value);
    if (literal === undefined) return undefined;
    literals.push(literal);
  }
  return literals.length ? `EXECUTE ${name}(${literals.join(', ')})` : `EXECUTE ${name}`;
}

function sqlLiteral(value: unknown): string | undefined {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    // An array literal ({"a","b"}), itself inside a string literal.
    const items = value.map((item: string) => `"${item.replace(/[\\"]/g, (character) => `\\${character}`)}"`);
    return pg.escapeLiteral(`{${items.join(',')}}`);
  }
  return undefined;
}

/**
 * One use of a lane's Prisma client (one query operation). The client a use hands out is this guard, not
 * the lane's client itself: code may keep it past the end of its operation (a resolver graphql-js stopped
 * waiting for), and the lane's client is bound to whichever use holds the lane at the time a statement is
 * sent. So the guard refuses every operation once its use has ended, and counts the ones under way: the
 * lane is free for another use only when this one has ended and the count is back to zero.
 */
class LaneUse {
  ended = false;
  private running = 0;

  constructor(private readonly free: () => void) {}

  end(): void {
    this.ended = true;
    if (this.running === 0) this.free();
  }

  /** The lane's client, through this use: model operations and raw statements alike. */
  guard(prisma: PrismaClient): PrismaClient {
    const delegates = new Map<PropertyKey, unknown>();
    return new Proxy(prisma, {
      get: (client, property) => {
        const member: unknown = Reflect.get(client, property);
        if (typeof member === 'function') return (...args: unknown[]) => this.run(() => member.apply(client, args));
        if (typeof member !== 'object' || member === null || typeof property !== 'string' || property.startsWith('$'))
          return member;
        if (!delegates.has(property)) {
          delegates.set(
            property,
            new Proxy(member, {
              get: (delegate, operation) => {
                const method: unknown = Reflect.get(delegate, operation);
                if (typeof method !== 'function') return method;
                return (...args: unknown[]) => this.run(() => method.apply(delegate, args));
              },
            }),
          );
        }
        return delegates.get(property);
      },
    });
  }

  /**
   * An operation of this use, started (like Prisma's own promises) when first awaited: refused if the use
   * has ended by then, else counted until it settles.
   */
  private run(operation: () => unknown): PromiseLike<unknown> {
    let started: Promise<unknown> | undefined;
    const start = () => (started ??= this.ended ? Promise.reject(laneEnded()) : this.counted(operation));
    return {
      then: (onFulfilled, onRejected) => start().then(onFulfilled, onRejected),
      catch: (onRejected: (reason: unknown) => unknown) => start().catch(onRejected),
      finally: (onFinally: () => void) => start().finally(onFinally),
    } as Promise<unknown>;
  }

  private counted(operation: () => unknown): Promise<unknown> {
    this.running++;
    return Promise.resolve()
      .then(operation)
      .finally(() => {
        this.running--;
        if (this.ended && this.running === 0) this.free();
      });
  }
}

/**
 * Read lanes (issue 15). A query operation's reads used to run in a Prisma interactive transaction, whose
 * machinery was the largest share of a read's CPU. A lane instead takes a pooled connection, opens the
 * transaction itself (BEGIN and the caller's settings in one round trip), and sends compiled reads to it
 * straight through pg. Reads that go through Prisma use the lane's own Prisma client, whose "pool" hands
 * every statement to that same connection, so they are plain operations on the open transaction.
 *
 * A lane's Prisma client costs about 7 MB; lanes are made on demand and kept, at most one per pooled
 * connection (a lane is taken only once a connection is). A lane's client must never open a transaction
 * of its own (its COMMIT would end the caller's transaction and leave the connection without the caller's
 * settings), so its pool refuses `connect()`: Prisma's plain reads never call it.
 */
function readLanes(
  pool: pg.Pool,
  statementNameGenerator: (query: { sql: string }) => string,
  options: DatabaseOptions,
): { open(begin: string): Promise<ReadLane>; close(): Promise<void> } {
  const idle: { prisma: PrismaClient; pool: LanePool }[] = [];
  const all: PrismaClient[] = [];
  const makeLane = () => {
    const lanePool = Object.assign(new pg.Pool({ max: 1 }), { held: undefined }) as LanePool;
    lanePool.query = ((config: pg.QueryConfig) =>
      lanePool.held ? lanePool.held.send(config) : Promise.reject(laneEnded())) as pg.Pool['query'];
    lanePool.connect = (() =>
      Promise.reject(new Error('a read lane cannot open a transaction of its own'))) as pg.Pool['connect'];
    const prisma = createClient(new PrismaPg(lanePool, { statementNameGenerator }), options);
    all.push(prisma);
    return { prisma, pool: lanePool };
  };
  return {
    async open(begin) {
      const held = new HeldConnection(
        await pool.connect(),
        begin,
        options.onQuery,
        options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
      );
      const lane = idle.pop() ?? makeLane();
      lane.pool.held = held;
      // The lane's client goes back to `idle` only once this use has ended and none of its operations is
      // still running: until then no other use can hold the lane, so nothing of this one reaches theirs.
      const use = new LaneUse(() => idle.push(lane));
      return {
        prisma: use.guard(lane.prisma),
        async query<R>(statement: Prisma.Sql) {
          if (use.ended) throw laneEnded();
          return held.read<R>(statement, statementNameGenerator({ sql: statement.text }));
        },
        async end() {
          if (use.ended) return;
          lane.pool.held = undefined;
          use.end();
          await held.release();
        },
      };
    },
    async close() {
      await Promise.all(all.map((prisma) => prisma.$disconnect()));
    },
  };
}

/** Distinct statement texts that get a name (and so stay prepared on each pooled connection). */
const MAX_PREPARED_STATEMENTS = 256;

/**
 * Named prepared statements (issue 15): a statement Prisma sends again on a connection skips PostgreSQL's
 * parse and plan, and pg skips sending it. Each of the first MAX_PREPARED_STATEMENTS distinct texts gets a
 * name; later texts go unnamed (as before), so neither this map nor a connection's prepared statements grow
 * without bound (IN lists of every length, compiled pages of every selection).
 */
function preparedStatementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < MAX_PREPARED_STATEMENTS) names.set(sql, (name = `prisma_${names.size}`));
    // undefined: pg's unnamed statement (the adapter passes the value to pg as the statement's name).
    return name as string;
  };
}

/** Another live process has the PGlite data folder open. */
export class DataFolderInUse extends Error {}

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
    // PGlite is a single in-process session: there is nothing to borrow.
    withConnection: (fn) => fn(connection),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}
