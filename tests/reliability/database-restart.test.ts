import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  MeDocument,
  TrainingCoursesDocument,
} from '../../src/generated/operations/graphql.js';
import { schema } from '../../src/schema.js';
import { dayFromToday, TEST_JWT_SECRET } from '../support/server.js';
import { eventually, sleep } from '../support/wait.js';
import { createCluster, findPostgresBin, type Cluster } from './cluster.js';
import { memoryLogger, probe, timedRequest, tokenFor, watchProcess, type Outcome, type TokenActor } from './support.js';

/**
 * The database server goes away under load and comes back (health and
 * readiness; production expectations). The test runs its own PostgreSQL cluster
 * (it never touches TEST_DATABASE_URL's server), so it runs the same on the
 * PGlite and the PostgreSQL runs of the suite.
 *
 * Three outages: a clean shutdown (pg_ctl stop -m fast), a crash (-m immediate,
 * crash recovery on start) and a hung server (every process SIGSTOPped: TCP still
 * accepts, nothing answers). While the database is down every request must fail
 * fast and cleanly (a masked INTERNAL_SERVER_ERROR, no SQL or driver detail, no
 * hang), /readyz says 503 and /healthz 200; once it is back the same API process
 * serves again within seconds, and the process never sees an unhandled error.
 */

const postgres = findPostgresBin();
const skipReason = 'reason' in postgres ? postgres.reason : undefined;
if (skipReason) console.warn(`tests/reliability/database-restart: skipped, ${skipReason}`);

/** What a client may see while the database is down. */
const OUTAGE_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);
/** Words that would mean driver or SQL detail leaked into a response. */
const LEAK =
  /select|insert|update |from "|relation|postgres|prisma|econnrefused|socket|terminat|shutting down|connection|sqlstate|p10\d\d|\bat \w+ \(/i;
/** No request may take longer than this, database or not. */
const REQUEST_TIMEOUT_MS = 8_000;
/** Once PostgreSQL accepts connections again, every operation must succeed within this. */
const RECOVERY_MS = 5_000;
const CLIENTS = 4;
const OPERATIONS = ['me', 'createTrainingCourse', 'trainingCourses', 'assignTrainingCourse'];

