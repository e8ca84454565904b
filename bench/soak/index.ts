import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase, withCaller } from '../../tests/support/database.js';
import { runLoad, type LoadOptions, type LoadResult } from '../../tests/support/load.js';
import { fmt, table } from '../../tests/support/report.js';
import { freePort, startChild, waitReady, type Child } from '../../tests/support/processes.js';
import { seedTraining, type SeedCounts } from '../../tests/support/seed.js';
import type { Benchmark } from '../suite.js';

/**
 * Soak: SOAK_SECONDS (default 600) of mixed reads and writes against our API in a child
 * process that reports its memory after a forced GC every 10 s (bench/soak/server.ts).
 * Flat heap is the goal: the slope of the GC'd heap after warm-up should be ~0 MB/min.
 *
 * Not part of a plain `npm run bench` (it takes SOAK_SECONDS): it runs when named
 * (`npm run bench -- soak`) or when SOAK_SECONDS is set (see bench/suite.ts).
 */

const SECONDS = Number(process.env.SOAK_SECONDS || 600);
const WARMUP_SECONDS = Math.min(60, Math.round(SECONDS / 5));
const SAMPLE_MS = 10_000;

const TENANT = 'be6b7f2d-5a6c-4b8d-8fa0-6c7d8e9fa0b5';
const OFFICER = 'cf7c803e-6b7d-4c9e-9ab1-7d8e9fa0b1c6';
const COURSES_FOR_WRITES = 20;
const WORKERS_FOR_WRITES = 200;
const WORKERS_FOR_READS = 50;

interface Sample {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** VmRSS of the child read from /proc by this process at the same moment (bytes). */
  vmRss: number;
}

interface Worker {
  id: string;
  token: string;
}

const COURSES_QUERY = '{ trainingCourses(first: 50) { totalCount nodes { id title category riskThreshold } } }';
const ASSIGNMENTS_QUERY = `query($userId: ID!) { userTrainingAssignments(userId: $userId, first: 50) {
  nodes { id status dueDate course { id title category } completion { score passed completedAt expiresAt } } } }`;
const ANALYTICS_QUERY = `{ trainingAnalytics { totalCourses totalAssignments completedCount inProgressCount overdueCount
  completionRate avgCompletionTime byStatus { status count } byCategory { category assignments completionRate } } }`;
const CREATE_COURSE = `mutation($input: CreateTrainingCourseInput!) { createTrainingCourse(input: $input) { id title } }`;
const ASSIGN = `mutation($input: AssignTrainingCourseInput!) { assignTrainingCourse(input: $input) { id status } }`;
const START = `mutation($id: ID!) { startTrainingAssignment(assignmentId: $id) { id status startedAt } }`;
const COMPLETE = `mutation($input: CompleteTrainingAssignmentInput!) {
  completeTrainingAssignment(input: $input) { id status completion { score passed expiresAt certificateUrl } } }`;

