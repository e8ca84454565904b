/**
 * One use of a client bound to one transaction: a read lane's Prisma client for one query operation, or a
 * request's shared write transaction. The client a use hands out is its guard, not the client itself: code may
 * keep it past the end of its operation (a resolver graphql-js stopped waiting for: it completes a response
 * without waiting for the pending siblings of a field whose error nulled their parent). So the guard refuses
 * every operation once its use has ended, and counts the ones under way; `end()` resolves when that count is
 * back to zero, so whatever ends the transaction (its COMMIT or ROLLBACK, or handing the connection to another
 * use) never goes out while one of its statements is still running.
 */
export class ClientUse {
  ended = false;
  private running = 0;
  private drained: Array<() => void> = [];

  constructor(private readonly refusal: () => Error) {}

  /** Refuses new operations from now on; resolves once none is under way. */
  end(): Promise<void> {
    this.ended = true;
    if (this.running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  /** `client` through this use: its functions (raw statements) and its model delegates' operations alike. */
  guard<T extends object>(client: T): T {
    const delegates = new Map<PropertyKey, unknown>();
    return new Proxy(client, {
      get: (target, property) => {
        const member: unknown = Reflect.get(target, property);
        if (typeof member === 'function') return (...args: unknown[]) => this.run(() => member.apply(target, args));
        if (typeof member !== 'object' || member === null || typeof property !== 'string' || property.startsWith('$'))
          return member;
        if (!delegates.has(property)) {
          delegates.set(
            property,
            new Proxy(member, {
              get: (delegate, operation) => {
                const method: unknown = Reflect.get(delegate, operation);
                if (typeof method !== 'function') return method;
                return (...args: unknown[]) => this.run(() => method.apply(delegate, args));
              },
            }),
          );
        }
        return delegates.get(property);
      },
    });
  }

  /**
   * An operation of this use, started (like Prisma's own promises) when first awaited: refused if the use
   * has ended by then, else counted until it settles.
   */
  private run(operation: () => unknown): PromiseLike<unknown> {
    let started: Promise<unknown> | undefined;
    const start = () => (started ??= this.ended ? Promise.reject(this.refusal()) : this.counted(operation));
    return {
      then: (onFulfilled, onRejected) => start().then(onFulfilled, onRejected),
      catch: (onRejected: (reason: unknown) => unknown) => start().catch(onRejected),
      finally: (onFinally: () => void) => start().finally(onFinally),
    } as Promise<unknown>;
  }

  private counted(operation: () => unknown): Promise<unknown> {
    this.running++;
    return Promise.resolve()
      .then(operation)
      .finally(() => {
        this.running--;
        if (this.running === 0) for (const resolve of this.drained.splice(0)) resolve();
      });
  }
}
