import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { aroundTransactions, bound } from './adapter-transactions.js';

/**
 * Interactive transactions of the database's one Prisma client on connections already inside a transaction that
 * whoever opened it ends (a read lane's, src/core/caller/read-lane.ts): a second client for them would cost its
 * own 8 MB of heap (its query parameterization graph) and plan cache. Prisma's adapter learns nothing of a
 * transaction it starts but its isolation level, so that is the mark: one asked for at READ UNCOMMITTED, a level
 * the API's own transactions never ask for (PostgreSQL runs it as READ COMMITTED), takes no pooled connection
 * and sends no BEGIN, COMMIT or ROLLBACK. Its first statement, `BIND` with a key, binds it to the connection
 * registered under that key, where every later statement of it goes.
 */

/** What an open transaction's Prisma statements are sent to. */
export interface OpenTransaction {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/**
 * Runs `fn` in an interactive transaction of the database's client on `connection` (Prisma ends that
 * transaction after `timeoutMs` at the latest, sending nothing).
 */
export type InOpenTransaction = <T>(
  connection: OpenTransaction,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
  timeoutMs: number,
) => Promise<T>;

const OPEN_LEVEL = 'READ UNCOMMITTED';
const BIND = 'SELECT $1::text AS open_transaction';
const NOTHING_SENT: pg.QueryResult = { command: '', rowCount: 0, oid: 0, fields: [], rows: [] };
const notOpen = () => new Error('a transaction at READ UNCOMMITTED runs only on an open transaction');

export class OpenTransactions {
  /** Connections whose Prisma transaction is starting, by key, until its BIND takes them. */
  private readonly opening = new Map<string, OpenTransaction>();
  private keys = 0;
  /** An adapter over a pool whose "connections" are unbound sessions. */
  private readonly sessions: PrismaPg;

  constructor(statementName: (query: { sql: string }) => string) {
    const stand = new pg.Pool({ max: 1 });
    stand.connect = (async () => new Session(this.opening)) as unknown as pg.Pool['connect'];
    this.sessions = inOpenTransactions(new PrismaPg(stand, { statementNameGenerator: statementName }));
  }

  /** `factory`, whose transactions at READ UNCOMMITTED are open ones. */
  route(factory: PrismaPg): PrismaPg {
    const sessions = this.sessions;
    return new Proxy(factory, {
      get(object, property, receiver) {
        if (property !== 'connect') return bound(object, property, receiver);
        return async () => {
          const [connection, open] = await Promise.all([object.connect(), sessions.connect()]);
          return new Proxy(connection, {
            get(target, member, self) {
              if (member !== 'startTransaction') return bound(target, member, self);
              return (level?: string) =>
                level === OPEN_LEVEL ? open.startTransaction() : target.startTransaction(level as never);
            },
          });
        };
      },
    });
  }

  /** `InOpenTransaction` for `prisma`, whose adapter is one `route` made. */
  runner(prisma: PrismaClient): InOpenTransaction {
    return async (connection, fn, timeoutMs) => {
      const key = String(++this.keys);
      this.opening.set(key, connection);
      try {
        return await prisma.$transaction(
          async (tx) => {
            await tx.$executeRawUnsafe(BIND, key);
            return fn(tx);
          },
          { isolationLevel: Prisma.TransactionIsolationLevel.ReadUncommitted, timeout: timeoutMs },
        );
      } finally {
        this.opening.delete(key);
      }
    };
  }
}

/**
 * `factory` with transactions that its connections already have open: Prisma's COMMIT and ROLLBACK become no
 * statement at all (the adapter's "phantom" ones), and whoever opened the transaction ends it.
 */
function inOpenTransactions(factory: PrismaPg): PrismaPg {
  const phantom = { usePhantomQuery: true };
  return aroundTransactions(
    factory,
    (transaction) =>
      new Proxy(transaction, {
        get: (target, property, receiver) => (property === 'options' ? phantom : bound(target, property, receiver)),
      }),
  );
}

/**
 * One open transaction as the adapter's pooled connection: until `BIND` binds it to a registered connection it
 * runs nothing (the adapter's BEGIN goes nowhere), then every statement goes to that connection.
 */
class Session {
  private connection: OpenTransaction | undefined;

  constructor(private readonly opening: Map<string, OpenTransaction>) {}

  query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.connection) return this.connection.query(config);
    if (config.text === 'BEGIN') return Promise.resolve(NOTHING_SENT);
    const key = config.text === BIND ? String(config.values?.[0]) : undefined;
    const connection = key === undefined ? undefined : this.opening.get(key);
    if (!connection) return Promise.reject(notOpen());
    this.opening.delete(key!);
    this.connection = connection;
    return Promise.resolve(NOTHING_SENT);
  }

  // What the adapter calls on a pooled connection besides `query`: the connection's errors are its owner's, and
  // its owner hands it back.
  on(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
  release(): void {}
}
