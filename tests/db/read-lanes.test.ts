import { randomUUID } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadLanes, type ReadLane, type ReadLanes } from '../../src/core/caller/index.js';
import { beginAsCaller } from '../../src/core/caller/settings.js';
import { openDatabase } from '../../src/core/db.js';
import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';

/**
 * Read lanes (src/core/caller/read-lane.ts): a query operation's transaction on PostgreSQL, opened by a BEGIN script that
 * goes out with the first raw read (as EXECUTE with literals), then named prepared statements, with
 * Prisma reads bound to the same connection. PGlite has no lanes (one in-process session, no round trips):
 * these tests need the PostgreSQL server.
 */

let db: TestDatabase;
let lanes: ReadLanes;
const statements: string[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  db = await freshDatabase({ onQuery: (sql) => statements.push(sql) });
  lanes = openReadLanes(db)!;
});
afterAll(() => db?.drop());

/** A lane's BEGIN script as a request's (src/core/caller/settings.ts), so its settings reach every node on Citus. */
const begin = (tenantId: string) => beginAsCaller({ tenantId, userId: randomUUID(), role: 'admin' }, 5_000);

async function inLane<T>(tenantId: string, fn: (lane: ReadLane) => Promise<T>): Promise<T> {
  const lane = await lanes.open(begin(tenantId), tenantId);
  try {
    return await fn(lane);
  } finally {
    await lane.end();
  }
}

const settings = Prisma.sql`SELECT current_user AS role, current_setting('app.tenant_id', true) AS tenant`;

// Text PostgreSQL can hold (anything but NUL), weighted towards what SQL and array literals treat specially.
const tricky = fc.constantFrom("'", '"', '\\', '{', '}', ',', ' ', '$1', 'NULL', 'E', '\n', 'ö', '😀', 'a');
const text = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }).filter((value) => !value.includes('\u0000')),
);

