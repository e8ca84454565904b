import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';

/**
 * A subscription event whose response is already built (shared by every
 * subscriber of the same selection): sent as it is, without running graphql-js
 * again for each subscriber.
 */
const PRESHAPED = Symbol('preshaped');

export interface Preshaped {
  readonly [PRESHAPED]: ExecutionResult;
}

export function preshaped(result: ExecutionResult): Preshaped {
  return { [PRESHAPED]: result };
}

function isPreshaped(event: unknown): event is Preshaped {
  return typeof event === 'object' && event !== null && PRESHAPED in event;
}

/**
 * graphql-js' `subscribe`, except that a preshaped event passes through as its
 * response; any other event is executed as graphql-js would (`rootValue` = the event).
 */
export async function subscribeWithPreshaped(
  args: ExecutionArgs,
): Promise<AsyncGenerator<ExecutionResult, void, void> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const close = async () => {
    await source.return?.();
    return { value: undefined, done: true } as const;
  };
  const generator: AsyncGenerator<ExecutionResult, void, void> = {
    async next() {
      const event = await source.next();
      if (event.done) return { value: undefined, done: true };
      const value: unknown = event.value;
      if (isPreshaped(value)) return { value: value[PRESHAPED], done: false };
      return { value: await execute({ ...args, rootValue: value }), done: false };
    },
    return: close,
    async throw(error: unknown) {
      await close();
      throw error as GraphQLError;
    },
    [Symbol.asyncIterator]() {
      return generator;
    },
  };
  return generator;
}
