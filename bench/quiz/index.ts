import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { SaveQuizAnswerDocument } from '../../src/generated/operations/graphql.js';
import { benchServerUrl } from '../../tests/support/database.js';
import { fmt, median, percentile, table } from '../../tests/support/report.js';
import { startTestServer, type TestServer } from '../../tests/support/server.js';
import type { Benchmark } from '../suite.js';
import { runClients, type LoadRun, type Target } from './clients.js';
import { regradeBench, type RegradeFigures } from './regrade.js';
import { answersOf, PASS_MARK, QUESTIONS, seedQuiz, type QuizData } from './seed.js';

/**
 * Quizzes under load: WORKERS workers save the answers of a QUESTIONS-question quiz at once through the API
 * (saveQuizAnswer over HTTP), next to the floor, the same rows upserted straight into the same answers table
 * through `pg`; then regrading ATTEMPTS submitted attempts after a key is fixed.
 */

const WORKERS = Number(process.env.QUIZ_WORKERS ?? 1_000);
const ATTEMPTS = Number(process.env.QUIZ_ATTEMPTS ?? 10_000);
const ROUNDS = Number(process.env.QUIZ_ROUNDS ?? 3);
/** Paced runs: each worker saves an answer every PACE_MS (20 questions in a little over 3 minutes). */
const PACE_MS = Number(process.env.QUIZ_PACE_MS ?? 10_000);
/**
 * Saves in flight in the closed loop: enough to keep the API's pool busy, few enough that none waits for a
 * connection longer than the API's acquire timeout (5 s), which would answer it with an error.
 */
const CONCURRENCY = Number(process.env.QUIZ_CONCURRENCY ?? 50);
/** The API's pool on PostgreSQL (tests/support/database.ts), and so the floor's. */
const POOL_MAX = 20;
const SEED = 20261207;
/** No scheduled job may fire mid-measurement (their timers run in the API's process). */
const QUIET = Object.fromEntries(
  [
    'QUIZ_DEADLINES',
    'AUTO_ASSIGN',
    'OVERDUE_SWEEP',
    'RISK_ESCALATION',
    'REMINDERS',
    'RECERTIFICATION',
    'QUALIFICATION_EXPIRY',
  ].map((job) => [`${job}_CRON`, '']),
);

/** CPU time (ms) of this process's main thread: the API's (the clients run in a worker thread). */
function apiThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The API's own upsert (src/quizzes/answer.ts), as the floor sends it. */
const UPSERT = `
  INSERT INTO quiz_answers (tenant_id, attempt_id, question_id, choice_ids, number, text, matches, ordering)
  VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid[], $5::float8, $6, $7::jsonb, $8::uuid[])
  ON CONFLICT (tenant_id, attempt_id, question_id) DO UPDATE
  SET choice_ids = EXCLUDED.choice_ids, number = EXCLUDED.number, text = EXCLUDED.text,
      matches = EXCLUDED.matches, ordering = EXCLUDED.ordering,
      revision = quiz_answers.revision + 1, saved_at = now()
  WHERE (quiz_answers.choice_ids, quiz_answers.number, quiz_answers.text, quiz_answers.matches, quiz_answers.ordering)
        IS DISTINCT FROM (EXCLUDED.choice_ids, EXCLUDED.number, EXCLUDED.text, EXCLUDED.matches, EXCLUDED.ordering)`;

/** One worker's saves: the API requests, and the rows they store (read back after the first run). */
interface WorkerSaves {
  token: string;
  userId: string;
  bodies: string[];
  rows: (string | null)[][];
}

function workerSaves(data: QuizData): WorkerSaves[] {
  const save = print(SaveQuizAnswerDocument);
  const answers = answersOf(data, SEED);
  return data.takers.slice(0, WORKERS).map((taker) => ({
    token: taker.token,
    userId: taker.userId,
    rows: [],
    bodies: taker.questions.map((shown, index) =>
      JSON.stringify({
        query: save,
        variables: { attemptId: taker.attemptId, questionId: shown.id, answer: answers.get(taker.attemptId)![index] },
      }),
    ),
  }));
}

