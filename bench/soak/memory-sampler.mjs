// Loaded into the production server for the soak: `node --expose-gc --import ./bench/soak/memory-sampler.mjs
// dist/src/main.js`, so the process measured is the one production runs (compiled JavaScript, no TypeScript
// loader). Every SOAK_SAMPLE_MS (default 10 s) it forces a full GC and writes one JSON line
// `{"soak": {…process.memoryUsage()}}` to stdout: the heap after collection is what is really retained.
import process from 'node:process';
import { setInterval } from 'node:timers';

const gc = globalThis.gc;
if (!gc) throw new Error('bench/soak/memory-sampler.mjs needs node --expose-gc');

const sample = () => {
  gc();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({ soak: { t: Date.now(), rss, heapTotal, heapUsed, external, arrayBuffers } }) + '\n',
  );
};
sample();
setInterval(sample, Number(process.env.SOAK_SAMPLE_MS ?? 10_000)).unref();
