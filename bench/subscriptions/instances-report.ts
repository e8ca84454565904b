import os from 'node:os';
import { fmt, percentile, table } from '../../tests/support/report.js';

/** One line of the several-instance table: one instance's workers, or all of them. */
export interface Row {
  label: string;
  subscribers: number;
  expected: number;
  exactlyOnce: number;
  missing: number;
  duplicates: number;
  misrouted: number;
  latencies: number[];
  singleLatencies: number[];
  /** Server CPU during the measured bursts per event delivered, summed over the instances of the row. */
  cpuPerEventMs: number;
  /** Payloads serialized during the measured bursts, per burst event of the row's workers. */
  shapedPerEvent: number;
  heapPerConnection: number;
  rssPerConnection: number;
  connectSeconds: number;
}

/** The several-instance section of BENCHMARKS.md (see instances.ts for the method). */
export function report(
  settings: { instances: number; rounds: number; warmUpRounds: number; singles: number; poolMax: number },
  results: { size: number; rows: Row[]; stray: number }[],
  dropped: number[],
  load: number[],
): string {
  const { instances, rounds, warmUpRounds, singles, poolMax } = settings;
  const ms = (values: number[], p: number) => fmt(percentile(values, p), 0);
  const kib = (bytes: number) => fmt(bytes / 1024, 1);
  return `## Subscriptions: ${instances} API instances on one database

The one-instance benchmark's bursts (above) with ${instances} API instances on one PostgreSQL database, as behind a
load balancer: each instance is its own process (bench/subscriptions/server.ts: \`startApp\`, production mode, pool
of ${poolMax}, its own hub and LISTEN session), N workers are connected to each (one graphql-ws client process per
instance, every worker's client on one instance), so every instance hears every notification and serves only its
own workers. Each of ${rounds} rounds is one \`INSERT … SELECT\` of an assignment for every worker of every instance,
committed by the benchmark's own connection (as a job or another instance would), after ${warmUpRounds} unmeasured
warm-up round; then ${singles} single-assignment transactions, one at a time, for workers spread over the instances.
Batched delivery only (the per-subscriber baseline is compared in the one-instance section).

An event counts **exactly once** when exactly one client received it, the client of the worker it is for, on that
worker's instance; **misrouted** counts every copy received anywhere else (another instance or another worker).
Latency is from the insert's COMMIT returning to the client process parsing the event. CPU per event is the
instance process's user + system CPU during the measured bursts divided by the events its workers received
(the "all" row: the instances' CPU summed over all events); shaped per event counts the payloads the instance
serialized in those bursts per event of its own workers (1: no instance shaped the other's events). Memory per
connection is the instance's heap and RSS growth (after full GCs) from before its clients connected to after all
were subscribed. Load average (1 min) at start ${fmt(load[0]!, 2)}, at end ${fmt(load[1]!, 2)}: **measured under load**,
other jobs shared the machine's ${os.cpus().length} cores with the ${instances} instances, their clients and PostgreSQL.

${table(
  [
    'workers per instance',
    'instance',
    'subscribers',
    'events',
    'exactly once',
    'missing',
    'duplicates',
    'misrouted',
    'burst p50 ms',
    'burst p95 ms',
    'burst p99 ms',
    'burst max ms',
    'single p50 ms',
    'single p95 ms',
    'single p99 ms',
    'single max ms',
    'CPU/event ms',
    'shaped/event',
    'heap/conn KiB',
    'RSS/conn KiB',
    'connect s',
  ],
  results.flatMap(({ size, rows }) =>
    rows.map((r) => [
      size,
      r.label,
      r.subscribers,
      r.expected,
      r.exactlyOnce,
      r.missing,
      r.duplicates,
      r.misrouted,
      ms(r.latencies, 50),
      ms(r.latencies, 95),
      ms(r.latencies, 99),
      ms(r.latencies, 100),
      ms(r.singleLatencies, 50),
      ms(r.singleLatencies, 95),
      ms(r.singleLatencies, 99),
      ms(r.singleLatencies, 100),
      fmt(r.cpuPerEventMs, 3),
      fmt(r.shapedPerEvent, 2),
      kib(r.heapPerConnection),
      kib(r.rssPerConnection),
      fmt(r.connectSeconds, 1),
    ]),
  ),
)}

Events nobody created, and client-side errors: ${results.map((r) => `${r.stray} (${instances} × ${r.size})`).join(', ')}.
Subscribers dropped for falling behind, by instance: ${dropped.join(', ')}.`;
}
