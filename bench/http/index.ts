import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { mintToken } from '../../src/core/auth.js';
import type { Benchmark } from '../suite.js';
import { createBenchDatabase, type BenchDatabase } from '../../tests/support/database.js';
import { runLoad } from '../../tests/support/load.js';
import { fmt } from '../../tests/support/report.js';
import { freePort, startChild, stopAll, waitReady, type Child } from '../../tests/support/processes.js';
import { seedTraining, type SeedCounts } from '../../tests/support/seed.js';
import { sleep } from '../../tests/support/wait.js';
import { report } from './report.js';
import { cpuMs, discoverPostGraphile, post, transactions } from './probes.js';
import {
  ALL_QUERIES,
  ALL_TARGETS,
  CONNECTIONS,
  CONTROL_ENV,
  type Measured,
  OFFICER,
  OUR_INSTANCES,
  OURS_NODE_ARGS,
  POOL_MAX,
  PROBE_REQUESTS,
  type PostGraphileNames,
  QUERIES,
  type QueryName,
  ROUNDS,
  SECONDS,
  STATS_FLUSH_MS,
  TARGETS,
  TENANTS,
  type TargetName,
  WARMUP_SECONDS,
  WORKER,
  type TargetRequest,
} from './settings.js';
import { scrapeEvery, startReceiver, TRACE_SAMPLE_RATIO, type Receiver } from './telemetry.js';

/**
 * HTTP throughput and latency of two typical reads against our API, PostGraphile
 * v4 and a bare `pg` handler (the floor), on one seeded database, each server in
 * its own process, load from autocannon in this process. See `method` below.
 */

export const OUR_COURSES = `query Courses {
  trainingCourses(first: 50) { totalCount nodes { id title category riskThreshold } }
}`;
export const OUR_ASSIGNMENTS = `query Assignments($userId: ID!) {
  userTrainingAssignments(userId: $userId, first: 50) {
    nodes {
      id status dueDate
      course { id title category }
      completion { score passed completedAt expiresAt }
    }
  }
}`;

