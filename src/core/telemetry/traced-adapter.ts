import { aroundTransactionStatements, type Statement } from '../adapter-transactions.js';
import { APPLY_CALLER, REQUEST_ID_SETTING } from '../caller/settings.js';
import { requestTrace, sqlSpan, type Trace } from './tracing.js';

/**
 * A transaction whose statements are child spans of a sampled request's operation. It learns its request from
 * the statement that makes it the caller's (`APPLY_CALLER`, whose values name the request:
 * src/core/caller/settings.ts); until then (and in a transaction of no sampled request) a statement costs one
 * comparison of its text.
 */
const tracedStatements = () => {
  let trace: Trace | undefined;
  let known = false;
  return (send: (query: Statement) => Promise<unknown>) => (query: Statement) => {
    if (!known && query.sql === APPLY_CALLER) {
      known = true;
      trace = requestTrace(query.args?.[REQUEST_ID_SETTING]);
    }
    return sqlSpan(trace, query.sql, () => send(query));
  };
};

/**
 * A Prisma driver adapter (factory) whose transactions as a caller trace their statements; statements outside
 * a transaction belong to no request's trace.
 */
export const tracedAdapter = <F extends Parameters<typeof aroundTransactionStatements>[0]>(factory: F): F =>
  aroundTransactionStatements(factory, tracedStatements);
