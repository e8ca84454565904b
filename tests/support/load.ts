import autocannon from 'autocannon';

/** HTTP load from autocannon in this process, for the benchmarks. */

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
