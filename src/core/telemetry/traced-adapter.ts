import { APPLY_CALLER, REQUEST_ID_SETTING } from '../caller/settings.js';
import { requestTrace, sqlSpan, type Trace } from './tracing.js';

/** The parts of a Prisma driver adapter that run SQL (its factory, connection and transactions). */
interface Queryable {
  queryRaw(query: { sql: string; args?: unknown[] }): Promise<unknown>;
  executeRaw(query: { sql: string; args?: unknown[] }): Promise<number>;
}
interface Connection extends Queryable {
  startTransaction(...args: unknown[]): Promise<Queryable>;
}
interface Factory {
  connect(): Promise<Connection>;
}

/**
 * A transaction whose statements are child spans of a sampled request's operation. It learns its request from
 * the statement that makes it the caller's (`APPLY_CALLER`, whose values name the request:
 * src/core/caller/settings.ts); until then (and in a transaction of no sampled request) a statement costs one
 * comparison of its text.
 */
function traced<T extends Queryable>(target: T): T {
  let trace: Trace | undefined;
  let known = false;
  const run =
    (member: (query: { sql: string; args?: unknown[] }) => Promise<unknown>) =>
    (query: { sql: string; args?: unknown[] }) => {
      if (!known && query.sql === APPLY_CALLER) {
        known = true;
        trace = requestTrace(query.args?.[REQUEST_ID_SETTING]);
      }
      return sqlSpan(trace, query.sql, () => member.call(target, query));
    };
  const queryRaw = run(target.queryRaw);
  const executeRaw = run(target.executeRaw);
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property === 'queryRaw') return queryRaw;
      if (property === 'executeRaw') return executeRaw;
      const member: unknown = Reflect.get(object, property, receiver);
      return typeof member === 'function' ? member.bind(object) : member;
    },
  });
}

/** A connection: its transactions trace their statements; statements outside one belong to no request's trace. */
function tracedConnection<C extends Connection>(connection: C): C {
  return new Proxy(connection, {
    get(object, property, receiver) {
      const member: unknown = Reflect.get(object, property, receiver);
      if (property === 'startTransaction') {
        const start = member as (...args: unknown[]) => Promise<Queryable>;
        return async (...args: unknown[]) => traced(await start.apply(object, args));
      }
      return typeof member === 'function' ? member.bind(object) : member;
    },
  });
}

/** A Prisma driver adapter (factory) whose transactions as a caller trace their statements. */
export function tracedAdapter<F extends Factory>(factory: F): F {
  return new Proxy(factory, {
    get(object, property, receiver) {
      const member: unknown = Reflect.get(object, property, receiver);
      if (property === 'connect') return async () => tracedConnection(await object.connect());
      return typeof member === 'function' ? member.bind(object) : member;
    },
  });
}
