import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { mintToken } from '../../src/core/auth.js';
import type { Benchmark } from '../suite.js';
import { createBenchDatabase, type BenchDatabase } from '../../tests/support/database.js';
import { runLoad, type LoadResult } from '../../tests/support/load.js';
import { fmt, median, table } from '../../tests/support/report.js';
import { freePort, startChild, stopAll, waitReady, type Child } from '../../tests/support/processes.js';
import { seedTraining, type SeedCounts } from '../../tests/support/seed.js';
import { sleep } from '../../tests/support/wait.js';
import { overheadReport, scrapeEvery, startReceiver, TRACE_SAMPLE_RATIO, type Receiver } from './telemetry.js';

/**
 * HTTP throughput and latency of two typical reads against our API, PostGraphile
 * v4 and a bare `pg` handler (the floor), on one seeded database, each server in
 * its own process, load from autocannon in this process. See `method` below.
 */

const ROUNDS = Number(process.env.HTTP_ROUNDS ?? 3);
const SECONDS = Number(process.env.HTTP_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.HTTP_WARMUP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.HTTP_CONNECTIONS ?? 16);
const POOL_MAX = 10;
const PROBE_REQUESTS = 100;
const STATS_FLUSH_MS = 11_000;

export const TENANTS = [
  '6f1c2a7e-0b1d-4c8e-9a51-1d2e3f4a5b60',
  '7a2d3b8f-1c2e-4d9f-8b62-2e3f4a5b6c71',
  '8b3e4c9a-2d3f-4eaa-9c73-3f4a5b6c7d82',
] as const;
const OFFICER = { id: '1a9e7c55-3b1f-4c2d-8e4f-5a6b7c8d9e01', name: 'Sam Officer', email: 'sam@tenant0.example' };
const WORKER = { id: '2b8f6d44-4c2e-4d3e-9f5a-6b7c8d9e0f12', name: 'Wei Chen', email: 'wei@tenant0.example' };

type TargetName = 'ours' | 'telemetry' | 'postgraphile' | 'floor';
type QueryName = 'courses' | 'assignments';
const ALL_TARGETS: TargetName[] = ['ours', 'telemetry', 'postgraphile', 'floor'];
// HTTP_TARGETS=ours (comma-separated) measures a subset, for profiling (HTTP_OURS_NODE_ARGS=--cpu-prof); the
// published figures always come from all three.
const TARGETS: TargetName[] = process.env.HTTP_TARGETS
  ? ALL_TARGETS.filter((target) => process.env.HTTP_TARGETS!.split(',').includes(target))
  : ALL_TARGETS;
const OURS_NODE_ARGS = (process.env.HTTP_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean);
const QUERIES: QueryName[] = ['courses', 'assignments'];
const TARGET_LABEL: Record<TargetName, string> = {
  ours: 'our API (Pothos + Apollo + Prisma)',
  telemetry: `our API, metrics on + traces at ${TRACE_SAMPLE_RATIO * 100} %`,
  postgraphile: 'PostGraphile v4',
  floor: 'bare pg handler (floor)',
};
const QUERY_LABEL: Record<QueryName, string> = {
  courses: '`trainingCourses(first: 50)` + totalCount, as a safety officer',
  assignments: '`userTrainingAssignments(first: 50)` with course and latest completion, as the worker',
};

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

/** Target × query: what autocannon sends, and how to read the ids back for the cross-check. */
interface Request {
  url: string;
  body: string;
  token: string;
  /** [id, status?] of each node in order, from a response body. */
  ids(body: unknown): string[];
}