const noErrors = (body: string) => body.startsWith('{"data":') && !body.includes('"errors"');
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** The assigned worker's next step in the write loop; skipped when the assignment was not made. */
function asWorker(body: (assignmentId: unknown) => { query: string; variables: Record<string, unknown> }) {
  const request: NonNullable<LoadOptions['requests']>[number] = {
    method: 'POST',
    path: '/graphql',
    setupRequest: (request, context) =>
      context.assignmentId
        ? {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${(context.worker as Worker).token}`,
            },
            body: JSON.stringify(body(context.assignmentId)),
          }
        : null,
  };
  return request;
}

export const soak: Benchmark = {
  name: 'soak',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadAverage = os.loadavg()[0]!;
    const db = await createBenchDatabase('bench_soak');
    let api: Child | undefined;
    try {
      const counts = await db.withClient((client) =>
        seedTraining(client, [
          {
            id: TENANT,
            adminId: 'd08d914f-7c8e-4daf-8bc2-8e9fa0b1c2d7',
            officerId: OFFICER,
            workers: 2_000,
            courses: 200,
            assignmentsPerWorker: 20,
          },
        ]),
      );
      await db.withClient((client) => client.query('VACUUM ANALYZE'));
      console.log(`database ${db.name} seeded: ${JSON.stringify(counts)}`);

      const port = await freePort();
      api = startChild('our API (soak)', ['--expose-gc', 'bench/soak/server.ts'], {
        DATABASE_URL: db.url,
        PORT: String(port),
        JWT_SECRET: secret,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        SOAK_SAMPLE_MS: String(SAMPLE_MS),
        // The scheduler stays on (its default hourly timers), as in production.
      });
      const samples: Sample[] = [];
      const child = api;
      api.onLine((line) => {
        if (!line.startsWith('{"soak":')) return;
        const { soak: sample } = JSON.parse(line) as { soak: Omit<Sample, 'vmRss'> };
        samples.push({ ...sample, vmRss: vmRss(child.pid) });
      });
      await waitReady(api, `http://127.0.0.1:${port}/readyz`);
      const url = `http://127.0.0.1:${port}/graphql`;

      const officerToken = await mintToken({ secret, userId: OFFICER, tenantId: TENANT, role: 'safety_officer' });
      const workerIds = await db.withClient((client) =>
        asOfficer(client, async () => {
          const { rows } = await client.query<{ id: string }>(
            "SELECT id FROM profiles WHERE role = 'worker' ORDER BY id LIMIT $1",
            [WORKERS_FOR_WRITES],
          );
          return rows.map((row) => row.id);
        }),
      );
      const workers: Worker[] = await Promise.all(
        workerIds.map(async (id) => ({
          id,
          token: await mintToken({ secret, userId: id, tenantId: TENANT, role: 'worker', expiresIn: '2h' }),
        })),
      );
      const readers = workers.slice(0, WORKERS_FOR_READS);

      // Courses the write loop assigns, created through the API.
      const courseIds: string[] = [];
      for (let i = 0; i < COURSES_FOR_WRITES; i++) {
        const response = await graphql(url, officerToken, CREATE_COURSE, { input: courseInput(`Soak course ${i}`) });
        courseIds.push((response as { createTrainingCourse: { id: string } }).createTrainingCourse.id);
      }

      // Assign → start → complete, each (course, worker) pair in turn, so no pair is ever
      // assigned twice while active (that would be a legitimate CONFLICT, not a soak result).
      let pair = 0;
      const lifecycle: LoadOptions['requests'] = [
        {
          method: 'POST',
          path: '/graphql',
          setupRequest: (request, context) => {
            const index = pair++;
            const worker = workers[Math.floor(index / COURSES_FOR_WRITES) % workers.length]!;
            context.worker = worker;
            return {
              ...request,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${officerToken}` },
              body: JSON.stringify({
                query: ASSIGN,
                variables: {
                  input: {
                    courseId: courseIds[index % COURSES_FOR_WRITES],
                    userId: worker.id,
                    dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
                    assignmentReason: 'Soak test',
                  },
                },
              }),
            };
          },
          onResponse: (_status, body, context) => {
            context.assignmentId = (JSON.parse(body) as { data?: { assignTrainingCourse?: { id: string } } }).data
              ?.assignTrainingCourse?.id;
          },
        },
        asWorker((assignmentId) => ({ query: START, variables: { id: assignmentId } })),
        asWorker((assignmentId) => ({
          query: COMPLETE,
          variables: {
            input: {
              assignmentId,
              score: 60 + Math.floor(Math.random() * 41),
              // Always passed: a failed attempt would leave the pair active, and the
              // pair's next turn would then be a legitimate CONFLICT.
              passed: true,
              completionTimeMinutes: 5 + Math.floor(Math.random() * 60),
            },
          },
        })),
      ];

      let courseNumber = 0;
      const streams: { name: string; options: LoadOptions }[] = [
        {
          name: 'trainingCourses (officer)',
          options: {
            url,
            connections: 3,
            durationSeconds: SECONDS,
            body: JSON.stringify({ query: COURSES_QUERY }),
            headers: { authorization: `Bearer ${officerToken}` },
          },
        },
        {
          name: `userTrainingAssignments (${WORKERS_FOR_READS} workers, own)`,
          options: {
            url,
            connections: 3,
            durationSeconds: SECONDS,
            requests: [
              {
                method: 'POST',
                path: '/graphql',
                setupRequest: (request) => {
                  const worker = pick(readers);
                  return {
                    ...request,
                    headers: { 'content-type': 'application/json', authorization: `Bearer ${worker.token}` },
                    body: JSON.stringify({ query: ASSIGNMENTS_QUERY, variables: { userId: worker.id } }),
                  };
                },
              },
            ],
          },
        },
        {
          name: 'trainingAnalytics (officer), ≤ 1/s',
          options: {
            url,
            connections: 1,
            overallRate: 1,
            durationSeconds: SECONDS,
            body: JSON.stringify({ query: ANALYTICS_QUERY }),
            headers: { authorization: `Bearer ${officerToken}` },
          },
        },
        {
          name: 'assign → start → complete',
          options: { url, connections: 2, durationSeconds: SECONDS, requests: lifecycle },
        },
        {
          name: 'createTrainingCourse, ≤ 1/s',
          options: {
            url,
            connections: 1,
            overallRate: 1,
            durationSeconds: SECONDS,
            headers: { authorization: `Bearer ${officerToken}` },
            requests: [
              {
                method: 'POST',
                path: '/graphql',
                setupRequest: (request) => ({
                  ...request,
                  body: JSON.stringify({
                    query: CREATE_COURSE,
                    variables: { input: courseInput(`Soak extra ${courseNumber++}`) },
                  }),
                }),
              },
            ],
          },
        },
      ];

      console.log(
        `soak: ${SECONDS} s of mixed traffic (${streams.length} streams); memory every ${SAMPLE_MS / 1000} s`,
      );
      const started = Date.now();
      const results = await Promise.all(
        streams.map((stream) => runLoad({ ...stream.options, verify: noErrors, title: stream.name })),
      );
      const elapsed = (Date.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS + 1_000)); // one sample after the traffic
      const rows = await db.withClient((client) =>
        asOfficer(client, async () => {
          const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM training_completions');
          return Number(rows[0]!.n);
        }),
      );
      return report({
        counts,
        streams: streams.map((stream, i) => ({
          name: stream.name,
          connections: stream.options.connections,
          result: results[i]!,
        })),
        samples,
        started,
        elapsed,
        loadAverage,
        completionRows: rows,
      });
    } finally {
      await api?.stop();
      await db.drop();
    }
  },
};

/** Reads as the tenant's safety officer under RLS, rolled back. */
const asOfficer = <T>(client: pg.Client, fn: () => Promise<T>) =>
  withCaller(client, { tenantId: TENANT, userId: OFFICER, role: 'safety_officer' }, fn);

function courseInput(title: string) {
  return {
    title,
    category: 'EQUIPMENT_SAFETY',
    durationMinutes: 30,
    expiryMonths: 12,
    issuesCertificate: true,
    riskThreshold: 70,
    entityType: 'WORKER',
    autoAssignEnabled: false,
  };
}

async function graphql(url: string, token: string, query: string, variables: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`soak setup: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

function vmRss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of y (bytes) over t (ms), in MB per minute. */
function slopeMbPerMinute(points: { t: number; y: number }[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.t - meanT) * (p.y - meanY), 0);
  const den = points.reduce((sum, p) => sum + (p.t - meanT) ** 2, 0);
  return ((num / den) * 60_000) / 2 ** 20;
}

const mb = (bytes: number) => fmt(bytes / 2 ** 20, 1);

function report(input: {
  counts: SeedCounts;
  streams: { name: string; connections: number; result: LoadResult }[];
  samples: Sample[];
  started: number;
  elapsed: number;
  loadAverage: number;
  completionRows: number;
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

Our API in a child process (\`node --expose-gc --import tsx bench/soak/server.ts\`: \`startApp\` as src/main.ts does, NODE_ENV=production,
LOG_LEVEL=warn, scheduler on) on a throwaway database (1 tenant, 200 courses, ${input.counts.profiles.toLocaleString('en-US')} profiles,
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
`;
}
