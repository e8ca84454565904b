/**
 * The parts of a Prisma driver adapter that run SQL (its factory, connection and transactions), and a way to
 * change what a transaction does with its statements: Prisma's own statements of a transaction (BEGIN aside,
 * which the adapter sends itself) go through the transaction's `queryRaw` and `executeRaw`, COMMIT and ROLLBACK
 * included.
 */
export interface Statement {
  sql: string;
  args?: unknown[];
}
export interface Queryable {
  queryRaw(query: Statement): Promise<unknown>;
  executeRaw(query: Statement): Promise<number>;
}
interface Connection extends Queryable {
  startTransaction(...args: unknown[]): Promise<Queryable>;
}
interface Factory {
  connect(): Promise<Connection>;
}

type Send = (query: Statement) => Promise<unknown>;

/** `factory` whose connections' transactions are `wrap(transaction)`: one proxy shape for every such change. */
export function aroundTransactions<F extends Factory>(factory: F, wrap: <T extends Queryable>(transaction: T) => T): F {
  const wrapConnection = <C extends Connection>(connection: C): C =>
    new Proxy(connection, {
      get(object, property, receiver) {
        if (property !== 'startTransaction') return bound(object, property, receiver);
        return async (...args: unknown[]) => wrap(await object.startTransaction(...args));
      },
    });
  return new Proxy(factory, {
    get(object, property, receiver) {
      if (property === 'connect') return async () => wrapConnection(await object.connect());
      return bound(object, property, receiver);
    },
  });
}

/**
 * `factory` whose transactions send each statement through `around(send)`, made once per transaction (so it may
 * keep that transaction's state). The transaction's other members are its own.
 */
export function aroundTransactionStatements<F extends Factory>(factory: F, around: () => (send: Send) => Send): F {
  return aroundTransactions(factory, (target) => {
    const wrap = around();
    const queryRaw = wrap((query) => target.queryRaw(query));
    const executeRaw = wrap((query) => target.executeRaw(query));
    return new Proxy(target, {
      get(object, property, receiver) {
        if (property === 'queryRaw') return queryRaw;
        if (property === 'executeRaw') return executeRaw;
        return bound(object, property, receiver);
      },
    });
  });
}

/**
 * `factory` that reports every statement it ran to `onQuery` once it succeeded, in a transaction or not, as
 * Prisma's query log does (the adapter's own BEGIN, which that log leaves out too, aside).
 */
export function reportingStatements<F extends Factory>(factory: F, onQuery: (sql: string) => void): F {
  const reporting = <Q extends Queryable>(queryable: Q): Q =>
    new Proxy(queryable, {
      get(object, property, receiver) {
        if (property === 'queryRaw' || property === 'executeRaw') {
          return async (query: Statement) => {
            const result = await object[property](query);
            onQuery(query.sql);
            return result;
          };
        }
        if (property === 'startTransaction') {
          return async (...args: unknown[]) =>
            reporting(await (object as unknown as Connection).startTransaction(...args));
        }
        return bound(object, property, receiver);
      },
    });
  return new Proxy(factory, {
    get(object, property, receiver) {
      if (property === 'connect') return async () => reporting(await object.connect());
      return bound(object, property, receiver);
    },
  });
}

/** A member of `object`, methods bound to it (for proxies that pass it through). */
export function bound(object: object, property: PropertyKey, receiver?: unknown): unknown {
  const member: unknown = Reflect.get(object, property, receiver);
  return typeof member === 'function' ? member.bind(object) : member;
}

/**
 * Sends a transaction's statements one at a time: Prisma's query interpreter runs independent parts of one
 * operation (two relations to load) at once, and node-postgres queues a statement sent while its connection
 * runs another — deprecated, and an error from pg 9. A statement waits for the previous one to settle, failed
 * or not; what each returns is its own.
 */
export const oneStatementAtATime = () => {
  let previous: Promise<unknown> = Promise.resolve();
  return (send: Send): Send =>
    (query) => {
      const answer = previous.then(() => send(query));
      previous = answer.catch(() => undefined);
      return answer;
    };
};