export const http: Benchmark = {
  name: 'http',
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
        postgraphile: await freePort(),
        floor: await freePort(),
      };
      const metricsPort = await freePort();
      const commonEnv = { DATABASE_URL: db.url, JWT_SECRET: secret, DB_POOL_MAX: String(POOL_MAX) };
      // One at a time: start-up is CPU-heavy and this machine is small.
      const start = async (target: TargetName, name: string, script: string, env: Record<string, string>) => {
        const nodeArgs = target === 'ours' || target === 'telemetry' ? [...OURS_NODE_ARGS, script] : [script];
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
      stopScraping = scrapeEvery(`http://127.0.0.1:${metricsPort}/metrics`);
      const postgraphile = await start('postgraphile', 'PostGraphile', 'bench/http/postgraphile-server.ts', {
        NODE_ENV: 'production',
      });
      const floor = await start('floor', 'floor', 'bench/http/floor-server.ts', { NODE_ENV: 'production' });
      const pids: Record<TargetName, number> = {
        ours: ours.pid,
        telemetry: telemetry.pid,
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

interface Measured extends LoadResult {
  serverCpuMsPerRequest: number;
  /** 1-minute load average right after the run. */
  loadAverage: number;
}

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

interface PostGraphileNames {
  courses: string;
  assignments: string;
  assignmentCourse: string;
  assignmentCompletions: string;
  effectiveStatus: string;
}

interface IntrospectedField {
  name: string;
  type: { name: string | null; ofType: { name: string | null; ofType: { name: string | null } | null } | null };
}

/** Finds PostGraphile's names for what we need by introspecting its schema. */
async function discoverPostGraphile(url: string, token: string): Promise<PostGraphileNames> {
  const fields = `fields { name type { name ofType { name ofType { name } } } }`;
  const text = await post({
    url,
    token,
    body: JSON.stringify({
      query: `{ query: __type(name: "Query") { ${fields} } assignment: __type(name: "TrainingAssignment") { ${fields} } }`,
    }),
    ids: () => [],
  });
  const { data } = JSON.parse(text) as {
    data: { query: { fields: IntrospectedField[] }; assignment: { fields: IntrospectedField[] } };
  };
  const typeName = (field: IntrospectedField) =>
    field.type.name ?? field.type.ofType?.name ?? field.type.ofType?.ofType?.name ?? null;
  const find = (list: IntrospectedField[], type: string, what: string) => {
    const found = list.filter((field) => typeName(field) === type);
    if (found.length !== 1)
      throw new Error(`PostGraphile: expected one ${what} of type ${type}, found ${found.length}`);
    return found[0]!.name;
  };
  const effective = data.assignment.fields.find((field) => field.name === 'effectiveStatus');
  if (!effective) throw new Error('PostGraphile: TrainingAssignment.effectiveStatus (computed column) missing');
  return {
    courses: find(data.query.fields, 'TrainingCoursesConnection', 'root connection'),
    assignments: find(data.query.fields, 'TrainingAssignmentsConnection', 'root connection'),
    assignmentCourse: find(data.assignment.fields, 'TrainingCourse', 'assignment → course relation'),
    assignmentCompletions: find(data.assignment.fields, 'TrainingCompletionsConnection', 'assignment → completions'),
    effectiveStatus: effective.name,
  };
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
): Record<TargetName, Record<QueryName, Request>> {
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
  const ours = (port: number): Record<QueryName, Request> => ({
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

async function post(request: Request): Promise<string> {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
    body: request.body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${request.url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** User + system CPU time of a process so far, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "(comm) ": state is field 3 of stat(5); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** Committed transactions in the benchmark database so far (pg_stat_database). */
async function transactions(db: BenchDatabase): Promise<number> {
  return db.withClient(async (client) => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]!.n);
  });
}

function report(input: {
  counts: SeedCounts;
  seedSeconds: number;
  results: Map<string, Measured[]>;
  names: PostGraphileNames;
  loadAverage: number;
  measuredSeconds: number;
  xactsPerRequest: Map<string, number>;
  exported: { batches: number; bytes: number };
}): string {
  const { counts, results, names } = input;
  const summary = (target: TargetName, query: QueryName) => {
    const runs = results.get(`${target}/${query}`) ?? [];
    return {
      rps: median(runs.map((run) => run.rps)),
      p50: median(runs.map((run) => run.p50)),
      p97_5: median(runs.map((run) => run.p97_5)),
      p99: median(runs.map((run) => run.p99)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      requests: runs.reduce((sum, run) => sum + run.requests, 0),
      cpu: median(runs.map((run) => run.serverCpuMsPerRequest)),
      xacts: input.xactsPerRequest.get(`${target}/${query}`) ?? Number.NaN,
      load: median(runs.map((run) => run.loadAverage)),
      all: runs.map((run) => fmt(run.rps, 0)).join(' / '),
    };
  };
  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  for (const query of QUERIES) {
    const ours = summary('ours', query);
    for (const target of TARGETS) {
      if (target === 'telemetry') continue;
      const s = summary(target, query);
      rows.push([
        `${query}: ${TARGET_LABEL[target]}`,
        fmt(s.rps, 0),
        s.all,
        fmt(s.p50, 1),
        fmt(s.p97_5, 1),
        fmt(s.p99, 1),
        `${s.errors} / ${s.requests.toLocaleString('en-US')}`,
        fmt(s.cpu, 2),
        fmt(s.xacts, 2),
        fmt(s.load, 1),
      ]);
    }
    const pg = summary('postgraphile', query);
    const floor = summary('floor', query);
    ratios.push([
      query,
      `${fmt(ours.rps / pg.rps, 2)}×`,
      `${fmt(ours.rps / floor.rps, 2)}×`,
      `${fmt(pg.rps / floor.rps, 2)}×`,
      `${fmt(ours.cpu / pg.cpu, 1)}×`,
      `${fmt(ours.cpu / floor.cpu, 1)}×`,
    ]);
  }
  return `## HTTP throughput: our API vs PostGraphile vs a bare pg handler

Two reads, each served by three servers on the same PostgreSQL database under the same RLS
(\`training_app\`, \`app.tenant_id/user_id/role\` set per transaction from the same verified HS256 JWT):

- **courses** — ${QUERY_LABEL.courses}: \`trainingCourses(first: 50) { totalCount nodes { id title category riskThreshold } }\`.
- **assignments** — ${QUERY_LABEL.assignments}: \`userTrainingAssignments(userId, first: 50) { nodes { id status dueDate course { id title category } completion { score passed completedAt expiresAt } } }\`.

Targets: **our API** (\`node --import tsx src/main.ts\`, NODE_ENV=production, LOG_LEVEL=warn, scheduler timers and the e-mail deliverer off, pool 10);
**PostGraphile v4** (library, \`pgSettings\` from the JWT claims, pool 10; the equivalent query uses
\`${names.courses}(condition: {tenantId}, orderBy: [CREATED_AT_DESC, ID_ASC])\`, \`${names.assignments}(condition: {tenantId, userId})\`,
\`${names.assignmentCourse}\`, \`${names.assignmentCompletions}(first: 1, orderBy: COMPLETED_AT_DESC)\` and a computed column
\`${names.effectiveStatus}\` (a one-line SQL function added to the bench database only) so it returns the same on-read overdue status
as ours — names found by introspection; in its process every \`require('graphql')\` is pinned to PostGraphile's own graphql 15,
because this install hoists our graphql 16 where PostGraphile's helper \`graphql-parse-resolve-info\` finds it); **floor**: a bare Node \`http\` + \`pg\` handler that verifies the same JWT, runs
BEGIN, the same \`set_config\` calls, the equivalent hand-written SQL (list + count; one join with a lateral
latest-completion), COMMIT, and writes the JSON. Each server runs in **its own child process** so it does not share an
event loop with the load generator (autocannon, in the benchmark process); on this ${os.cpus().length}-core machine the
load generator, the server and PostgreSQL still compete for cores, which is why only ratios from the same run mean anything
(load average at start: ${fmt(input.loadAverage, 1)}).

Data: one throwaway database, migrated by our runner and seeded set-based as the owner in ${fmt(input.seedSeconds, 1)} s —
3 tenants × 200 courses, ${counts.profiles.toLocaleString('en-US')} profiles, ${counts.assignments.toLocaleString('en-US')} assignments,
${counts.completions.toLocaleString('en-US')} completions (the benchmark worker has 50 assignments), then VACUUM ANALYZE.
Before any load each target's sample response was checked: no \`errors\`, 50 nodes (totalCount 200), and the same ids and
statuses in the same order on all three. Under load every response body must equal that verified sample byte for byte,
otherwise it counts as an error (as do connection errors, timeouts and non-2xx).

Method: ${WARMUP_SECONDS} s warm-up per target and query, then ${ROUNDS} rounds × 2 queries × ${TARGETS.length} targets × ${SECONDS} s,
${CONNECTIONS} connections, the target order rotated every round (${fmt(input.measuredSeconds / 60, 1)} min measured).
Reported: the median over rounds of req/s (each round's value listed) and of the p50/p97.5/p99 latency; errors summed over all
rounds; server CPU = user+system CPU time of the server process per request (from /proc/<pid>/stat; excludes PostgreSQL and
the load generator) — the figure least disturbed by other work on the machine; transactions/request = database transactions
(pg_stat_database) per request, measured before the timed runs over ${PROBE_REQUESTS} sequential requests per target and query
(our API's listener heartbeat adds ≈ 0.01); load = the machine's 1-minute load average after each run (median).

${table(
  [
    'query: target',
    'req/s (median)',
    'req/s per round',
    'p50 ms',
    'p97.5 ms',
    'p99 ms',
    'errors / requests',
    'server CPU ms/req',
    'transactions/req',
    'load',
  ],
  rows,
)}

Ratios (median req/s; server CPU per request):

${table(
  [
    'query',
    'req/s ours / PostGraphile',
    'req/s ours / floor',
    'req/s PostGraphile / floor',
    'CPU/req ours / PostGraphile',
    'CPU/req ours / floor',
  ],
  ratios,
)}

${TARGETS.includes('telemetry') ? overheadReport(QUERIES, (target, query) => summary(target, query as QueryName), input.exported) : ''}

${readFileSync(new URL('./levers.md', import.meta.url), 'utf8').trim()}
`;
}