/** The rows the API stored, per worker in the order the questions were answered. */
async function readRows(server: TestServer, data: QuizData, workers: WorkerSaves[]): Promise<void> {
  const rows = await server.owner.query<{ user_id: string; row: (string | null)[] }>(
    `SELECT a.user_id::text,
            ARRAY[an.tenant_id::text, an.attempt_id::text, an.question_id::text, an.choice_ids::text, an.number::text,
                  an.text, an.matches::text, an.ordering::text] AS row
     FROM quiz_answers an JOIN quiz_attempts a ON a.id = an.attempt_id
     JOIN quiz_attempt_questions q ON q.attempt_id = an.attempt_id AND q.question_id = an.question_id
     ORDER BY an.attempt_id, q.position`,
  );
  const byUser = new Map(workers.map((worker) => [worker.userId, worker]));
  for (const { user_id, row } of rows) byUser.get(user_id)!.rows.push(row);
  if (workers.some((worker) => worker.rows.length !== QUESTIONS)) throw new Error('the API did not store every save');
}

/**
 * `clients` clients, each taking its share of the workers' saves question by question (closed loop), or one client
 * per worker (paced): the API's requests, or the floor's rows (bare, or each in the worker's RLS transaction).
 */
function targets(server: TestServer, data: QuizData, workers: WorkerSaves[], clients: number) {
  const shares = Array.from({ length: clients }, (_, n) => workers.filter((_, w) => w % clients === n));
  const interleaved = <T>(share: WorkerSaves[], pick: (worker: WorkerSaves, question: number) => T) =>
    Array.from({ length: QUESTIONS }, (_, question) => share.map((worker) => pick(worker, question))).flat();
  const api: Target = {
    kind: 'http',
    url: server.url,
    answer: '"saveQuizAnswer":true',
    clients: shares.map((share) => ({
      token: share[0]!.token,
      tokens: interleaved(share, (worker) => worker.token),
      bodies: interleaved(share, (worker, question) => worker.bodies[question]!),
    })),
  };
  const bare: Target = {
    kind: 'pg',
    url: server.db.url!,
    poolMax: POOL_MAX,
    sql: UPSERT,
    clients: shares.map((share) => ({
      rows: interleaved(share, (worker, question) => worker.rows[question]!),
      userIds: interleaved(share, (worker) => worker.userId),
    })),
  };
  return { api, bare, rls: { ...bare, asWorker: { tenantId: data.officer.tenantId } } };
}

/** Empties the answers table (and tidies what the saves left behind) so every run inserts the same rows anew. */
async function reset(server: TestServer) {
  await server.owner.query('TRUNCATE quiz_answers');
  await server.owner.query('VACUUM ANALYZE quiz_answers, quiz_attempts');
}

interface Measured extends LoadRun {
  /** The API's main thread's CPU time per save. */
  cpuMsPerSave: number;
}

async function measured(server: TestServer, target: Target, paceMs = 0): Promise<Measured> {
  await reset(server);
  const cpuBefore = apiThreadCpuMs();
  const run = { ...(await runClients(target, paceMs)), cpuMsPerSave: 0 };
  run.cpuMsPerSave = (apiThreadCpuMs() - cpuBefore) / run.latencies.length;
  if (run.failures > 0) console.error(`${run.failures} of ${run.latencies.length} failed: ${run.firstFailure}`);
  if (run.latencies.length !== WORKERS * QUESTIONS) throw new Error(`${run.latencies.length} saves measured`);
  return run;
}

const perSecond = (run: Measured) => (run.latencies.length * 1000) / run.wallMs;

