import pg from 'pg';
import type { TestDatabase } from './database.js';
import { eventually } from './wait.js';

/**
 * A LISTEN session on a test database that records every payload on one
 * channel: PGlite's own `listen` (one in-process session), or a separate
 * `pg.Client` on PostgreSQL, as an API instance would hold.
 */
export interface Listener {
  readonly payloads: string[];
  /** Resolves once `done(payloads)` holds; fails after `timeoutMs` showing what did arrive. */
  waitFor(done: (payloads: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function listen(db: TestDatabase, channel: string): Promise<Listener> {
  const payloads: string[] = [];
  let close: () => Promise<void>;
  if ('pglite' in db.source) {
    const unlisten = await db.source.pglite.listen(channel, (payload) => payloads.push(payload));
    close = () => unlisten();
  } else {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    client.on('notification', (message) => {
      if (message.channel === channel) payloads.push(message.payload ?? '');
    });
    await client.query(`LISTEN "${channel}"`);
    close = () => client.end();
  }
  return {
    payloads,
    async waitFor(done, timeoutMs = 5_000) {
      await eventually(
        () => done(payloads),
        timeoutMs,
        () => `waiting on "${channel}"; received: ${JSON.stringify(payloads)}`,
      );
      return [...payloads];
    },
    clear() {
      payloads.length = 0;
    },
    close: () => close(),
  };
}
