import { type BenchDatabase } from '../../tests/support/database.js';
import { fmt, median, percentile } from '../../tests/support/report.js';
import { type Child } from '../../tests/support/processes.js';
import { RUNS, WARMUP, BUDGET_MS, QUIESCE_MS, forTenant } from './queries.js';
import { asAdmin } from './figures.js';

/** Timing a statement or a GraphQL query, with a budget, and waiting for leftovers of the last one to end. */

export interface Timing {
  label: string;
  median: number;
  p95: number;
  runs: number[];
  /** Timed runs that answered with errors (their times are not in `runs`). */
  failures: number;
  /** Timed runs attempted (fewer than RUNS when the budget ran out or it kept failing). */
  attempted: number;
  /** The first error answer, and what the server logged about it. */
  error?: string;
}

export function summarize(label: string, runs: number[], attempted: number, failures = 0, error?: string): Timing {
  const timing = { label, median: median(runs), p95: percentile(runs, 95), runs, failures, attempted, error };
  console.log(
    `${label}: median ${fmt(timing.median)} ms, p95 ${fmt(timing.p95)} ms over ${runs.length} runs` +
      (failures ? `, ${failures}/${attempted} requests FAILED: ${error}` : ''),
  );
  return timing;
}

/**
 * Waits until no other session is running a statement in the benchmark database, so a
 * measurement never competes with the leftovers of the previous one (a request the API
 * gave up on keeps its statement running in PostgreSQL). After `maxMs` the leftovers are
 * cancelled; returns how many were.
 */
export async function quiesce(db: BenchDatabase, maxMs = QUIESCE_MS): Promise<number> {
  return db.withClient(async (client) => {
    const deadline = Date.now() + maxMs;
    const busy = async () =>
      Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
          )
        ).rows[0]!.n,
      );
    while ((await busy()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    const { rows } = await client.query<{ cancelled: boolean }>(
      `SELECT pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
    );
    if (rows.length) console.log(`cancelled ${rows.length} statement(s) still running after ${maxMs / 1000} s`);
    return rows.length;
  });
}

export async function timeSql(
  db: BenchDatabase,
  label: string,
  statement = forTenant('SELECT * FROM get_training_analytics($1::uuid)'),
): Promise<Timing> {
  return db.withClient(async (client) => {
    const runs: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const elapsed = await asAdmin(client, async () => {
        const started = performance.now();
        await client.query(statement.text, statement.values);
        return performance.now() - started;
      });
      if (i >= WARMUP) runs.push(elapsed);
    }
    return summarize(label, runs, WARMUP + RUNS);
  });
}

export async function timeGraphql(
  api: Child,
  url: string,
  token: string,
  label: string,
  query: string,
  check?: (data: unknown) => void,
): Promise<Timing> {
  const runs: number[] = [];
  let failures = 0;
  let failedInARow = 0;
  let attempted = 0;
  let error: string | undefined;
  const began = Date.now();
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // A failing request takes as long as its statement: two failures in a row settle it.
    if (failedInARow >= 2 || (i > WARMUP + 2 && Date.now() - began > BUDGET_MS)) break;
    attempted++;
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    const elapsed = performance.now() - started;
    if (!response.ok || body.errors || !body.data) {
      // A failure is a result, not a crash: count it, keep the first answer and the server's log.
      failures++;
      failedInARow++;
      if (!error) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const logged = api
          .tail()
          .split('\n')
          .filter((line) => line.includes('"level":50'))
          .map((line) => {
            const entry = JSON.parse(line) as { msg?: string; path?: unknown; err?: { message?: string } };
            return `${entry.msg} at ${JSON.stringify(entry.path)}: ${entry.err?.message?.replace(/\s+/g, ' ').slice(0, 300)}`;
          });
        error = `HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}; server log: ${logged.at(-1) ?? '(nothing)'}`;
      }
      continue;
    }
    check?.(body.data);
    failedInARow = 0;
    if (i >= WARMUP) runs.push(elapsed);
  }
  return summarize(label, runs, attempted, failures, error);
}