function row(label: string, runs: Measured[]): (string | number)[] {
  return [
    label,
    fmt(median(runs.map(perSecond)), 0),
    runs.map((run) => fmt(perSecond(run), 0)).join(' / '),
    fmt(median(runs.map((run) => percentile(run.latencies, 50))), 1),
    fmt(median(runs.map((run) => percentile(run.latencies, 99))), 1),
    fmt(median(runs.map((run) => run.cpuMsPerSave)), 2),
    runs.reduce((sum, run) => sum + run.unavailable, 0),
    runs.reduce((sum, run) => sum + run.retries, 0),
    runs.reduce((sum, run) => sum + run.failures, 0),
  ];
}

export const quiz: Benchmark = {
  name: 'quiz',
  async run() {
    const server = await startTestServer({ LOG_LEVEL: 'warn', ...QUIET }, { serverUrl: benchServerUrl });
    try {
      const seeding = performance.now();
      const data = await seedQuiz(server, Math.max(WORKERS, ATTEMPTS));
      const seedSeconds = (performance.now() - seeding) / 1000;
      const workers = workerSaves(data);
      await measured(server, targets(server, data, workers, CONCURRENCY).api); // warm-up; the rows the floors upsert
      await readRows(server, data, workers);
      const runs: Record<'api' | 'bare' | 'rls', Measured[]> = { api: [], bare: [], rls: [] };
      const measuredTargets = targets(server, data, workers, CONCURRENCY);
      for (let round = 0; round < ROUNDS; round++) {
        // The order turns every round, so that drift weighs on all alike.
        const order = (['api', 'bare', 'rls'] as const).map((_, n, all) => all[(n + round) % all.length]!);
        for (const name of order) runs[name].push(await measured(server, measuredTargets[name]));
      }
      const paced = targets(server, data, workers, WORKERS);
      const pacedFloor = await measured(server, paced.bare, PACE_MS);
      const pacedApi = await measured(server, paced.api, PACE_MS);
      const regrade = await regradeBench(server, data);
      return report({ seedSeconds, runs, pacedApi, pacedFloor, regrade });
    } finally {
      await server.stop();
    }
  },
};

