import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fmt, table } from '../../tests/support/report.js';

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

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  cpu: number;
}

/** The section's paragraph: telemetry on vs off, per query, from the same rounds, then its levers (by hand). */
export function overheadReport(
  queries: readonly string[],
  summary: (target: 'ours' | 'telemetry', query: string) => Summary,
  exported: { batches: number; bytes: number },
): string {
  const rows = queries.map((query) => {
    const off = summary('ours', query);
    const on = summary('telemetry', query);
    return [
      query,
      fmt(off.rps, 0),
      fmt(on.rps, 0),
      `${fmt((on.rps / off.rps - 1) * 100, 1)} %`,
      `${fmt(off.p50, 1)} / ${fmt(on.p50, 1)}`,
      `${fmt(off.cpu, 2)} / ${fmt(on.cpu, 2)}`,
      `${fmt((on.cpu / off.cpu - 1) * 100, 1)} %`,
    ];
  });
  return `### Telemetry on vs off (same run)

Our API twice, loaded in the same rounds: off (as above) and on — metrics on (METRICS_PORT, /metrics scraped every 5 s)
and traces sampled at ${TRACE_SAMPLE_RATIO * 100} % (a sampled request: a span per request, operation and SQL statement), exported over OTLP/HTTP
to a receiver in the benchmark process (${exported.batches.toLocaleString('en-US')} export requests,
${fmt(exported.bytes / 2 ** 20, 1)} MiB). Goal: within 3 % of the figures without them.

${table(['query', 'req/s off', 'req/s on', 'req/s change', 'p50 ms off / on', 'CPU ms/req off / on', 'CPU change'], rows)}

${readFileSync(new URL('./telemetry-levers.md', import.meta.url), 'utf8').trim()}`;
}
