import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { runLoad, type LoadOptions } from '../../tests/support/load.js';
import { freePort, imageNodeCommand, ROOT, startChild, waitReady, type Child } from '../../tests/support/processes.js';
import { seedTraining } from '../../tests/support/seed.js';
import type { Benchmark } from '../suite.js';
import {
  SECONDS,
  SAMPLE_MS,
  TENANT,
  OFFICER,
  COURSES_FOR_WRITES,
  WORKERS_FOR_WRITES,
  WORKERS_FOR_READS,
  type Sample,
  type Worker,
  COURSES_QUERY,
  ASSIGNMENTS_QUERY,
  ANALYTICS_QUERY,
  CREATE_COURSE,
  ASSIGN,
  START,
  COMPLETE,
  noErrors,
  pick,
  asWorker,
  asOfficer,
  courseInput,
  graphql,
} from './workload.js';
import { vmRss, report } from './report.js';

/**
 * Soak: SOAK_SECONDS (default 600) of mixed reads and writes against our API as production runs it
 * (`npm run build`, then `node dist/src/main.js`, compiled JavaScript without a TypeScript loader), which
 * reports its memory after a forced GC every 10 s (bench/soak/memory-sampler.mjs).
 * The server gets the image's GLIBC_TUNABLES and node flags (Dockerfile), or SOAK_GLIBC_TUNABLES and
 * SOAK_NODE_ARGS when set.
 * Flat heap is the goal: the slope of the GC'd heap after warm-up should be ~0 MB/min.
 *
 * Not part of a plain `npm run bench` (it takes SOAK_SECONDS): it runs when named
 * (`npm run bench -- soak`) or when SOAK_SECONDS is set (see bench/suite.ts).
 */

/**
 * Node flags for the measured server only: the image's (the Dockerfile's `CMD ["node", …flags, "dist/src/main.js"]`),
 * or SOAK_NODE_ARGS to try a lever without touching the load generator (e.g. '--max-semi-space-size=4'; empty:
 * none, to compare).
 */
function imageNodeArgs(): string[] {
  if (process.env.SOAK_NODE_ARGS !== undefined) return process.env.SOAK_NODE_ARGS.split(' ').filter(Boolean);
  const command = imageNodeCommand();
  if (command.at(-1) !== 'dist/src/main.js') throw new Error('bench/soak: the image does not run dist/src/main.js');
  return command.slice(0, -1);
}

/**
 * The malloc settings the image runs the server with (Dockerfile `ENV GLIBC_TUNABLES=…`); SOAK_GLIBC_TUNABLES
 * overrides them (empty: glibc's defaults, to compare).
 */
function imageGlibcTunables(): string {
  if (process.env.SOAK_GLIBC_TUNABLES !== undefined) return process.env.SOAK_GLIBC_TUNABLES;
  const match = /^ENV GLIBC_TUNABLES=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('bench/soak: the Dockerfile sets no GLIBC_TUNABLES');
  return match[1]!;
}

export const soak: Benchmark = {
  name: 'soak',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadAverage = os.loadavg()[0]!;
    const nodeArgs = imageNodeArgs();
    // The process measured is the build of this checkout, not a stale dist/.
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { stdio: 'inherit' });
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
      const glibcTunables = imageGlibcTunables();
      api = startChild(
        'our API (soak)',
        [...nodeArgs, '--expose-gc', '--import', './bench/soak/memory-sampler.mjs', 'dist/src/main.js'],
        {
          DATABASE_URL: db.url,
          PORT: String(port),
          JWT_SECRET: secret,
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          GLIBC_TUNABLES: glibcTunables,
          SOAK_SAMPLE_MS: String(SAMPLE_MS),
          // The scheduler stays on (its default hourly timers), as in production.
        },
        { typescript: false },
      );
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
        nodeArgs,
        glibcTunables,
      });
    } finally {
      await api?.stop();
      await db.drop();
    }
  },
};
