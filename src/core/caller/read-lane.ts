import pg from 'pg';
import { sqlSpan, type Trace } from '../telemetry/tracing.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { Database, PooledConnections } from '../db.js';
import type { OpenTransaction } from '../open-transactions.js';
import { ClientUse } from './client-use.js';
import { tenantScoped } from './tenant-scope.js';
import type { Caller, CallerTransaction, ReadLane, ReadLanes, SharedReads } from './types.js';

/**
 * PostgreSQL: a query operation's one READ ONLY transaction as the caller, on a pooled connection of its own
 * (a read lane). A Prisma interactive transaction's machinery was the largest share of a read's CPU; a lane
 * instead takes a pooled connection, opens the transaction itself (BEGIN and the caller's settings in one round
 * trip, with the first read when it can), and sends compiled reads to it straight through pg: a lane that only
 * runs compiled reads never involves Prisma.
 *
 * Reads that go through Prisma use the database's one Prisma client (a client costs several MB: its query
 * parameterization graph and its plan cache). A lane's first such read opens an interactive transaction of that
 * client whose "connection" is the lane's own (`LaneSession`): its statements go to the lane's connection, in
 * the lane's transaction, and Prisma sends neither BEGIN nor COMMIT nor ROLLBACK of its own there
 * (`inOpenTransaction`, src/core/open-transactions.ts). Only an interactive transaction binds Prisma's operations
 * to one connection: outside one, Prisma merges the `findUnique`s of one tick into one statement, whoever asked.
 * A lane's client cannot open a transaction of its own.
 */

/** The read lanes of a PostgreSQL database; undefined on PGlite (one in-process session: no round trips to save). */
export function openReadLanes(db: Database): ReadLanes | undefined {
  return db.pooled && readLanes(db.prisma, db.pooled);
}

/** A query operation's shared reads as `caller` on a lane, opened by `begin()` on first use. */
export function laneTransaction(lanes: ReadLanes, caller: Caller, begin: () => string): SharedReads {
  let lane: Promise<ReadLane> | undefined;
  const opened = () => (lane ??= lanes.open(begin(), caller.tenantId, caller.trace));
  return {
    get: () => opened().then((open) => open.prisma),
    read: (statement) => opened().then((open) => open.query(statement)),
    async end() {
      // The response need not wait for the COMMIT: the transaction is READ ONLY, so there is nothing its
      // COMMIT could fail to keep, and the lane hands its connection back once the COMMIT is through.
      // A lane that failed to open has nothing to end (its reads reported the failure).
      void lane?.then((open) => open.end()).catch(() => undefined);
    },
  };
}

/**
 * Prisma's limit on a lane's interactive transaction, a backstop only (the lane's statements have their own
 * timeouts): past it Prisma refuses the lane's model operations; it sends nothing to the connection.
 */
const LANE_PRISMA_TRANSACTION_TIMEOUT_MS = 5 * 60_000;

const ownTransaction = () => new Error('a read lane cannot open a transaction of its own');

/** The lane a Prisma transaction runs in. */
interface Binding {
  held: HeldConnection;
  /** The lane has ended: nothing more reaches its connection. */
  ended: boolean;
}

function readLanes(prisma: PrismaClient, pooled: PooledConnections): ReadLanes {
  return {
    async open(begin, tenantId, trace) {
      const connection = await pooled.pool.connect();
      const held = new HeldConnection(connection, begin, pooled.onQuery, pooled.acquireTimeoutMs, trace);
      const binding: Binding = { held, ended: false };
      let transaction: Promise<CallerTransaction> | undefined;
      let close = () => {};
      const prismaTransaction = () =>
        (transaction ??= new Promise<CallerTransaction>((resolve, reject) => {
          const closed = new Promise<void>((done) => (close = done));
          pooled
            .inOpenTransaction(
              new LaneSession(binding, pooled.onQuery),
              async (tx) => {
                resolve(tx);
                await closed;
              },
              LANE_PRISMA_TRANSACTION_TIMEOUT_MS,
            )
            .catch(reject); // after `resolve` this only ends it: the operations themselves report their errors
        }));
      // The lane's Prisma transaction ends only once this use has ended and none of its operations is still
      // running; from the end on, nothing it sends reaches the connection, which goes back to the pool.
      const use = new ClientUse(laneEnded);
      return {
        prisma: tenantScoped(use.guard(deferred(prisma, prismaTransaction)), tenantId),
        async query<R>(statement: Prisma.Sql) {
          if (use.ended) throw laneEnded();
          return held.read<R>(statement, pooled.statementName({ sql: statement.text }));
        },
        async end() {
          if (use.ended) return;
          binding.ended = true;
          void use.end().then(() => close());
          await held.release();
        },
      };
    },
  };
}

/**
 * `client`'s models and raw statements, each run in the transaction `transaction()` gives (opened by the first
 * operation that is run). A lane's client opens no transaction of its own.
 */
function deferred(client: PrismaClient, transaction: () => Promise<CallerTransaction>): CallerTransaction {
  type Members = Record<PropertyKey, (...args: unknown[]) => unknown>;
  const delegates = new Map<PropertyKey, object>();
  return new Proxy(client, {
    get(target, property) {
      if (property === '$transaction') return () => Promise.reject(ownTransaction());
      const member: unknown = Reflect.get(target, property);
      if (typeof member === 'function') {
        return (...args: unknown[]) => transaction().then((tx) => (tx as unknown as Members)[property]!(...args));
      }
      if (typeof member !== 'object' || member === null || typeof property !== 'string' || property.startsWith('$'))
        return member;
      let delegate = delegates.get(property);
      if (!delegate) {
        delegate = new Proxy(member, {
          get(model, operation) {
            const method: unknown = Reflect.get(model, operation);
            if (typeof method !== 'function') return method;
            return (...args: unknown[]) =>
              transaction().then((tx) =>
                (tx as unknown as Record<string, Members>)[property]![operation as string]!(...args),
              );
          },
        });
        delegates.set(property, delegate);
      }
      return delegate;
    },
  }) as unknown as CallerTransaction;
}

/**
 * A lane's connection as its Prisma transaction's: every statement goes to the lane's connection (reported to
 * `onQuery` as it is sent), until the lane ends.
 */
class LaneSession implements OpenTransaction {
  constructor(
    private readonly lane: Binding,
    private readonly onQuery: ((sql: string) => void) | undefined,
  ) {}

  query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.lane.ended) return Promise.reject(laneEnded());
    this.onQuery?.(config.text);
    return this.lane.held.send(config);
  }
}

/**
 * Longest one statement of a read lane may wait for its answer before the lane gives up on the connection:
 * PostgreSQL's statement_timeout cannot fire on a server that stopped answering (the interactive transaction
 * this replaces had its own timeout for that).
 */
const READ_LANE_QUERY_TIMEOUT_MS = 15_000;

/** A statement sent through a lane after its transaction ended (by code that kept the lane past its operation). */
const laneEnded = () => new Error('read lane used after its transaction ended');

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
    private readonly trace: Trace | undefined,
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
    return sqlSpan(this.trace, config.text, () =>
      this.connection.query({ query_timeout: READ_LANE_QUERY_TIMEOUT_MS, ...config } as pg.QueryConfig),
    );
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