describe.runIf(onPostgres)('read lanes (PostgreSQL)', () => {
  it("runs every statement as the caller, in one transaction that ends with the lane (the owner's session is back after)", async () => {
    const tenantId = randomUUID();
    await inLane(tenantId, async (lane) => {
      expect(await lane.query(settings)).toEqual([{ role: 'training_app', tenant: tenantId }]);
      // The lane's Prisma client is on the same connection and transaction.
      expect(await lane.prisma.$queryRaw(settings)).toEqual([{ role: 'training_app', tenant: tenantId }]);
    });
    // The pool's connections are the owner's again, with no tenant set.
    const after = await db.withConnection((connection) => connection.query(settings.text));
    expect(after).toEqual([{ role: 'postgres', tenant: expect.toBeOneOf([null, '']) }]);
  });

  it('keeps any text, quotes and backslashes included, as the same value whether written as a literal or sent as a parameter', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.array(text, { maxLength: 5 }), async (value, list) => {
        const read = Prisma.sql`SELECT ${value}::text AS value, ${list}::text[] AS list`;
        await inLane(randomUUID(), async (lane) => {
          // Once the connection has the statement prepared (from the first run on), a lane's first read goes
          // with the BEGIN script as EXECUTE with literals; its second goes with parameters.
          expect(await lane.query(read)).toEqual([{ value, list }]);
          expect(await lane.query(read)).toEqual([{ value, list }]);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('runs nothing more after the first read failed, and hands its connection back clean', async () => {
    const tenantId = randomUUID();
    await inLane(tenantId, async (lane) => {
      await expect(lane.query(Prisma.sql`SELECT 1 / ${'0'}::int AS never`)).rejects.toThrow(/division by zero/);
      await expect(lane.query(settings)).rejects.toThrow();
      await expect(lane.prisma.$queryRaw(settings)).rejects.toThrow();
    });
    // Every pooled connection still works as a fresh lane with its own settings.
    const next = randomUUID();
    const reads = await Promise.all(Array.from({ length: 12 }, () => inLane(next, (lane) => lane.query(settings))));
    expect(reads.flat()).toEqual(Array.from({ length: 12 }, () => ({ role: 'training_app', tenant: next })));
  });

  it("refuses to let the lane's Prisma client open a transaction of its own (its COMMIT would end the caller's)", async () => {
    const tenantId = randomUUID();
    await inLane(tenantId, async (lane) => {
      // Its type (a transaction as the caller) has no $transaction: this is the guard against a cast around it.
      const client = lane.prisma as unknown as PrismaClient;
      await expect(client.$transaction((tx) => tx.$queryRaw(settings))).rejects.toThrow(
        /cannot open a transaction of its own/,
      );
      // Still the caller's transaction.
      expect(await lane.query(settings)).toEqual([{ role: 'training_app', tenant: tenantId }]);
    });
  });

  it("refuses its Prisma client once it ended, also after another lane took that client over: nothing runs with the other caller's settings", async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const laneA = await lanes.open(begin(first), first);
    const keptPastEnd = laneA.prisma;
    expect(await keptPastEnd.$queryRaw(settings)).toEqual([{ role: 'training_app', tenant: first }]);
    await laneA.end();
    await expect(keptPastEnd.$queryRaw(settings)).rejects.toThrow(/after its transaction ended/);

    const laneB = await lanes.open(begin(second), second);
    await expect(keptPastEnd.$queryRaw(settings)).rejects.toThrow(/after its transaction ended/);
    await expect(keptPastEnd.profile.count()).rejects.toThrow(/after its transaction ended/);
    expect(await laneB.prisma.$queryRaw(settings)).toEqual([{ role: 'training_app', tenant: second }]);
    await laneB.end();
  });

  it("keeps a lane's client from the next use while an operation of its last use still runs", async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const laneA = await lanes.open(begin(first), first);
    // Started (awaited) before the lane ends, as a resolver's read is.
    const slow = laneA.prisma
      .$queryRaw<{ tenant: string }[]>(
        Prisma.sql`SELECT current_setting('app.tenant_id', true) AS tenant, pg_sleep(0.2)::text AS slept`,
      )
      .then((rows) => rows);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const endA = laneA.end();
    const laneB = await lanes.open(begin(second), second);
    expect(laneB.prisma).not.toBe(laneA.prisma);
    expect(await laneB.prisma.$queryRaw(settings)).toEqual([{ role: 'training_app', tenant: second }]);
    expect((await slow)[0]!.tenant).toBe(first);
    await Promise.all([endA, laneB.end()]);
  });

  it("keeps each lane's Prisma reads on the lane's own connection, also reads of one shape in one tick (which Prisma merges into one statement outside a transaction)", async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const person = randomUUID();
    await db.withConnection((connection) =>
      connection.query(
        `INSERT INTO profiles (id, tenant_id, display_name, role) VALUES ($1, $2, 'first', 'worker'), ($1, $3, 'second', 'worker')`,
        [person, first, second],
      ),
    );
    const [laneA, laneB] = await Promise.all([lanes.open(begin(first), first), lanes.open(begin(second), second)]);
    try {
      // Both lanes' Prisma transactions open first, so the reads below reach Prisma in one tick.
      await Promise.all([laneA.prisma.$queryRaw(settings), laneB.prisma.$queryRaw(settings)]);
      const find = (lane: ReadLane, tenantId: string) =>
        lane.prisma.profile.findUnique({
          where: { tenantId_id: { tenantId, id: person } },
          select: { displayName: true },
        });
      expect(await Promise.all([find(laneA, first), find(laneB, second), find(laneA, first)])).toEqual([
        { displayName: 'first' },
        { displayName: 'second' },
        { displayName: 'first' },
      ]);
      expect(await laneB.prisma.$queryRaw(settings)).toEqual([{ role: 'training_app', tenant: second }]);
    } finally {
      await Promise.all([laneA.end(), laneB.end()]);
    }
  });

  it('gives up opening within the acquire timeout when the server stops answering, and closes that connection', async () => {
    // A TCP relay to the test database that can stop passing bytes: a hung server whose socket stays open.
    const upstream = new URL(db.url!);
    let frozen = false;
    const sockets: net.Socket[] = [];
    const relay = net.createServer((client) => {
      const server = net.connect(Number(upstream.port || 5432), upstream.hostname);
      sockets.push(client, server);
      client.on('data', (chunk) => void (frozen || server.write(chunk)));
      server.on('data', (chunk) => void (frozen || client.write(chunk)));
      for (const socket of [client, server]) socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayed = new URL(db.url!);
    relayed.host = `127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
    const hung = await openDatabase({ url: relayed.toString(), poolMax: 1, acquireTimeoutMs: 300 });
    try {
      const hungLanes = openReadLanes(hung)!;
      const warm = await hungLanes.open(begin(randomUUID()), randomUUID());
      await warm.query(settings);
      await warm.end();

      frozen = true;
      const lane = await hungLanes.open(begin(randomUUID()), randomUUID());
      const started = Date.now();
      await expect(lane.query(settings)).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(3_000);
      await lane.end();
    } finally {
      for (const socket of sockets) socket.destroy();
      relay.close();
      await hung.close();
    }
  });

  it('refuses statements after it ended, and sends no COMMIT for a lane nothing was read in', async () => {
    statements.length = 0;
    const lane = await lanes.open(begin(randomUUID()), randomUUID());
    await lane.end();
    expect(statements).toEqual([]);
    await expect(lane.query(settings)).rejects.toThrow(/after its transaction ended/);
    await expect(lane.prisma.$queryRaw(settings)).rejects.toThrow(/after its transaction ended/);
  });
});
