import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import type { Caller } from '../../src/core/caller/types.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { ROOT } from '../support/processes.js';

/**
 * A pooled connection whose session was terminated while it sat idle in the pool (an operator's
 * pg_terminate_backend, a failover, a pooler) fails only the statement that finds it dead. The request that
 * took it had done nothing on it yet: it must get its transaction on another connection, not an error — a
 * killed connection fails only the requests that were on it. A session killed inside a transaction, once the
 * work ran, still fails that request (what ran there is unknown), and the work is not run again.
 * PostgreSQL only: PGlite runs in-process, without connections to kill.
 */

/**
 * Terminates backend `pid` and waits until it is gone, from another process while this one is blocked: the
 * pool's client reads nothing meanwhile, so its dead connection still looks idle and healthy when this returns.
 */
function terminateWhileBlocked(url: string, pid: number): void {
  const script = `const pg = require('pg');
    (async () => {
      const client = new pg.Client({ connectionString: process.argv[1] });
      await client.connect();
      await client.query('SELECT pg_terminate_backend($1::int)', [Number(process.argv[2])]);
      while ((await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [Number(process.argv[2])])).rowCount)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await client.end();
    })().catch((error) => { console.error(error); process.exit(1); });`;
  execFileSync(process.execPath, ['-e', script, url, String(pid)], { cwd: ROOT, stdio: 'inherit' });
}

describe.runIf(onPostgres)('a pooled connection killed while idle (PostgreSQL)', () => {
  let fresh: TestDatabase;
  let db: Database;
  let killer: pg.Client;
  const caller: Caller = { tenantId: randomUUID(), userId: randomUUID(), role: 'worker' };
  const backendPid = (tx: Parameters<Parameters<typeof runAsCaller>[2]>[0]) =>
    tx.$queryRaw<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`.then(([row]) => row.pid);

  beforeAll(async () => {
    fresh = await freshDatabase();
    // One pooled connection: the next transaction surely takes the one that was killed.
    db = await openDatabase({ url: fresh.url!, poolMax: 1 });
    killer = new pg.Client({ connectionString: fresh.url });
    await killer.connect();
  });
  afterAll(async () => {
    await killer?.end();
    await db?.close();
    await fresh?.drop();
  });

  it('opens the next transaction on a new connection instead of failing it', async () => {
    for (let round = 0; round < 3; round++) {
      const before = await runAsCaller(db.prisma, caller, backendPid);
      terminateWhileBlocked(fresh.url!, before);
      const after = await runAsCaller(db.prisma, caller, backendPid);
      expect(after).not.toBe(before);
    }
  });

  it('still fails a transaction whose session is killed after its work began, without running it again', async () => {
    let runs = 0;
    const killedMidway = runAsCaller(db.prisma, caller, async (tx) => {
      runs++;
      const pid = await backendPid(tx);
      await killer.query('SELECT pg_terminate_backend($1::int)', [pid]);
      return backendPid(tx);
    });
    await expect(killedMidway).rejects.toThrow();
    expect(runs).toBe(1);
    // And the pool recovers: the next transaction runs.
    expect(await runAsCaller(db.prisma, caller, backendPid)).toBeGreaterThan(0);
  });
});
