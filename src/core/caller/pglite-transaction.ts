import type { CallerTransaction, SharedReads } from './types.js';

/**
 * PGlite: a query operation's reads share one Prisma interactive transaction as the caller (PGlite is one
 * in-process session: there are no round trips for a read lane to save). `open` runs a function in a new
 * transaction as the caller; this one stays open, READ ONLY, until `end()`.
 */
export function pgliteTransaction(open: (fn: (tx: CallerTransaction) => Promise<void>) => Promise<void>): SharedReads {
  let opened: Promise<CallerTransaction> | undefined;
  let finished: Promise<unknown> = Promise.resolve();
  let release = () => {};
  const shared: SharedReads = {
    get: () =>
      (opened ??= new Promise<CallerTransaction>((resolve, reject) => {
        const released = new Promise<void>((done) => (release = done));
        finished = open(async (tx) => {
          // As a read lane's BEGIN: a query operation only reads.
          await tx.$executeRawUnsafe('SET TRANSACTION READ ONLY');
          resolve(tx);
          await released;
        }).catch(reject); // after `resolve` this only ends it: the reads themselves report their errors
      })),
    read: (statement) => shared.get().then((tx) => tx.$queryRaw(statement)),
    async end() {
      release();
      await finished;
    },
  };
  return shared;
}
