import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { ApiError, ErrorCode } from '../errors.js';

/**
 * A subscription event whose response is already serialized, once for every
 * subscriber of the same selection (shaping.ts): written to each socket as it
 * is, without running graphql-js or JSON.stringify again per subscriber.
 */
export class Preshaped {
  constructor(
    /** The response (`{"data":…}`), as UTF-8 JSON. */
    readonly payload: Buffer,
  ) {}
}

/** Where one subscription's preshaped events go: its socket (src/core/websocket.ts). */
export interface Outlet {
  /** Writes `event` as the subscription's next message; resolves once the socket has taken it. */
  send(event: Preshaped): Promise<void>;
  /** Ends the connection with the documented "subscribe again and refetch" close, `reason` its close reason. */
  drop(reason: string): void;
}

const isDropped = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.extensions.code === ErrorCode.SUBSCRIPTION_DROPPED;

/**
 * graphql-js' `subscribe`, except that preshaped events go straight to the
 * outlet (graphql-ws sees only the others, executed as graphql-js would with
 * the event as `rootValue`), and a subscription the server had to drop closes
 * the connection through the outlet instead of sending an `error` message that
 * a stalled client would never read and graphql-ws clients do not act on.
 */
export async function subscribeWithPreshaped(
  args: ExecutionArgs,
  outlet: Outlet,
): Promise<AsyncGenerator<ExecutionResult, void, void> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let closed = false;
  const close = async () => {
    closed = true;
    await source.return?.();
    return { value: undefined, done: true } as const;
  };
  const generator: AsyncGenerator<ExecutionResult, void, void> = {
    async next() {
      for (;;) {
        let event: IteratorResult<unknown>;
        try {
          event = await source.next();
        } catch (error) {
          if (!isDropped(error)) throw error;
          outlet.drop(error.message);
          return close();
        }
        if (event.done || closed) return { value: undefined, done: true };
        const value: unknown = event.value;
        if (!(value instanceof Preshaped)) return { value: await execute({ ...args, rootValue: value }), done: false };
        // In order with this subscription's other messages: the next event is pulled once the socket took this one.
        await outlet.send(value);
      }
    },
    return: close,
    async throw(error: unknown) {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return generator;
    },
  };
  return generator;
}
