import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAsCaller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { createBenchDatabase, type BenchDatabase } from '../../tests/support/database.js';
import { freePort, startChild, stopAll, waitReady, type Child } from '../../tests/support/processes.js';
import { fmt } from '../../tests/support/report.js';
import { seedAsOwner } from '../../tests/support/seed.js';
import type { Benchmark } from '../suite.js';
import { assignInBulk } from './bulk-assign.js';
import type { SubscribersPlan } from './clients.js';
import { report, type Row } from './instances-report.js';
import type { InstanceStats } from './server.js';

/**
 * Live assignments with several API instances on one PostgreSQL database, as behind a load
 * balancer: each instance its own process (server.ts: its own pool, hub and LISTEN session, its
 * own CPU), N workers on each, every worker's client connected to one instance (one client
 * process per instance). The bursts and singles are the one-instance benchmark's (index.ts),
 * written by the benchmark's own connection, as a job or a third instance would. Every instance
 * hears every notification; each event must arrive exactly once, on the client of the worker
 * it is for, which is on one instance only: any copy elsewhere is counted as misrouted.
 */

const INSTANCES = Number(process.env.SUBSCRIPTIONS_INSTANCES ?? 2);
/** Workers per instance. */
const SIZES = (process.env.SUBSCRIPTIONS_SIZES ?? '1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.SUBSCRIPTIONS_ROUNDS ?? 3);
const WARM_UP_ROUNDS = 1;
const SINGLES = 20;
const ROUND_TIMEOUT_MS = 60_000;
const POOL_MAX = 10;

interface Instance {
  name: string;
  url: string;
  server: Child;
  stats(collect?: boolean): Promise<InstanceStats>;
}

type Timed = { instance: number; ms: number };

/** One event as a client process parsed it. */
interface Receipt {
  at: number;
  instance: number;
  worker: number;
}

const now = () => performance.timeOrigin + performance.now();

async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  children: Child[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const gone = children.find((child) => child.process.exitCode !== null || child.process.signalCode !== null);
    if (gone) throw new Error(`${gone.name} exited while waiting for ${what}:\n${gone.tail()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Events that never arrive are counted as missing, not a reason to lose the whole run. */
const counted = (error: unknown) => console.log(String(error).split('\n')[0]);

const subscribersOn = async (instances: Instance[]) =>
  (await Promise.all(instances.map((instance) => instance.stats()))).map((stats) => stats.subscribers);

async function startInstance(index: number, db: BenchDatabase, secret: string): Promise<Instance> {
  const [port, controlPort] = [await freePort(), await freePort()];
  const name = `API instance ${index + 1}`;
  const server = startChild(name, ['--expose-gc', 'bench/subscriptions/server.ts'], {
    DATABASE_URL: db.url,
    DB_POOL_MAX: String(POOL_MAX),
    JWT_SECRET: secret,
    PORT: String(port),
    BENCH_CONTROL_PORT: String(controlPort),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
  });
  await waitReady(server, `http://127.0.0.1:${port}/readyz`);
  return {
    name,
    url: `ws://127.0.0.1:${port}/graphql`,
    server,
    async stats(collect = false) {
      const response = await fetch(`http://127.0.0.1:${controlPort}/stats${collect ? '?gc=1' : ''}`);
      return (await response.json()) as InstanceStats;
    },
  };
}

async function measure(instances: Instance[], db: BenchDatabase, writer: Database, secret: string, size: number) {
  const tenantId = randomUUID();
  const adminId = randomUUID();
  // Worker w is the client w % size of instance ⌊w / size⌋.
  const userIds = Array.from({ length: size * instances.length }, () => randomUUID());
  const workerOf = new Map<string, number>(userIds.map((userId, worker) => [userId, worker]));
  await db.withClient((client) =>
    seedAsOwner(client, async () => {
      await client.query(
        `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, 'worker' FROM unnest($2::uuid[]) AS u`,
        [tenantId, userIds],
      );
    }),
  );
  const service = { tenantId, userId: adminId, role: 'service' as const };
  const newCourse = (title: string) =>
    runAsCaller(writer.prisma, { ...service, role: 'admin' }, async (tx) => {
      const course = await tx.trainingCourse.create({
        data: { tenantId, title, category: 'compliance', createdBy: adminId },
        select: { id: true },
      });
      return course.id;
    });
  /** The worker each new assignment is for, by id. */
  const expected = new Map<string, number>();
  /** Assigns `courseId` to `users` in one INSERT (one transaction); the ids once it has committed. */
  const assign = async (courseId: string, users: string[]) => {
    const rows = await assignInBulk(writer.prisma, service, courseId, users);
    for (const row of rows) expected.set(row.id, workerOf.get(row.user_id)!);
    return { ids: rows.map((row) => row.id), committedAt: now() };
  };

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-subscriptions-instances-'));
  const received = new Map<string, Receipt[]>();
  const problems: string[] = [];
  const ready = new Set<number>();
  const before = await Promise.all(instances.map((instance) => instance.stats(true)));
  const connectStarted = Date.now();
  const clients = instances.map((instance, index) => {
    const plan: SubscribersPlan = {
      url: instance.url,
      secret,
      tenantId,
      userIds: userIds.slice(index * size, (index + 1) * size),
    };
    const planFile = path.join(workDir, `plan-${index}.json`);
    writeFileSync(planFile, JSON.stringify(plan));
    const child = startChild(`subscribers of ${instance.name}`, ['bench/subscriptions/clients.ts'], {
      SUBSCRIBERS_PLAN: planFile,
    });
    child.onLine((line) => {
      if (line.startsWith('E ')) {
        const [, id, at, worker] = line.split(' ');
        const receipt = { at: Number(at), instance: index, worker: Number(worker) };
        const receipts = received.get(id!);
        if (receipts) receipts.push(receipt);
        else received.set(id!, [receipt]);
      } else if (line.startsWith('X ')) {
        problems.push(line.slice(2));
      } else if (line === 'ready') {
        ready.add(index);
      }
    });
    return child;
  });
  const children = [...instances.map((instance) => instance.server), ...clients];
  try {
    await until(
      async () => ready.size === instances.length && (await subscribersOn(instances)).every((n) => n === size),
      300_000,
      `${size} subscriptions on each instance`,
      children,
    );
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    const after = await Promise.all(instances.map((instance) => instance.stats(true)));
    console.log(`${instances.length} × ${size} subscribers in ${connectSeconds.toFixed(1)} s`);

    /** The one receipt an event should have: on its worker's instance, by its worker's client. */
    const isRight = (id: string, receipt: Receipt) => {
      const worker = expected.get(id)!;
      return receipt.instance === Math.floor(worker / size) && receipt.worker === worker % size;
    };
    const firstRight = (id: string) => received.get(id)?.find((receipt) => isRight(id, receipt));
    const [latencies, singleLatencies]: [Timed[], Timed[]] = [[], []];
    const instanceOf = (id: string) => Math.floor(expected.get(id)! / size);
    let cpuBefore = after;
    for (let round = -WARM_UP_ROUNDS; round < ROUNDS; round++) {
      const label = round < 0 ? 'warm-up round' : `round ${round + 1}`;
      if (round === 0) cpuBefore = await Promise.all(instances.map((instance) => instance.stats()));
      const { ids, committedAt } = await assign(await newCourse(label), userIds);
      await until(() => ids.every((id) => firstRight(id)), ROUND_TIMEOUT_MS, label, children).catch(counted);
      if (round < 0) continue; // its events still count for exactly-once below
      let last = committedAt;
      for (const id of ids) {
        const first = firstRight(id);
        if (!first) continue;
        latencies.push({ instance: instanceOf(id), ms: first.at - committedAt });
        last = Math.max(last, first.at);
      }
      console.log(`${label}: ${ids.length} events, the last ${fmt((last - committedAt) / 1000, 2)} s after commit`);
    }
    const cpuAfter = await Promise.all(instances.map((instance) => instance.stats()));
    const singlesCourse = await newCourse('one at a time');
    for (let single = 0; single < SINGLES; single++) {
      const worker = userIds[Math.floor((single * userIds.length) / SINGLES)]!;
      const { ids, committedAt } = await assign(singlesCourse, [worker]);
      const what = `single ${single + 1}`;
      await until(() => Boolean(firstRight(ids[0]!)), ROUND_TIMEOUT_MS, what, children).catch(counted);
      const first = firstRight(ids[0]!);
      if (first) singleLatencies.push({ instance: instanceOf(ids[0]!), ms: first.at - committedAt });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // late duplicates would arrive now

    const stray = [...received.keys()].filter((id) => !expected.has(id)).length + problems.length;
    if (problems.length) console.log(`client errors: ${problems.slice(0, 5).join(' | ')}`);
    const row = (label: string, members: number[]): Row => {
      const ids = [...expected.keys()].filter((id) => members.includes(instanceOf(id)));
      const burstEvents = latencies.filter((latency) => members.includes(latency.instance)).length;
      const sum = (pick: (index: number) => number) => members.reduce((total, index) => total + pick(index), 0);
      return {
        label,
        subscribers: size * members.length,
        expected: ids.length,
        exactlyOnce: ids.filter((id) => received.get(id)?.length === 1 && firstRight(id)).length,
        missing: ids.filter((id) => !firstRight(id)).length,
        duplicates: ids.reduce(
          (total, id) => total + Math.max(0, (received.get(id) ?? []).filter((r) => isRight(id, r)).length - 1),
          0,
        ),
        misrouted: ids.reduce((total, id) => total + (received.get(id) ?? []).filter((r) => !isRight(id, r)).length, 0),
        latencies: latencies.filter((latency) => members.includes(latency.instance)).map((latency) => latency.ms),
        singleLatencies: singleLatencies.filter((latency) => members.includes(latency.instance)).map((l) => l.ms),
        cpuPerEventMs: sum((i) => cpuAfter[i]!.cpuMicros - cpuBefore[i]!.cpuMicros) / 1000 / Math.max(1, burstEvents),
        shapedPerEvent: sum((i) => cpuAfter[i]!.shaped - cpuBefore[i]!.shaped) / Math.max(1, burstEvents),
        heapPerConnection: sum((i) => after[i]!.heap - before[i]!.heap) / (size * members.length),
        rssPerConnection: sum((i) => after[i]!.rss - before[i]!.rss) / (size * members.length),
        connectSeconds,
      };
    };
    const rows = instances.map((instance, index) => row(instance.name, [index]));
    rows.push(
      row(
        'all',
        instances.map((_, index) => index),
      ),
    );
    return { rows, stray };
  } finally {
    await stopAll(clients);
    rmSync(workDir, { recursive: true, force: true });
    const servers = instances.map((instance) => instance.server);
    await until(
      async () => (await subscribersOn(instances)).every((n) => n === 0),
      60_000,
      'the subscriptions to close',
      servers,
    ).catch((error: unknown) => console.log(String(error)));
  }
}

export const subscriptionsInstances: Benchmark = {
  name: 'subscriptions-instances',
  async run() {
    const load = [os.loadavg()[0]!];
    const secret = randomBytes(32).toString('hex');
    const db = await createBenchDatabase('bench_subscriptions_instances');
    const instances: Instance[] = [];
    let writer: Database | undefined;
    try {
      writer = await openDatabase({ url: db.url, poolMax: 2 });
      // One after another: each applies the (already applied) migrations at start.
      for (let index = 0; index < INSTANCES; index++) instances.push(await startInstance(index, db, secret));
      const results: { size: number; rows: Row[]; stray: number }[] = [];
      for (const size of SIZES) results.push({ size, ...(await measure(instances, db, writer, secret, size)) });
      const dropped = (await Promise.all(instances.map((instance) => instance.stats()))).map((stats) => stats.dropped);
      load.push(os.loadavg()[0]!);
      const settings = {
        instances: INSTANCES,
        rounds: ROUNDS,
        warmUpRounds: WARM_UP_ROUNDS,
        singles: SINGLES,
        poolMax: POOL_MAX,
      };
      return report(settings, results, dropped, load);
    } finally {
      await stopAll(instances.map((instance) => instance.server));
      await writer?.close();
      await db.drop();
    }
  },
};
