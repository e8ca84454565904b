import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig } from '../../src/config.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { openDatabase } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { startApp, type App } from '../../src/app.js';
import { schema } from '../../src/schema.js';
import { createBenchDatabase, type BenchDatabase } from '../../tests/support/database.js';
import { seedAsOwner } from '../../tests/support/seed.js';
import { fmt, percentile, table } from '../../tests/support/report.js';
import { startChild, type Child } from '../../tests/support/processes.js';
import type { Benchmark } from '../suite.js';
import { assignInBulk } from './bulk-assign.js';
import { switchableDelivery, type DeliveryMode } from './baseline.js';
import type { SubscribersPlan } from './clients.js';

/**
 * Live assignments at scale: N concurrent graphql-ws subscribers on
 * one API instance on PostgreSQL, each a worker following their own
 * assignments; each round one INSERT creates an assignment for every one of
 * them (what a bulk auto-assignment does), then single assignments one at a
 * time. Each is measured with the batched delivery of src/assignments/live.ts
 * and with the per-subscriber path it replaced (baseline.ts), on the same
 * connected clients. Measures commit-to-delivery latency, delivery completeness
 * (each event exactly once), server CPU per delivered event and server memory
 * per connection.
 */

const SIZES = (process.env.SUBSCRIPTIONS_SIZES ?? '1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.SUBSCRIPTIONS_ROUNDS ?? 3);
/**
 * Unmeasured bursts first, in each mode: V8 compiles the delivery path on its first
 * thousands of events, and a server that has been up for a while has done so.
 */
const WARM_UP_ROUNDS = 1;
/** One-assignment transactions measured after the bursts: the everyday case, N subscribers connected. */
const SINGLES = 20;
/** How long a round may take before the missing events are counted as lost. */
const ROUND_TIMEOUT_MS = 60_000;
const POOL_MAX = 10;
const READ_CONCURRENCY = Math.floor(POOL_MAX / 2);
/** Both by default; SUBSCRIPTIONS_MODES=batched profiles one alone. */
const MODES = (process.env.SUBSCRIPTIONS_MODES ?? 'batched,per-subscriber').split(',') as DeliveryMode[];

interface SizeResult {
  subscribers: number;
  mode: DeliveryMode;
  connectSeconds: number;
  heapPerConnection: number;
  rssPerConnection: number;
  /** Server CPU (user + system) during the bursts, per event delivered. */
  cpuPerEventMs: number;
  expected: number;
  exactlyOnce: number;
  missing: number;
  duplicates: number;
  stray: number;
  latencies: number[];
  roundSeconds: number[];
  singleLatencies: number[];
}

const now = () => performance.timeOrigin + performance.now();

/** A full collection, so heap figures measure what is retained, not garbage. */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function memory(): { heap: number; rss: number } {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

async function until(check: () => boolean, timeoutMs: number, what: string, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (child && (child.process.exitCode !== null || child.process.signalCode !== null)) {
      throw new Error(`${child.name} exited while waiting for ${what}:\n${child.tail()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${child ? `:\n${child.tail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function measure(
  app: App,
  db: BenchDatabase,
  secret: string,
  size: number,
  workDir: string,
  delivery: { use(mode: DeliveryMode): void },
): Promise<SizeResult[]> {
  const tenantId = randomUUID();
  const adminId = randomUUID();
  const userIds = Array.from({ length: size }, () => randomUUID());
  await db.withClient((client) =>
    seedAsOwner(client, async () => {
      await client.query(
        `INSERT INTO profiles (id, tenant_id, role) SELECT u, $1, 'worker' FROM unnest($2::uuid[]) AS u`,
        [tenantId, userIds],
      );
    }),
  );

  const hub = app.services.liveEvents;
  const service = { tenantId, userId: adminId, role: 'service' as const };
  const newCourse = (title: string) =>
    runAsCaller(app.db.prisma, { ...service, role: 'admin' }, async (tx) => {
      const course = await tx.trainingCourse.create({
        data: { tenantId, title, category: 'compliance', createdBy: adminId },
        select: { id: true },
      });
      return course.id;
    });
  /** Assigns `courseId` to `users` in one INSERT (one transaction) and returns the ids once it has committed. */
  const assign = async (courseId: string, users: string[]) => {
    const rows = await assignInBulk(app.db.prisma, service, courseId, users);
    return { ids: rows.map((row) => row.id), committedAt: now() };
  };
  const before = memory();
  const planFile = path.join(workDir, `plan-${size}.json`);
  const plan: SubscribersPlan = { url: app.url.replace(/^http/, 'ws'), secret, tenantId, userIds };
  writeFileSync(planFile, JSON.stringify(plan));
  const received = new Map<string, number[]>();
  const problems: string[] = [];
  let ready = false;
  const connectStarted = Date.now();
  const child = startChild(`subscribers-${size}`, ['bench/subscriptions/clients.ts'], { SUBSCRIBERS_PLAN: planFile });
  child.onLine((line) => {
    if (line.startsWith('E ')) {
      const [, id, at] = line.split(' ');
      const times = received.get(id!);
      if (times) times.push(Number(at));
      else received.set(id!, [Number(at)]);
    } else if (line.startsWith('X ')) {
      problems.push(line.slice(2));
    } else if (line === 'ready') {
      ready = true;
    }
  });
  try {
    await until(() => ready && hub.stats().subscribers === size, 300_000, `${size} subscriptions`, child);
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    const after = memory();
    console.log(
      `${size} subscribers in ${connectSeconds.toFixed(1)} s; heap +${((after.heap - before.heap) / 2 ** 20).toFixed(1)} MiB`,
    );

    const results: SizeResult[] = [];
    const allExpected = new Set<string>();
    for (const mode of MODES) {
      delivery.use(mode);
      const latencies: number[] = [];
      const roundSeconds: number[] = [];
      const expectedIds: string[] = [];
      let cpuBefore = process.cpuUsage();
      let burstEvents = 0;
      for (let round = -WARM_UP_ROUNDS; round < ROUNDS; round++) {
        const label = round < 0 ? 'warm-up round' : `round ${round + 1}`;
        if (round === 0) cpuBefore = process.cpuUsage();
        const { ids, committedAt } = await assign(await newCourse(`${mode} ${label}`), userIds);
        expectedIds.push(...ids);
        await until(() => ids.every((id) => received.has(id)), ROUND_TIMEOUT_MS, label, child).catch((error: unknown) =>
          console.log(String(error).split('\n')[0]),
        );
        if (round < 0) continue; // its events still count for exactly-once below
        burstEvents += ids.filter((id) => received.has(id)).length;
        for (const id of ids) {
          const first = received.get(id)?.[0];
          if (first !== undefined) latencies.push(first - committedAt);
        }
        roundSeconds.push((Math.max(...ids.map((id) => received.get(id)?.[0] ?? committedAt)) - committedAt) / 1000);
        console.log(
          `${mode} round ${round + 1}: ${size} events, last delivered ${roundSeconds.at(-1)!.toFixed(2)} s after commit`,
        );
      }
      const cpu = process.cpuUsage(cpuBefore);
      const singleLatencies: number[] = [];
      const singlesCourse = await newCourse(`${mode}: one at a time`);
      for (let single = 0; single < SINGLES; single++) {
        const userId = userIds[Math.floor((single * size) / SINGLES)]!;
        const { ids, committedAt } = await assign(singlesCourse, [userId]);
        expectedIds.push(...ids);
        // A single that never arrives is counted as missing below, not a reason to lose the whole run.
        await until(() => received.has(ids[0]!), ROUND_TIMEOUT_MS, `single ${single + 1}`, child).catch(
          (error: unknown) => console.log(String(error).split('\n')[0]),
        );
        const first = received.get(ids[0]!)?.[0];
        if (first !== undefined) singleLatencies.push(first - committedAt);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // late duplicates would arrive now
      const expected = new Set(expectedIds);
      for (const id of expectedIds) allExpected.add(id);
      results.push({
        subscribers: size,
        mode,
        connectSeconds,
        heapPerConnection: (after.heap - before.heap) / size,
        rssPerConnection: (after.rss - before.rss) / size,
        cpuPerEventMs: (cpu.user + cpu.system) / 1000 / Math.max(1, burstEvents),
        expected: expected.size,
        exactlyOnce: expectedIds.filter((id) => received.get(id)?.length === 1).length,
        missing: expectedIds.filter((id) => !received.has(id)).length,
        duplicates: expectedIds.reduce((sum, id) => sum + Math.max(0, (received.get(id)?.length ?? 0) - 1), 0),
        stray: 0,
        latencies,
        roundSeconds,
        singleLatencies,
      });
    }
    // Events nobody created (or client-side errors) would be leaks or corruption: counted on every row.
    const stray = [...received.keys()].filter((id) => !allExpected.has(id)).length + problems.length;
    if (problems.length) console.log(`client errors: ${problems.slice(0, 5).join(' | ')}`);
    for (const result of results) result.stray = stray;
    return results;
  } finally {
    await child.stop();
    await until(() => hub.stats().subscribers === 0, 60_000, 'the subscriptions to close').catch((error: unknown) =>
      console.log(String(error)),
    );
  }
}

function report(results: SizeResult[], dropped: number, loadAverage: number): string {
  const kib = (bytes: number) => fmt(bytes / 1024, 1);
  const ms = (values: number[], p: number) => fmt(percentile(values, p), 0);
  const slowest = (mode: DeliveryMode) =>
    results
      .filter((r) => r.mode === mode)
      .map((r) => `${fmt(Math.max(...r.roundSeconds), 2)} s for ${r.subscribers}`)
      .join(', ');
  return `## Subscriptions: live assignments over graphql-ws

One API instance (\`startApp\`, PostgreSQL, pool of ${POOL_MAX}) in the benchmark process; N graphql-ws
clients (\`graphql-ws\` \`createClient\` over \`ws\`) in **one child process**, so the server's memory and CPU
are measured alone and the clients' work runs on the other core (this machine has ${os.cpus().length}). Each client is
a worker subscribed to \`TrainingAssignmentCreated\` (operations/subscriptions.graphql: every field of
\`AssignmentFields\`, with course and latest completion). Each of ${ROUNDS} rounds is one \`INSERT … SELECT\` of an
assignment for every subscriber, as the service role — what a bulk auto-assignment does — so each round
sends ⌈N/80⌉ notifications; ${WARM_UP_ROUNDS} unmeasured warm-up round comes first (V8 compiles the delivery
path on its first thousands of events, as a server that has been up a while already has; its events still count
for exactly-once). Then ${SINGLES} single-assignment transactions, one at a time, for subscribers
spread over the N: the everyday case. Both modes run on the same connected clients:

- **batched** — the API's delivery (src/assignments/live.ts): per batch of up to 500 subscribers of a tenant,
  one statement joins the subscribers' (tenant, user, role) to the new rows through
  \`training_assignment_visible\` (the function the RLS policy calls), one statement per selection returns
  each visible row's response as PostgreSQL writes it (this selection is all plain fields, src/core/plain-pages;
  another would be read as JSON, src/core/json-page-sql.ts, and executed by graphql-js once per row), and that
  text is pushed to every subscriber that may see it;
- **per-subscriber** — the path it replaced, kept in bench/subscriptions/baseline.ts: each subscriber reads
  its own rows in its own RLS transaction, ${READ_CONCURRENCY} at a time, and graphql-js executes each row for each subscriber.

Latency is from the moment the insert's COMMIT returned to the moment the client process parsed the event
(both clocks are this machine's). CPU per event is the API process's user + system CPU during the bursts
divided by the events delivered. Memory per connection is the server's heap and RSS growth (after full GCs)
from before the clients connected to after all N were subscribed, divided by N (the same clients serve
both modes). Load average at start: ${fmt(loadAverage, 2)}.

${table(
  [
    'subscribers',
    'delivery',
    'events',
    'exactly once',
    'missing',
    'duplicates',
    'burst p50 ms',
    'burst p95 ms',
    'burst p99 ms',
    'burst max ms',
    'single p50 ms',
    'single p95 ms',
    'single p99 ms',
    'single max ms',
    'CPU/event ms',
    'heap/conn KiB',
    'RSS/conn KiB',
    'connect s',
  ],
  results.map((r) => [
    r.subscribers,
    r.mode,
    r.expected,
    r.exactlyOnce,
    r.missing,
    r.duplicates + r.stray,
    ms(r.latencies, 50),
    ms(r.latencies, 95),
    ms(r.latencies, 99),
    ms(r.latencies, 100),
    ms(r.singleLatencies, 50),
    ms(r.singleLatencies, 95),
    ms(r.singleLatencies, 99),
    ms(r.singleLatencies, 100),
    fmt(r.cpuPerEventMs, 3),
    kib(r.heapPerConnection),
    kib(r.rssPerConnection),
    fmt(r.connectSeconds, 1),
  ]),
)}

Subscribers dropped for falling behind: ${dropped}. Slowest burst, batched: ${slowest('batched')}; per-subscriber:
${slowest('per-subscriber')}. A burst's latency grows with the number of subscribers a commit concerns, not
with the number connected (see the single-assignment columns); batched, what remains per subscriber is the
push, the JSON serialisation of its message and the socket write.

${readFileSync(new URL('./history.md', import.meta.url), 'utf8').trim()}`;
}

export const subscriptions: Benchmark = {
  name: 'subscriptions',
  async run() {
    const loadAverage = os.loadavg()[0]!;
    const secret = randomBytes(32).toString('hex');
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-subscriptions-'));
    const db = await createBenchDatabase('bench_subscriptions');
    let app: App | undefined;
    try {
      const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, PORT: '0', LOG_LEVEL: 'warn' });
      app = await startApp({
        config,
        logger: createLogger(config.logLevel),
        schema,
        db: await openDatabase({ url: db.url, poolMax: POOL_MAX }),
        host: '127.0.0.1',
      });
      const delivery = switchableDelivery(app, READ_CONCURRENCY);
      const results: SizeResult[] = [];
      for (const size of SIZES) results.push(...(await measure(app, db, secret, size, workDir, delivery)));
      return report(results, app.services.liveEvents.stats().dropped, loadAverage);
    } finally {
      await app?.stop().catch((error: unknown) => console.log(`stopping the API failed: ${String(error)}`));
      await db.drop();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
