// `npm run bench`: runs every benchmark on this machine against PostgreSQL and writes BENCHMARKS.md.
// `npm run bench -- auto-assign` runs one and refreshes only its section. Needs a PostgreSQL server:
// BENCH_DATABASE_URL, else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres (a
// throwaway database is made per run).
//
// Each benchmark's section is kept in bench/results/<name>.md with the machine it ran on, and
// BENCHMARKS.md is assembled from those files, so one benchmark can be re-run without the others.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { allBenchmarks, benchmarks } from './suite.js';

// `--assemble`: run nothing, only rebuild BENCHMARKS.md from bench/results (after editing a section by hand).
const assembleOnly = process.argv.includes('--assemble');
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const selected = assembleOnly
  ? []
  : (only.length ? allBenchmarks : benchmarks).filter((bench) => only.length === 0 || only.includes(bench.name));
if (selected.length === 0 && !assembleOnly)
  throw new Error(`No benchmark named ${only.join(', ')}; have ${allBenchmarks.map((b) => b.name).join(', ')}`);

const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;

for (const bench of selected) {
  console.log(`\n=== ${bench.name} ===`);
  const started = Date.now();
  const section = await bench.run();
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const unpublished = bench.unpublished?.();
  if (unpublished) {
    console.log(`\n${section}\n(${seconds} s; not written: ${unpublished})`);
    continue;
  }
  const stamp = `_Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${seconds} s; load average at start ${os.loadavg()[0]!.toFixed(1)}. Machine: ${machine}._`;
  writeFileSync(new URL(`${bench.name}.md`, resultsDir), `${section.trim()}\n\n${stamp}\n`);
  console.log(`\n${section}\n(${seconds} s)`);
}

const sections = allBenchmarks
  .map((bench) => new URL(`${bench.name}.md`, resultsDir))
  .filter((file) => existsSync(file))
  .map((file) => readFileSync(file, 'utf8').trim());
writeFileSync(
  new URL('../BENCHMARKS.md', import.meta.url),
  `# Benchmarks

Written by \`npm run bench\` (all) or \`npm run bench -- <name>\` (one section, kept in bench/results/<name>.md).
Every comparison runs side by side in one process and one run, because these machines are noisy: read the
ratios and medians, not the absolute numbers. Each section says when and on which machine it ran.

${sections.join('\n\n')}
`,
);
console.log('\nBENCHMARKS.md written');