describe.skipIf(skipReason !== undefined)('PostgreSQL restarting under load', () => {
  let cluster: Cluster;
  let app: App;
  let base: string;
  const watch = watchProcess();
  const { logger, lines } = memoryLogger('warn');
  const admins: TokenActor[] = [];
  const courses = new Map<string, string>();

  beforeAll(async () => {
    cluster = await createCluster('bin' in postgres ? postgres.bin : '');
    await cluster.query('CREATE DATABASE training');
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
      DATABASE_URL: cluster.url('training'),
      DB_POOL_MAX: '8',
    });
    // The API opens its own pool from DATABASE_URL, exactly as `npm start` does.
    app = await startApp({
      config,
      logger,
      schema,
      host: '127.0.0.1',
      liveEvents: { heartbeatMs: 1_000, reconnectMinMs: 100, reconnectMaxMs: 1_000 },
    });
    base = app.url.replace(/\/graphql$/, '');
    for (let index = 0; index < CLIENTS; index++) {
      const admin = await tokenFor('admin');
      admins.push(admin);
      const created = await timedRequest(
        app.url,
        'createTrainingCourse',
        CreateTrainingCourseDocument,
        {
          input: { title: `Course ${index}`, category: 'SAFETY_FUNDAMENTALS' },
        },
        admin.token,
      );
      expect(created.errors).toBeUndefined();
      courses.set(admin.tenantId, created.data!.createTrainingCourse.id);
    }
  }, 90_000);

  afterAll(async () => {
    try {
      // A failed frozen-database test must not leave the server stopped: app.stop() would wait on it.
      cluster?.thaw();
      await Promise.race([app?.stop(), sleep(20_000)]);
    } finally {
      watch.dispose();
      await cluster?.destroy();
    }
  }, 60_000);

  /** Each client: a new worker signs in (profile write), a course is created, listed and assigned. */
  function startLoad() {
    const outcomes: Outcome[] = [];
    let running = true;
    const loop = async (admin: TokenActor) => {
      const courseId = courses.get(admin.tenantId)!;
      for (let round = 0; running; round++) {
        const worker = await tokenFor('worker', admin.tenantId);
        const me = await timedRequest(app.url, 'me', MeDocument, undefined, worker.token, REQUEST_TIMEOUT_MS);
        outcomes.push(me);
        outcomes.push(
          await timedRequest(
            app.url,
            'createTrainingCourse',
            CreateTrainingCourseDocument,
            {
              input: { title: `Load ${round}`, category: 'COMPLIANCE', durationMinutes: 30 },
            },
            admin.token,
            REQUEST_TIMEOUT_MS,
          ),
        );
        outcomes.push(
          await timedRequest(
            app.url,
            'trainingCourses',
            TrainingCoursesDocument,
            { first: 20 },
            admin.token,
            REQUEST_TIMEOUT_MS,
          ),
        );
        if (me.kind === 'ok') {
          outcomes.push(
            await timedRequest(
              app.url,
              'assignTrainingCourse',
              AssignTrainingCourseDocument,
              {
                input: { courseId, userId: worker.userId, dueDate: dayFromToday(30), assignmentReason: 'load' },
              },
              admin.token,
              REQUEST_TIMEOUT_MS,
            ),
          );
        }
        await sleep(5);
      }
    };
    const done = Promise.all(admins.map(loop));
    return {
      outcomes,
      /** Outcomes of requests that started at or after `since`. */
      since: (since: number) => outcomes.filter((outcome) => outcome.startedAt >= since),
      async stop() {
        running = false;
        await done;
      },
    };
  }

  /** Anything but an answered GraphQL error with an outage code and a message free of SQL or driver detail. */
  const isUnclean = (outcome: Outcome) =>
    outcome.kind !== 'error' ||
    !outcome.errors?.length ||
    !OUTAGE_CODES.has(outcome.errors[0]?.extensions?.code ?? '') ||
    outcome.errors.some((error) => !OUTAGE_CODES.has(error.extensions?.code ?? '')) ||
    LEAK.test(JSON.stringify(outcome.errors));

  const summary = (outcomes: Outcome[]) =>
    JSON.stringify(
      outcomes
        .slice(0, 5)
        .map(({ op, kind, status, errors, failure, ms }) => ({ op, kind, status, errors, failure, ms })),
    );
  const serverLog = () => `\nAPI log (warn+): ${JSON.stringify(lines().slice(-5)).slice(0, 3_000)}`;

  /** fast / immediate: pg_ctl stop (clean shutdown / crash); frozen: every server process SIGSTOPped (a hung host). */
  async function survives(mode: 'fast' | 'immediate' | 'frozen') {
    const load = startLoad();
    let downFrom = Infinity;
    try {
      // Healthy: everything succeeds.
      const healthyFrom = Date.now();
      await eventually(() => load.since(healthyFrom).length >= CLIENTS * 4, 15_000);
      const healthy = load.since(healthyFrom);
      expect(
        healthy.filter((outcome) => outcome.kind !== 'ok'),
        summary(healthy) + serverLog(),
      ).toEqual([]);

      // The database goes away while requests are running.
      if (mode === 'frozen') cluster.freeze();
      else await cluster.stop(mode);
      downFrom = Date.now();
      expect(await probe(`${base}/readyz`)).toBe(503);
      expect(await probe(`${base}/healthz`)).toBe(200);
      await eventually(() => load.since(downFrom).length >= CLIENTS * 4, 30_000);
      expect(await probe(`${base}/readyz`)).toBe(503);
      expect(await probe(`${base}/healthz`)).toBe(200);
      const down = load.since(downFrom);

      // Clean failures: an error with a known code and a masked message, quickly; no hang, no leak.
      const unclean = down.filter(isUnclean);
      expect(unclean, summary(unclean) + serverLog()).toEqual([]);
      expect(Math.max(...down.map((outcome) => outcome.ms)), summary(down)).toBeLessThan(REQUEST_TIMEOUT_MS);
      expect(down.every((outcome) => [200, 500, 503].includes(outcome.status!))).toBe(true);
      // A worker's first request cannot record their profile: HTTP 503 (retry later), not a 500.
      const newcomers = down.filter((outcome) => outcome.op === 'me');
      expect(newcomers.length).toBeGreaterThan(0);
      expect(
        newcomers.filter(
          (outcome) => outcome.status !== 503 || !/temporarily unavailable/.test(outcome.errors?.[0]?.message ?? ''),
        ),
        summary(newcomers),
      ).toEqual([]);

      // The database comes back; the same API process serves again without a restart.
      if (mode === 'frozen') cluster.thaw();
      else await cluster.start();
      const upAt = Date.now();
      // Recovered when every kind of request has succeeded again (each client tries each kind once a round).
      const firstSuccess = (op: string) =>
        load.since(upAt).find((outcome) => outcome.op === op && outcome.kind === 'ok');
      await eventually(
        () => OPERATIONS.every(firstSuccess),
        RECOVERY_MS + REQUEST_TIMEOUT_MS,
        () =>
          summary(
            load
              .since(upAt)
              .filter((outcome) => outcome.kind !== 'ok')
              .slice(-5),
          ) + serverLog(),
      );
      const recoveredAt = Math.max(...OPERATIONS.map((op) => firstSuccess(op)!.startedAt));
      expect(recoveredAt - upAt, 'ms from PostgreSQL accepting connections to every operation succeeding').toBeLessThan(
        RECOVERY_MS,
      );
      await eventually(async () => (await probe(`${base}/readyz`)) === 200, RECOVERY_MS);
      expect(await probe(`${base}/healthz`)).toBe(200);

      // From then on nothing fails: no dead pooled connection is handed out later.
      const steadyFrom = recoveredAt + 1;
      await eventually(() => load.since(steadyFrom).length >= CLIENTS * 6, 15_000);
      const steady = load.since(steadyFrom);
      expect(
        steady.filter((outcome) => outcome.kind !== 'ok'),
        summary(steady) + serverLog(),
      ).toEqual([]);

      // Live events resume too: the LISTEN session reconnects by itself.
      await eventually(
        () => app.services.liveEvents.stats().listening,
        10_000,
        () => 'LISTEN session not back',
      );
    } finally {
      if (mode === 'frozen') cluster.thaw();
      await load.stop();
    }
    // Requests caught in flight by the outage too: answered, and cleanly when they failed. Exception: a
    // statement already sent to a frozen server waits for it (nothing times out a query on a live TCP
    // connection); those answer once it thaws, so only they may outlast the client's timeout.
    const caughtMidQuery = (outcome: Outcome) =>
      mode === 'frozen' && outcome.kind === 'timeout' && outcome.startedAt < downFrom;
    const failed = load.outcomes.filter((outcome) => outcome.kind !== 'ok' && !caughtMidQuery(outcome));
    expect(failed.filter(isUnclean), summary(failed.filter(isUnclean))).toEqual([]);
    expect(load.outcomes.filter(caughtMidQuery).length).toBeLessThanOrEqual(CLIENTS);
    expect(watch.failures).toEqual([]);
  }

  it('fails requests cleanly during a fast shutdown and recovers without an API restart', async () => {
    await survives('fast');
  }, 45_000);

  it('does the same after a crash (immediate stop, recovery on start)', async () => {
    await survives('immediate');
  }, 45_000);

  it('does the same when the database stops answering (frozen host), with /readyz answering 503 meanwhile', async () => {
    await survives('frozen');
  }, 60_000);

  it('the API process never saw an unhandled rejection or uncaught exception', () => {
    expect(watch.failures).toEqual([]);
  });
});
