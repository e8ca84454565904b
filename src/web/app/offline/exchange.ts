import {
  getOperationName,
  makeOperation,
  mapExchange,
  stringifyDocument,
  stringifyVariables,
  type Exchange,
  type Operation,
} from 'urql';
import { enqueue, QUEUEABLE } from './outbox';
import { readCached, writeCached } from './store';

/**
 * The client's offline behaviour, for the person `owner` (`tenantId:userId`):
 * - every mutation carries an Idempotency-Key (so a retry, or an outbox replay, is applied once);
 * - a worker's mutation that gets no answer while the device has no network goes into the outbox under the
 *   same key and the screen is told it is queued (`extensions.queued`);
 * - each query's last answer is kept in IndexedDB, and given back when the network does not answer.
 */
export function offlineExchange(owner: string): Exchange {
  const cacheKey = (operation: Operation) =>
    `${owner}|${operationName(operation)}|${stringifyVariables(operation.variables)}`;
  return mapExchange({
    onOperation(operation) {
      if (operation.kind !== 'mutation') return operation;
      const key = (operation.context.idempotencyKey as string | undefined) ?? crypto.randomUUID();
      const base = operation.context.fetchOptions;
      return makeOperation('mutation', operation, {
        ...operation.context,
        idempotencyKey: key,
        fetchOptions: () => {
          const options = (typeof base === 'function' ? base() : base) ?? {};
          return { ...options, headers: { ...(options.headers as Record<string, string>), 'idempotency-key': key } };
        },
      });
    },
    async onResult(result) {
      const { operation } = result;
      const unanswered = Boolean(result.error?.networkError) && !result.data;
      if (operation.kind === 'query') {
        if (result.data && !result.error) await writeCached(cacheKey(operation), result.data).catch(() => undefined);
        if (!unanswered) return result;
        const cached = await readCached(cacheKey(operation)).catch(() => undefined);
        return cached ? { ...result, data: cached, error: undefined, extensions: { offline: true } } : result;
      }
      // Online, a lost answer is the screen's to retry (it says so); the outbox is for a device with no network.
      if (operation.kind !== 'mutation' || !unanswered || operation.context.fromOutbox || navigator.onLine) {
        return result;
      }
      if (!QUEUEABLE.has(operationName(operation))) return result;
      await enqueue({
        owner,
        key: operation.context.idempotencyKey as string,
        operationName: operationName(operation),
        query: stringifyDocument(operation.query),
        variables: operation.variables as Record<string, unknown>,
      });
      return { ...result, data: undefined, error: undefined, extensions: { queued: true } };
    },
  });
}

const operationName = (operation: Operation) => getOperationName(operation.query) ?? '';