export const http: Benchmark = {
  name: 'http',
  unpublished: () => {
    if (TARGETS.length < ALL_TARGETS.length) return `HTTP_TARGETS=${TARGETS.join(',')} measures a subset`;
    if (QUERIES.length < ALL_QUERIES.length) return `HTTP_QUERIES=${QUERIES.join(',')} measures a subset`;
    if (Object.keys(CONTROL_ENV).length) return `HTTP_CONTROL_ENV=${process.env.HTTP_CONTROL_ENV} changes the control`;
    return undefined;
  },
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadAverage = os.loadavg()[0]!;
    const db = await createBenchDatabase('bench_http');
    const children: Child[] = [];
    const receiver: Receiver = await startReceiver();
    let stopScraping = () => {};
    try {
      console.log(`database ${db.name}: seeding…`);
      const seedStarted = Date.now();
      const counts = await seed(db);
      const seedSeconds = (Date.now() - seedStarted) / 1000;
      console.log(`seeded in ${seedSeconds.toFixed(1)} s: ${JSON.stringify(counts)}`);

      const ports = {
        ours: await freePort(),
        telemetry: await freePort(),
        control: await freePort(),
        postgraphile: await freePort(),
        floor: await freePort(),
      };
      const metricsPort = await freePort();
      const commonEnv = { DATABASE_URL: db.url, JWT_SECRET: secret, DB_POOL_MAX: String(POOL_MAX) };
      // One at a time: start-up is CPU-heavy and this machine is small.
      const start = async (target: TargetName, name: string, script: string, env: Record<string, string>) => {
        const nodeArgs = OUR_INSTANCES.includes(target) ? [...OURS_NODE_ARGS, script] : [script];
        const child = startChild(name, nodeArgs, { ...commonEnv, PORT: String(ports[target]), ...env });
        children.push(child);
        await waitReady(child, `http://127.0.0.1:${ports[target]}/readyz`);
        return child;
      };
      const oursEnv = {
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        // The hourly auto-assign and overdue-sweep timers must not fire mid-measurement, nor may the e-mail
        // deliverer (the seed's 99,910 assignments queue as many ASSIGNMENT_CREATED mails; writing them to .eml files
        // in this process throughout the run took ≈ 5 % of its CPU).
        AUTO_ASSIGN_CRON: '',
        OVERDUE_SWEEP_CRON: '',
        RISK_ESCALATION_CRON: '',
        REMINDERS_CRON: '',
        RECERTIFICATION_CRON: '',
        QUALIFICATION_EXPIRY_CRON: '',
        EMAIL_POLL_MS: 'off',
      };
      const ours = await start('ours', 'our API', 'src/main.ts', oursEnv);
      const telemetry = await start('telemetry', 'our API with telemetry', 'src/main.ts', {
        ...oursEnv,
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_TRACES_SAMPLER_ARG: String(TRACE_SAMPLE_RATIO),
      });
      const control = await start('control', 'our API again (control)', 'src/main.ts', { ...oursEnv, ...CONTROL_ENV });
      stopScraping = scrapeEvery(`http://127.0.0.1:${metricsPort}/metrics`);
      const postgraphile = await start('postgraphile', 'PostGraphile', 'bench/http/postgraphile-server.ts', {
        NODE_ENV: 'production',
      });
      const floor = await start('floor', 'floor', 'bench/http/floor-server.ts', { NODE_ENV: 'production' });
      const pids: Record<TargetName, number> = {
        ours: ours.pid,
        telemetry: telemetry.pid,
        control: control.pid,
        postgraphile: postgraphile.pid,
        floor: floor.pid,
      };

      const officerToken = await mintToken({
        secret,
        userId: OFFICER.id,
        tenantId: TENANTS[0],
        role: 'safety_officer',
        name: OFFICER.name,
        email: OFFICER.email,
      });
      const workerToken = await mintToken({
        secret,
        userId: WORKER.id,
        tenantId: TENANTS[0],
        role: 'worker',
        name: WORKER.name,
        email: WORKER.email,
      });

      const names = await discoverPostGraphile(`http://127.0.0.1:${ports.postgraphile}/graphql`, officerToken);
      console.log(`PostGraphile names: ${JSON.stringify(names)}`);
      const requests = buildRequests(ports, names, officerToken, workerToken);

      // Every target must answer every query correctly before any load: no `errors`,
      // 50 nodes (and the tenant's 200 courses), and the same ids in the same order.
      const expected = new Map<string, string>();
      for (const query of QUERIES) {
        const idLists: Record<string, string[]> = {};
        for (const target of TARGETS) {
          const request = requests[target][query];
          const text = await post(request);
          const parsed = JSON.parse(text) as { errors?: unknown; data?: unknown };
          if (parsed.errors || !parsed.data) {
            throw new Error(`${target} ${query}: errors in the sample response: ${text.slice(0, 500)}`);
          }
          const ids = request.ids(parsed);
          if (ids.length !== 50) throw new Error(`${target} ${query}: expected 50 nodes, got ${ids.length}`);
          if (query === 'courses' && !text.includes('"totalCount":200')) {
            throw new Error(`${target} courses: expected totalCount 200: ${text.slice(0, 200)}`);
          }
          idLists[target] = ids;
          expected.set(`${target}/${query}`, text);
        }
        for (const target of TARGETS) {
          if (idLists[target]!.join() !== idLists.ours!.join()) {
            throw new Error(
              `${target} ${query}: different nodes than our API:\n${idLists[target]}\nvs\n${idLists.ours}`,
            );
          }
        }
      }

      // Database transactions per request: PROBE_REQUESTS sequential requests, then a pause
      // long enough for every backend to flush its statistics (PostgreSQL 15 flushes an idle
      // backend's counters within 10 s), read from pg_stat_database.
      console.log(`transactions per request: ${PROBE_REQUESTS} sequential requests per target and query…`);
      const xactsPerRequest = new Map<string, number>();
      await sleep(STATS_FLUSH_MS);
      let before = await transactions(db);
      for (const query of QUERIES) {
        for (const target of TARGETS) {
          for (let i = 0; i < PROBE_REQUESTS; i++) await post(requests[target][query]);
          await sleep(STATS_FLUSH_MS);
          const after = await transactions(db);
          xactsPerRequest.set(`${target}/${query}`, (after - before) / PROBE_REQUESTS);
          before = after;
        }
      }
      console.log(JSON.stringify(Object.fromEntries(xactsPerRequest)));

      // Under load every response must be byte-identical to the verified sample.
      const verify = (target: TargetName, query: QueryName) => {
        const body = expected.get(`${target}/${query}`)!;
        return (text: string) => text === body;
      };
      const load = (target: TargetName, query: QueryName, seconds: number) => {
        const request = requests[target][query];
        return runLoad({
          url: request.url,
          body: request.body,
          headers: { authorization: `Bearer ${request.token}` },
          connections: CONNECTIONS,
          durationSeconds: seconds,
          verify: verify(target, query),
        });
      };

      console.log(`warm-up: ${WARMUP_SECONDS} s per target and query`);
      for (const query of QUERIES) for (const target of TARGETS) await load(target, query, WARMUP_SECONDS);

      const results = new Map<string, Measured[]>();
      const started = Date.now();
      for (let round = 0; round < ROUNDS; round++) {
        for (const query of QUERIES) {
          // Rotate the order every round so no target always runs first (or right after another).
          const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]!);
          for (const target of order) {
            const cpuBefore = cpuMs(pids[target]);
            const result = await load(target, query, SECONDS);
            const cpu = cpuMs(pids[target]) - cpuBefore;
            const measured: Measured = {
              ...result,
              serverCpuMsPerRequest: result.requests ? cpu / result.requests : Number.NaN,
              loadAverage: os.loadavg()[0]!,
            };
            console.log(
              `round ${round + 1} ${query} ${target}: ${fmt(result.rps, 0)} req/s, p50 ${result.p50} ms, ` +
                `p99 ${result.p99} ms, errors ${result.errors}/${result.requests}, ` +
                `server CPU ${fmt(measured.serverCpuMsPerRequest, 2)} ms/req, load average ${fmt(measured.loadAverage, 1)}`,
            );
            const key = `${target}/${query}`;
            results.set(key, [...(results.get(key) ?? []), measured]);
          }
        }
      }
      const measuredSeconds = (Date.now() - started) / 1000;
      return report({
        counts,
        seedSeconds,
        results,
        names,
        loadAverage,
        measuredSeconds,
        xactsPerRequest,
        exported: receiver.received(),
      });
    } finally {
      stopScraping();
      await stopAll(children);
      await receiver.close();
      await db.drop();
    }
  },
};

