// Our API for the soak benchmark: `node --expose-gc --import tsx bench/soak/server.ts`, configured
// by the same environment as src/main.ts. Every SOAK_SAMPLE_MS (default 10 s) it forces a full
// GC and writes one JSON line `{"soak": {…process.memoryUsage()}}` to stdout, so the heap is
// measured after collection (what is really retained), not at a random point of the GC cycle.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startApp } from '../../src/app.js';
import { schema } from '../../src/schema.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/soak/server.ts needs node --expose-gc');

const config = loadConfig();
const app = await startApp({ config, logger: createLogger(config.logLevel), schema });

const sample = () => {
  gc();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  console.log(JSON.stringify({ soak: { t: Date.now(), rss, heapTotal, heapUsed, external, arrayBuffers } }));
};
sample();
setInterval(sample, Number(process.env.SOAK_SAMPLE_MS ?? 10_000));

// Stop within 5 s whatever happens: app.stop() can hang when Apollo Server's own SIGTERM
// handler stops it concurrently (reported separately).
process.once('SIGTERM', () => {
  void Promise.race([app.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]).finally(() => process.exit(0));
});
