import { execute } from 'graphql';
import type { LiveSubscriber } from '../../src/assignments/live.js';
import type { App } from '../../src/app.js';
import type { Delivery, LiveEventHub } from '../../src/core/live-events/index.js';

/**
 * The per-subscriber path the API had before batched delivery, kept here as the
 * benchmark's baseline (not in src): every subscriber reads its own rows in its
 * own RLS transaction (Prisma `findMany` with the sub-fields it selected), at most
 * `readConcurrency` such reads at a time across the instance, and each row is
 * executed by graphql-js for each subscriber.
 */
function perSubscriberDelivery(readConcurrency: number): Delivery {
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= readConcurrency) await new Promise<void>((start) => waiting.push(start));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return async (tenantId, batch, shaping) => {
    await Promise.all(
      batch.map(async ({ feed, keys: ids }) => {
        const subscriber = feed.subscriber as LiveSubscriber;
        const rows = await limited(() =>
          subscriber.context.transaction(
            (tx) =>
              tx.trainingAssignment.findMany({
                ...subscriber.query,
                where: { id: { in: ids }, tenantId },
                orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
              }),
            { timeout: 30_000 },
          ),
        );
        const payloads = [];
        for (const row of rows) {
          payloads.push(
            shaping.preshape(
              await execute({
                schema: subscriber.schema,
                document: subscriber.document,
                operationName: subscriber.operationName,
                variableValues: subscriber.variableValues,
                rootValue: row,
                contextValue: subscriber.context,
              }),
            ),
          );
        }
        feed.push(payloads);
      }),
    );
  };
}

export type DeliveryMode = 'batched' | 'per-subscriber';

/**
 * Lets the benchmark switch the app's subscriptions between the batched delivery
 * (src) and the per-subscriber baseline, without reconnecting the clients.
 */
export function switchableDelivery(app: App, readConcurrency: number): { use(mode: DeliveryMode): void } {
  let mode: DeliveryMode = 'batched';
  const baseline = perSubscriberDelivery(readConcurrency);
  const hub: LiveEventHub = app.services.liveEvents;
  const subscribe = hub.subscribe.bind(hub);
  // One switch per delivery function, shared by all its subscribers: the hub batches
  // subscribers by their delivery function, so a wrapper per subscriber would defeat it.
  const switches = new Map<Delivery, Delivery>();
  const switched = (deliver: Delivery): Delivery => {
    let wrapper = switches.get(deliver);
    if (!wrapper) {
      wrapper = (tenantId, batch, shaping) =>
        mode === 'batched' ? deliver(tenantId, batch, shaping) : baseline(tenantId, batch, shaping);
      switches.set(deliver, wrapper);
    }
    return wrapper;
  };
  hub.subscribe = (channel, filter, subscriber, deliver) => subscribe(channel, filter, subscriber, switched(deliver));
  return { use: (next) => (mode = next) };
}