async function seed(db: BenchDatabase): Promise<SeedCounts> {
  const counts = await db.withClient((client) =>
    seedTraining(client, [
      {
        id: TENANTS[0],
        adminId: '3c7a5e33-5d3f-4e4a-8a6b-7c8d9e0f1a23',
        officerId: OFFICER.id,
        officerName: OFFICER.name,
        officerEmail: OFFICER.email,
        workers: 1664,
        courses: 200,
        assignmentsPerWorker: 20,
        benchWorker: { ...WORKER, assignments: 50 },
      },
      {
        id: TENANTS[1],
        adminId: '4d6b4f22-6e4a-4f5b-9b7c-8d9e0f1a2b34',
        officerId: '5e5c3a11-7f5b-4a6c-8c8d-9e0f1a2b3c45',
        workers: 1664,
        courses: 200,
        assignmentsPerWorker: 20,
      },
      {
        id: TENANTS[2],
        adminId: '6f4d2b00-8a6c-4b7d-9d9e-0f1a2b3c4d56',
        officerId: '7a3e1c99-9b7d-4c8e-8e0f-1a2b3c4d5e67',
        workers: 1665,
        courses: 200,
        assignmentsPerWorker: 20,
      },
    ]),
  );
  await db.withClient(async (client) => {
    // PostGraphile exposes this as TrainingAssignment.effectiveStatus (a computed column):
    // the status our API and the floor return (overdue computed on read). Bench database only.
    await client.query(`
      CREATE FUNCTION training_assignments_effective_status(a training_assignments) RETURNS text
      LANGUAGE sql STABLE AS $$ SELECT training_effective_status(a.status, a.due_date) $$`);
    await client.query('VACUUM ANALYZE');
  });
  return counts;
}

