import type { Prisma } from '../../generated/prisma/client.js';
import type { CallerTransaction, TransactionOptions } from './types.js';

/**
 * One transaction as the caller holding every write of a request, committed or rolled back as a whole by
 * its owner (an idempotent mutation: its writes and the response recorded for its key commit together).
 */
export interface SharedWrites {
  /** The transaction; the first call opens it. */
  get(): Promise<CallerTransaction>;
  /**
   * `fn` in a savepoint of it, one at a time: what `fn` wrote is undone if it throws (or always, for a dry run),
   * as when it ran in a transaction of its own, and the rest of the request's writes stand.
   */
  run<T>(fn: (tx: CallerTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** One raw read in it. */
  read<R>(statement: Prisma.Sql): Promise<R[]>;
  /**
   * Commits (or rolls back) once the statements under way have answered (as every transaction as the caller
   * does), and waits for it; a failed commit rejects. Statements after it are refused. Safe to call more than once.
   */
  end(commit: boolean): Promise<void>;
}

/** Thrown inside the held transaction to roll it back. */
class Rollback extends Error {
  constructor() {
    super('shared writes: rolled back');
  }
}

/** `open` runs a function in a new transaction as the caller; this one stays open until `end()`. */
export function openSharedWrites(open: (fn: (tx: CallerTransaction) => Promise<void>) => Promise<void>): SharedWrites {
  let opened: Promise<CallerTransaction> | undefined;
  let finished: Promise<void> = Promise.resolve();
  let settle: (commit: boolean) => void = () => {};
  // Savepoints nest on one connection: runs queue one behind another.
  let queue: Promise<unknown> = Promise.resolve();
  const writes: SharedWrites = {
    get: () =>
      (opened ??= new Promise<CallerTransaction>((resolve, reject) => {
        const decided = new Promise<boolean>((done) => (settle = done));
        finished = open(async (tx) => {
          resolve(tx);
          if (!(await decided)) throw new Rollback();
        }).catch((error: unknown) => {
          reject(error);
          if (!(error instanceof Rollback)) throw error;
        });
      })),
    run(fn, options) {
      const step = queue.then(async () => {
        const tx = await writes.get();
        await tx.$executeRawUnsafe('SAVEPOINT request_write');
        try {
          const result = await fn(tx);
          if (options?.dryRun) await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT request_write');
          await tx.$executeRawUnsafe('RELEASE SAVEPOINT request_write');
          return result;
        } catch (error) {
          // The transaction may be gone (timed out, connection lost): the original error is the one to report.
          await tx
            .$executeRawUnsafe('ROLLBACK TO SAVEPOINT request_write')
            .then(() => tx.$executeRawUnsafe('RELEASE SAVEPOINT request_write'))
            .catch(() => undefined);
          throw error;
        }
      });
      queue = step.catch(() => undefined);
      return step;
    },
    read: (statement) => writes.get().then((tx) => tx.$queryRaw(statement)),
    async end(commit) {
      if (!opened) return;
      await queue;
      settle(commit);
      await finished;
    },
  };
  return writes;
}
