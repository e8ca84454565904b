import autocannon from 'autocannon';

/** What one autocannon run measured. */
export interface LoadResult {
  /** Mean requests per second over the run (autocannon's per-second samples). */
  rps: number;
  p50: number;
  p97_5: number;
  p99: number;
  /** Connection errors + timeouts + non-2xx + bodies that failed verification. */
  errors: number;
  requests: number;
}

export interface LoadOptions {
  url: string;
  body?: string;
  headers?: Record<string, string>;
  requests?: autocannon.Request[];
  connections: number;
  durationSeconds: number;
  /** Every response body must satisfy this, or it counts as an error. */
  verify?: (body: string) => boolean;
  overallRate?: number;
  title?: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body,
    requests: options.requests,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 30,
    verifyBody: options.verify,
    overallRate: options.overallRate,
    title: options.title,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.mismatches,
    requests: result.requests.total,
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const fmt = (value: number, digits = 1) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

/** A markdown table: the first column left-aligned, the others right-aligned (numbers). */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
