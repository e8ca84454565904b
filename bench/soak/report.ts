import { readFileSync } from 'node:fs';
import os from 'node:os';
import { type LoadResult } from '../../tests/support/load.js';
import { fmt, table } from '../../tests/support/report.js';
import { type SeedCounts } from '../../tests/support/seed.js';
import { SECONDS, WARMUP_SECONDS, SAMPLE_MS, type Sample } from './workload.js';

/** Reading a process's memory, the heap's slope, and the BENCHMARKS.md section. */

export function vmRss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of y (bytes) over t (ms), in MB per minute. */
export function slopeMbPerMinute(points: { t: number; y: number }[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.t - meanT) * (p.y - meanY), 0);
  const den = points.reduce((sum, p) => sum + (p.t - meanT) ** 2, 0);
  return ((num / den) * 60_000) / 2 ** 20;
}

export const mb = (bytes: number) => fmt(bytes / 2 ** 20, 1);

export function report(input: {
  counts: SeedCounts;
  streams: { name: string; connections: number; result: LoadResult }[];
  samples: Sample[];
  started: number;
  elapsed: number;
  loadAverage: number;
  completionRows: number;
  /** The server's node flags and malloc settings, as run. */
  nodeArgs: string[];
  glibcTunables: string;
}): string {
  const { samples, started } = input;
  const end = started + input.elapsed * 1000;
  const window = samples.filter((s) => s.t >= started + WARMUP_SECONDS * 1000 && s.t <= end + SAMPLE_MS);
  const first = window[0];
  const last = window[window.length - 1];
  const metrics: [string, (s: Sample) => number][] = [
    ['heap used (after GC)', (s) => s.heapUsed],
    ['heap total', (s) => s.heapTotal],
    ['external + array buffers', (s) => s.external],
    ['RSS (process.memoryUsage)', (s) => s.rss],
    ['VmRSS (/proc/<pid>/status)', (s) => s.vmRss],
  ];
  const memoryRows = metrics.map(([name, get]) => [
    name,
    first ? mb(get(first)) : '–',
    last ? mb(get(last)) : '–',
    window.length ? mb(Math.min(...window.map(get))) : '–',
    window.length ? mb(Math.max(...window.map(get))) : '–',
    fmt(slopeMbPerMinute(window.map((s) => ({ t: s.t, y: get(s) }))), 2),
  ]);
  const minutes = Math.floor((end - started) / 60_000);
  const marks: string[] = [];
  const idle = samples.filter((sample) => sample.t < started).at(-1);
  if (idle) marks.push(`before traffic ${mb(idle.heapUsed)}`);
  for (let minute = 1; minute <= minutes; minute++) {
    const sample = samples.find((candidate) => candidate.t >= started + minute * 60_000);
    if (sample) marks.push(`${minute} min ${mb(sample.heapUsed)}`);
  }
  const after = samples.find((sample) => sample.t > end);
  if (after) marks.push(`after traffic ${mb(after.heapUsed)}`);
  const perMinute = marks.join(' · ');
  const totalRequests = input.streams.reduce((sum, s) => sum + s.result.requests, 0);
  const totalErrors = input.streams.reduce((sum, s) => sum + s.result.errors, 0);
  return `## Soak: ${fmt(SECONDS / 60, 0)} minutes of mixed traffic

Our API as production runs it, built by \`npm run build\` (\`${['node', ...input.nodeArgs].join(' ')} --expose-gc --import ./bench/soak/memory-sampler.mjs dist/src/main.js\`:
compiled JavaScript, no TypeScript loader; NODE_ENV=production, LOG_LEVEL=warn, scheduler on, \`GLIBC_TUNABLES=${input.glibcTunables}\` ${process.env.SOAK_GLIBC_TUNABLES === undefined ? 'as the Dockerfile sets it' : 'from SOAK_GLIBC_TUNABLES'}) on a throwaway database (1 tenant, 200 courses, ${input.counts.profiles.toLocaleString('en-US')} profiles,
${input.counts.assignments.toLocaleString('en-US')} assignments seeded). Every ${SAMPLE_MS / 1000} s the child forces a full GC and writes
\`process.memoryUsage()\` as a JSON line (so the heap figure is what is actually retained); at the same moment this process reads the
child's VmRSS from /proc. Traffic: ${input.streams.length} autocannon instances at once for ${fmt(input.elapsed, 0)} s, every response
checked for \`errors\`; the write loop walks (course, worker) pairs in turn so it never hits a legitimate CONFLICT, and creates a
completion per cycle (${(input.completionRows - input.counts.completions).toLocaleString('en-US')} completions written during the soak).
Memory is read from the first sample after a ${WARMUP_SECONDS} s warm-up to the first sample after the traffic stops; slope = least
squares over those ${window.length} samples. Load average at start: ${fmt(input.loadAverage, 1)} on ${os.cpus().length} cores.
Not part of a plain \`npm run bench\`: run it with \`npm run bench -- soak\` or set \`SOAK_SECONDS\` (default 600).

${table(
  ['stream', 'connections', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
  input.streams.map((s) => [
    s.name,
    s.connections,
    s.result.requests.toLocaleString('en-US'),
    fmt(s.result.rps, 1),
    fmt(s.result.p50, 0),
    fmt(s.result.p99, 0),
    s.result.errors,
  ]),
)}

Total: ${totalRequests.toLocaleString('en-US')} requests, ${totalErrors} errors.

${table(['memory (MB)', 'after warm-up', 'end', 'min', 'max', 'slope MB/min'], memoryRows)}

Heap used after GC (MB): ${perMinute}.

${readFileSync(new URL('./memory-levers.md', import.meta.url), 'utf8').trim()}
`;
}
