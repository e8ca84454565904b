/** Every benchmark `npm run bench` runs, in order. Each returns its BENCHMARKS.md section (markdown). */
export interface Benchmark {
  name: string;
  run(): Promise<string>;
}

export const benchmarks: Benchmark[] = [];
