import { sqlSpan } from './tracing.js';

/** The parts of a Prisma driver adapter that run SQL (its factory, connection and transactions). */
interface Queryable {
  queryRaw(query: { sql: string }): Promise<unknown>;
  executeRaw(query: { sql: string }): Promise<number>;
}
interface Connection extends Queryable {
  startTransaction(...args: unknown[]): Promise<Queryable>;
}
interface Factory {
  connect(): Promise<Connection>;
}

/** Each statement as a child span of the active one (when traces are on), the statement's text as its attribute. */
function traced<T extends Queryable>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const member: unknown = Reflect.get(object, property, receiver);
      if (property === 'queryRaw' || property === 'executeRaw') {
        const run = member as (query: { sql: string }) => Promise<unknown>;
        return (query: { sql: string }) => sqlSpan(query.sql, () => run.call(object, query));
      }
      if (property === 'startTransaction') {
        const start = member as (...args: unknown[]) => Promise<Queryable>;
        return async (...args: unknown[]) => traced(await start.apply(object, args));
      }
      return typeof member === 'function' ? member.bind(object) : member;
    },
  });
}

/** A Prisma driver adapter (factory) whose connections trace their statements. */
export function tracedAdapter<F extends Factory>(factory: F): F {
  return new Proxy(factory, {
    get(object, property, receiver) {
      const member: unknown = Reflect.get(object, property, receiver);
      if (property === 'connect') return async () => traced(await object.connect());
      return typeof member === 'function' ? member.bind(object) : member;
    },
  });
}
