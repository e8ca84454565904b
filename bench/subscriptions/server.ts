// One API instance of the several-instance subscriptions benchmark, in its own process as in a real
// deployment: `node --expose-gc --import tsx bench/subscriptions/server.ts`, configured by the same
// environment as src/main.ts. The benchmark reads this instance's hub counters, CPU time and memory
// from a second port, BENCH_CONTROL_PORT (`GET /stats`, `GET /stats?gc=1` for memory after full
// collections), so that nothing but the API runs in this process.
import { createServer } from 'node:http';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startApp } from '../../src/app.js';
import { schema } from '../../src/schema.js';

export interface InstanceStats {
  subscribers: number;
  dropped: number;
  /** Payloads serialized since start: one per row and selection this instance delivered. */
  shaped: number;
  /** This process's user + system CPU since start, in microseconds. */
  cpuMicros: number;
  heap: number;
  rss: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/subscriptions/server.ts needs node --expose-gc');

const config = loadConfig();
const app = await startApp({ config, logger: createLogger(config.logLevel), schema, host: '127.0.0.1' });

const control = createServer((request, response) => {
  // CPU first: the collections asked for below are the benchmark's, not the API's.
  const cpu = process.cpuUsage();
  if (request.url?.endsWith('gc=1')) {
    gc();
    gc();
  }
  const { subscribers, dropped, shaped } = app.services.liveEvents.stats();
  const { heapUsed, rss } = process.memoryUsage();
  const stats: InstanceStats = {
    subscribers,
    dropped,
    shaped,
    cpuMicros: cpu.user + cpu.system,
    heap: heapUsed,
    rss,
  };
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(stats));
});
control.listen(Number(process.env.BENCH_CONTROL_PORT), '127.0.0.1');

// Stop within 5 s whatever happens, as the soak's server does (app.stop() can hang when Apollo
// Server's own SIGTERM handler stops it concurrently).
process.once('SIGTERM', () => {
  control.close();
  void Promise.race([app.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]).finally(() => process.exit(0));
});