type Nodes = { id: string; status?: string }[];
const nodesAt = (body: unknown, path: string[]): Nodes =>
  (path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body) as Nodes) ?? [];
const idsOf = (nodes: Nodes) => nodes.map((node) => `${node.id}${node.status ? `:${node.status.toLowerCase()}` : ''}`);

function buildRequests(
  ports: Record<TargetName, number>,
  names: PostGraphileNames,
  officerToken: string,
  workerToken: string,
): Record<TargetName, Record<QueryName, TargetRequest>> {
  const graphql = (port: number) => `http://127.0.0.1:${port}/graphql`;
  const pgCourses = `query Courses($tenantId: UUID!) {
  ${names.courses}(first: 50, condition: { tenantId: $tenantId }, orderBy: [CREATED_AT_DESC, ID_ASC]) {
    totalCount nodes { id title category riskThreshold }
  }
}`;
  const pgAssignments = `query Assignments($tenantId: UUID!, $userId: UUID!) {
  ${names.assignments}(first: 50, condition: { tenantId: $tenantId, userId: $userId }, orderBy: [CREATED_AT_DESC, ID_ASC]) {
    nodes {
      id status: ${names.effectiveStatus} dueDate
      course: ${names.assignmentCourse} { id title category }
      completion: ${names.assignmentCompletions}(first: 1, orderBy: [COMPLETED_AT_DESC]) {
        nodes { score passed completedAt expiresAt }
      }
    }
  }
}`;
  const ours = (port: number): Record<QueryName, TargetRequest> => ({
    courses: {
      url: graphql(port),
      token: officerToken,
      body: JSON.stringify({ query: OUR_COURSES }),
      ids: (body) => idsOf(nodesAt(body, ['data', 'trainingCourses', 'nodes'])),
    },
    assignments: {
      url: graphql(port),
      token: workerToken,
      body: JSON.stringify({ query: OUR_ASSIGNMENTS, variables: { userId: WORKER.id } }),
      ids: (body) => idsOf(nodesAt(body, ['data', 'userTrainingAssignments', 'nodes'])),
    },
  });
  return {
    ours: ours(ports.ours),
    telemetry: ours(ports.telemetry),
    control: ours(ports.control),
    postgraphile: {
      courses: {
        url: graphql(ports.postgraphile),
        token: officerToken,
        body: JSON.stringify({ query: pgCourses, variables: { tenantId: TENANTS[0] } }),
        ids: (body) => idsOf(nodesAt(body, ['data', names.courses, 'nodes'])),
      },
      assignments: {
        url: graphql(ports.postgraphile),
        token: workerToken,
        body: JSON.stringify({ query: pgAssignments, variables: { tenantId: TENANTS[0], userId: WORKER.id } }),
        ids: (body) => idsOf(nodesAt(body, ['data', names.assignments, 'nodes'])),
      },
    },
    floor: {
      courses: {
        url: `http://127.0.0.1:${ports.floor}/courses`,
        token: officerToken,
        body: JSON.stringify({ first: 50 }),
        ids: (body) => idsOf(nodesAt(body, ['data', 'trainingCourses', 'nodes'])),
      },
      assignments: {
        url: `http://127.0.0.1:${ports.floor}/assignments`,
        token: workerToken,
        body: JSON.stringify({ userId: WORKER.id, first: 50 }),
        ids: (body) => idsOf(nodesAt(body, ['data', 'userTrainingAssignments', 'nodes'])),
      },
    },
  };
}
