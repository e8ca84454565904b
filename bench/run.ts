// `npm run bench`: runs every benchmark on this machine against PostgreSQL and writes BENCHMARKS.md.
// `npm run bench -- auto-assign` runs one. Needs a PostgreSQL server: BENCH_DATABASE_URL, else
// DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres (a throwaway database is made per run).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchmarks } from './suite.js';

const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const selected = benchmarks.filter((bench) => only.length === 0 || only.includes(bench.name));
if (selected.length === 0)
  throw new Error(`No benchmark named ${only.join(', ')}; have ${benchmarks.map((b) => b.name).join(', ')}`);

const sections: string[] = [];
for (const bench of selected) {
  console.log(`\n=== ${bench.name} ===`);
  const started = Date.now();
  sections.push(await bench.run());
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
const report = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine}.
Every comparison runs side by side in one process and one run, because these machines are noisy: read the
ratios and medians, not the absolute numbers.

${sections.join('\n\n')}
`;
if (only.length === 0) {
  writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), report);
  console.log('\nBENCHMARKS.md written');
} else {
  console.log(`\n${report}`);
}