function report(figures: {
  seedSeconds: number;
  runs: Record<'api' | 'bare' | 'rls', Measured[]>;
  pacedApi: Measured;
  pacedFloor: Measured;
  regrade: RegradeFigures;
}): string {
  const { runs, pacedApi, pacedFloor, regrade } = figures;
  const offered = (WORKERS * 1000) / PACE_MS;
  const rate = (name: keyof typeof runs) => median(runs[name].map(perSecond));
  const p99 = (list: Measured[]) => median(list.map((run) => percentile(run.latencies, 99)));
  return `## Quizzes: answer saves under load, regrading

**Saves.** ${fmt(WORKERS, 0)} workers take a ${QUESTIONS}-question quiz (every kind of question) at once, each with an
attempt in progress, and save their ${QUESTIONS} answers. **API**: \`saveQuizAnswer\` over HTTP (keep-alive) to the API
in this process (PostgreSQL pool ${POOL_MAX}; no scheduled job), each answer checked to be \`true\`: a transaction as the
worker (\`BEGIN\`, the caller's settings, one statement that locks the open attempt and reads the question as shown,
the upsert, \`COMMIT\`). **Floor**: the same ${fmt(WORKERS * QUESTIONS, 0)} rows (read back from the API's first run)
sent as the API's own \`INSERT … ON CONFLICT DO UPDATE\` straight to PostgreSQL through a \`pg\` pool of ${POOL_MAX}:
**bare**, one statement per row as the owner (no RLS, no transaction); and **under RLS**, each row in its worker's own
transaction (\`BEGIN\`, the same settings, the upsert, \`COMMIT\` as one script, one round trip): the least a bare
handler of the API would do. **Closed loop** (throughput): ${CONCURRENCY} clients, each taking the saves of
${fmt(WORKERS / CONCURRENCY, 0)} workers question by question and sending the next when the last is answered (saves/s =
all saves ÷ the run's wall time); ${ROUNDS} rounds, the order turning every round, medians. More in flight only queues:
with ${fmt(WORKERS, 0)} saves in flight at once, those waiting over 5 s for one of the pool's connections are refused
(Prisma's "Unable to start a transaction in the given time"). **Paced** (latency): each of the ${fmt(WORKERS, 0)}
workers on its own connection saves one answer every ${fmt(PACE_MS / 1000, 0)} s (${fmt(offered, 0)} saves/s offered,
open loop, latency from when the save was due). Clients run in a worker thread at lower priority; the answers table
is emptied before every run, so each run inserts the same rows. API thread CPU: this process's main thread (the
API's; the clients have their own) per save. PostgreSQL server; the 2-core machine is shared by the API, PostgreSQL,
the clients and whatever else runs on it.

${table(
  [
    'run',
    'saves/s (median)',
    'saves/s per round',
    'p50 ms',
    'p99 ms',
    'API thread CPU ms/save',
    '503, resent¹',
    'connection lost, resent²',
    'failed',
  ],
  [
    row('API, closed loop', runs.api),
    row('floor: bare upsert, closed loop', runs.bare),
    row('floor: upsert under RLS in a transaction, closed loop', runs.rls),
    row(`API, paced (${fmt(offered, 0)}/s offered)`, [pacedApi]),
    row(`floor: bare upsert, paced (${fmt(offered, 0)}/s offered)`, [pacedFloor]),
  ],
)}

¹ Saves the API answered with 503 ("temporarily unavailable; retry shortly": no pool connection within 5 s), sent
again after 250 ms × the attempt, as a client does; their latency counts from the first send. ² Saves sent again
because their kept-alive connection closed before any answer. Both summed over the rounds; failed: still not saved
after 5 resends.

API ÷ bare upsert: **${fmt(rate('api') / rate('bare'), 2)}×** (goal ≥ 0.5×); API ÷ the upsert under RLS in a
transaction: ${fmt(rate('api') / rate('rls'), 2)}×. API p99: **${fmt(percentile(pacedApi.latencies, 99), 1)} ms** paced,
${fmt(p99(runs.api), 1)} ms in the closed loop, where ${CONCURRENCY} saves always wait in line (goal < 100 ms).

**Regrading.** ${fmt(regrade.attempts, 0)} attempts of the course, all answered (the ${fmt(WORKERS, 0)} above; the others
copy their answers) and submitted through the API in ${fmt(regrade.submitSeconds, 1)} s (${fmt(regrade.passedBefore, 0)}
passed at pass mark ${PASS_MARK} %: quiz evidence, completions and certificates recorded). Three SINGLE_CHOICE keys are
then fixed (\`updateQuestion\`: the right and the half-right choice swap) and \`regradeQuiz\` is timed over HTTP.

${table(
  ['regradeQuiz', 'seconds', 'attempts regraded', 'changed', 'passes lost', 'passes gained'],
  [
    [
      'after the key fix',
      fmt(regrade.fixed.seconds, 2),
      fmt(regrade.fixed.regraded, 0),
      fmt(regrade.fixed.changed, 0),
      fmt(regrade.fixed.lost, 0),
      fmt(regrade.fixed.gained, 0),
    ],
    [
      'again, nothing to change',
      fmt(regrade.unchanged.seconds, 2),
      fmt(regrade.unchanged.regraded, 0),
      fmt(regrade.unchanged.changed, 0),
      '0',
      '0',
    ],
  ],
)}

Goal: < 10 s for ${fmt(regrade.attempts, 0)} attempts. Seeding (bank and course through the API, profiles and
assignments set-based, each attempt drawn by \`quiz_start_attempt\` as its worker) took ${fmt(figures.seedSeconds, 0)} s.`;
}
