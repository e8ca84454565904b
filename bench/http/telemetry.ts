import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fmt, median, table } from '../../tests/support/report.js';

/**
 * Telemetry's cost, measured in the http benchmark's run: a second instance of our API with metrics on
 * (METRICS_PORT, scraped as Prometheus would) and traces sampled at 10 % (OTEL_TRACES_SAMPLER_ARG=0.1), exported
 * over OTLP/HTTP to a receiver in the benchmark process that takes and counts the batches, loaded in the same
 * rounds as the instance without them.
 */

export const TRACE_SAMPLE_RATIO = 0.1;

export interface Receiver {
  url: string;
  /** Export requests and bytes received so far. */
  received(): { batches: number; bytes: number };
  close(): Promise<void>;
}

/** An OTLP/HTTP receiver that answers every export 200 and keeps only counts. */
export async function startReceiver(): Promise<Receiver> {
  let batches = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      batches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received: () => ({ batches, bytes }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Scrapes `/metrics` every `everyMs` (Prometheus' default is 15 s; this is harsher) until stopped. */
export function scrapeEvery(metricsUrl: string, everyMs = 5_000): () => void {
  const timer = setInterval(
    () =>
      void fetch(metricsUrl).then(
        (response) => response.text(),
        () => '',
      ),
    everyMs,
  );
  return () => clearInterval(timer);
}

interface Round {
  rps: number;
  serverCpuMsPerRequest: number;
}

/** Each round's change of `of` against our API without telemetry in the same round: the median and the range, in %. */
function changes(off: readonly Round[], of: readonly Round[], value: (round: Round) => number) {
  const each = of.map((round, i) => (value(round) / value(off[i]!) - 1) * 100);
  const sorted = [...each].sort((a, b) => a - b);
  return `${fmt(median(each), 1)} % (${fmt(sorted[0]!, 1)} … ${fmt(sorted.at(-1)!, 1)})`;
}

/**
 * The section's paragraph: telemetry on vs off per query, beside the control (a second instance exactly like the
 * first, telemetry off) whose change is only the machine's noise, then telemetry's levers (by hand).
 */
export function overheadReport(
  queries: readonly string[],
  rounds: (target: 'ours' | 'telemetry' | 'control', query: string) => readonly Round[],
  exported: { batches: number; bytes: number },
): string {
  const rows = queries.map((query) => {
    const off = rounds('ours', query);
    const on = rounds('telemetry', query);
    const control = rounds('control', query);
    const rps = (round: Round) => round.rps;
    const cpu = (round: Round) => round.serverCpuMsPerRequest;
    return [
      query,
      [off, on, control].map((runs) => fmt(median(runs.map(rps)), 0)).join(' / '),
      changes(off, on, rps),
      changes(off, control, rps),
      [off, on, control].map((runs) => fmt(median(runs.map(cpu)), 2)).join(' / '),
      changes(off, on, cpu),
      changes(off, control, cpu),
    ];
  });
  return `### Telemetry on vs off (same run)

Our API three times, loaded in the same rounds: off (as above), on — metrics on (METRICS_PORT, /metrics scraped every 5 s)
and traces sampled at ${TRACE_SAMPLE_RATIO * 100} % (a sampled request: a span per request, operation and SQL statement), exported over OTLP/HTTP
to a receiver in the benchmark process (${exported.batches.toLocaleString('en-US')} export requests,
${fmt(exported.bytes / 2 ** 20, 1)} MiB) — and a control: off again, a second identical instance. Each change is against
the instance without telemetry in the same round, as the median over rounds (lowest … highest); the control's change is what
the machine alone moves between two identical servers, so telemetry's change means something only where it lies outside the
control's range. Goal: within 3 % of the figures without them.

${table(['query', 'req/s off / on / control', 'req/s change on', 'req/s change control', 'CPU ms/req off / on / control', 'CPU change on', 'CPU change control'], rows)}

${readFileSync(new URL('./telemetry-levers.md', import.meta.url), 'utf8').trim()}`;
}
