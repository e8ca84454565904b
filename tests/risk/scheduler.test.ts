import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runAsCaller } from '../../src/core/caller/index.js';
import { openDatabase, type Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { startApp } from '../../src/app.js';
import { runScheduledJob, startScheduler, type JobRunner, type ScheduledJob } from '../../src/core/jobs.js';
import { schema } from '../../src/schema.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { expectSqlError, owner, uuid } from '../support/sql.js';
import { seedScenario } from './scenario.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { assignmentSettings } from '../../src/assignments/settings.js';
import { modules } from '../../src/modules.js';
import { riskSettings } from '../../src/risk/settings.js';

/**
 * Scheduled auto-assignment and overdue sweep: configuration, the
 * cross-tenant enumeration and its limits, "once per slot however many
 * instances", and the timers started by the server.
 */

const logger = createLogger('silent');
const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) };

describe('scheduler configuration', () => {
  const crons = (env: Record<string, string>) => ({
    ...riskSettings.of(loadConfig(env)),
    ...assignmentSettings.of(loadConfig(env)),
  });

  it('is off under NODE_ENV=test, hourly otherwise, and off when set empty', () => {
    expect(crons(base)).toMatchObject({ autoAssignCron: undefined, overdueSweepCron: undefined });
    expect(crons({ ...base, NODE_ENV: 'development' })).toMatchObject({
      autoAssignCron: '0 * * * *',
      overdueSweepCron: '5 * * * *',
    });
    expect(crons({ ...base, NODE_ENV: 'production', AUTO_ASSIGN_CRON: '', OVERDUE_SWEEP_CRON: ' ' })).toMatchObject({
      autoAssignCron: undefined,
      overdueSweepCron: undefined,
    });
    expect(crons({ ...base, AUTO_ASSIGN_CRON: '*/10 * * * *' }).autoAssignCron).toBe('*/10 * * * *');
  });

  it('refuses an invalid cron expression at start-up', () => {
    expect(() => loadConfig({ ...base, AUTO_ASSIGN_CRON: 'every hour' })).toThrow(/AUTO_ASSIGN_CRON/);
    expect(() => loadConfig({ ...base, OVERDUE_SWEEP_CRON: '61 * * * *' })).toThrow(/OVERDUE_SWEEP_CRON/);
  });

  it('reads AUTO_ASSIGN_ON_SCORES (default on)', () => {
    expect(riskSettings.of(loadConfig(base)).autoAssignOnScores).toBe(true);
    expect(riskSettings.of(loadConfig({ ...base, AUTO_ASSIGN_ON_SCORES: 'false' })).autoAssignOnScores).toBe(false);
  });

  it('starts no timer when no job is configured', () => {
    const jobs = modules.flatMap((module) => module.jobs ?? []);
    expect(jobs.length).toBeGreaterThan(0);
    expect(startScheduler({ prisma: undefined as never, config: loadConfig(base), logger }, jobs)).toBeUndefined();
  });

  it('refuses a job name scheduled_job_runs would not take, and a name scheduled twice', () => {
    const job = jobNamed('auto_assign');
    const config = loadConfig({ ...base, AUTO_ASSIGN_CRON: '0 * * * *' });
    expect(() => startScheduler({ prisma: undefined as never, config, logger }, [job, job])).toThrow(/auto_assign/);
    expect(() =>
      startScheduler({ prisma: undefined as never, config, logger }, [{ ...job, name: 'Auto Assign' }]),
    ).toThrow(/Auto Assign/);
  });
});

describe('scheduled jobs on one database', () => {
  let db: TestDatabase;
  let sql: ReturnType<typeof owner>;
  /** A second "API instance": its own connection pool on PostgreSQL (PGlite has one session). */
  let secondDb: Database;
  const tenants = { risky: uuid(), riskyToo: uuid(), manualOnly: uuid(), noThreshold: uuid(), overdue: uuid() };

  beforeAll(async () => {
    db = await freshDatabase();
    sql = owner(db);
    secondDb = db.url ? await openDatabase({ url: db.url, poolMax: 5 }) : db;
    await seedScenario(db, tenants.manualOnly).then((scenario) => (tenants.risky = scenario.tenantId));
    await seedScenario(db, tenants.manualOnly).then((scenario) => (tenants.riskyToo = scenario.tenantId));
    const admin = uuid();
    for (const [tenant, fields] of [
      [tenants.manualOnly, { auto_assign_enabled: false, risk_threshold: 10, entity_type: 'general' }],
      [tenants.noThreshold, { auto_assign_enabled: true, risk_threshold: null, entity_type: 'general' }],
    ] as const) {
      await sql.insert('training_courses', {
        tenant_id: tenant,
        title: 'Course',
        category: 'compliance',
        created_by: admin,
        ...fields,
      });
    }
    // The overdue tenant: one assignment due yesterday (stored as assigned), one completed long ago.
    const course = await sql.insert('training_courses', {
      tenant_id: tenants.overdue,
      title: 'Course',
      category: 'compliance',
      created_by: admin,
    });
    await sql.insert('profiles', { id: admin, tenant_id: tenants.overdue, role: 'worker' });
    for (const status of ['assigned', 'completed']) {
      await sql.insert('training_assignments', {
        tenant_id: tenants.overdue,
        course_id: course.id,
        user_id: admin,
        status,
        due_date: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      });
    }
  });
  afterAll(async () => {
    if (secondDb !== db) await secondDb.close();
    await db.drop();
  });

  const runner = (name: string, database: Database = db): JobRunner => jobRunner(database.prisma, name);

  it('scheduled_job_tenants lists only the tenants a job must visit, and nothing else about them', async () => {
    const asWorker = { tenantId: tenants.manualOnly, userId: uuid(), role: 'worker' as const };
    const list = (job: string) =>
      runAsCaller(db.prisma, asWorker, (tx) =>
        tx.$queryRawUnsafe<{ t: string }[]>('SELECT t FROM scheduled_job_tenants($1) AS t ORDER BY t', job),
      ).then((rows) => rows.map((row) => row.t));
    expect(await list('auto_assign')).toEqual([tenants.risky, tenants.riskyToo].sort());
    expect(await list('overdue_sweep')).toEqual([tenants.overdue]);
    // A job no migration knows visits every tenant with a profile, so a module adds a job without a migration.
    const withProfiles = await sql.query<{ tenant_id: string }>(
      'SELECT DISTINCT tenant_id FROM profiles ORDER BY tenant_id',
    );
    expect(withProfiles.length).toBeGreaterThan(0);
    expect(await list('a_new_module_job')).toEqual(withProfiles.map((row) => row.tenant_id));
  });

  it("a module's new job runs once per tenant and slot across instances, in the tenant's own transaction", async () => {
    const seen: string[] = [];
    const job: ScheduledJob = {
      name: 'a_new_module_job',
      schedule: () => undefined,
      async run(tx, tenantId) {
        const [row] = await tx.$queryRaw<{ tenant: string }[]>`SELECT current_setting('app.tenant_id') AS tenant`;
        seen.push(row!.tenant);
        expect(row!.tenant).toBe(tenantId);
        return 1;
      },
    };
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 7_000);
    const [a, b] = await Promise.all([
      runScheduledJob(runner('instance-a'), job, slot),
      runScheduledJob(runner('instance-b', secondDb), job, slot),
    ]);
    const withProfiles = await sql.query<{ tenant_id: string }>(
      'SELECT DISTINCT tenant_id FROM profiles ORDER BY tenant_id',
    );
    expect(a.failed + b.failed).toBe(0);
    expect(a.ran + b.ran).toBe(withProfiles.length);
    expect(seen.sort()).toEqual(withProfiles.map((row) => row.tenant_id));
    const [runs] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM scheduled_job_runs WHERE job = 'a_new_module_job' AND affected = 1`,
    );
    expect(runs!.n).toBe(withProfiles.length);
  });

  it('its owner role can read no course or assignment column beyond what the function needs', async () => {
    // Each probe names a tenant, as the API's statements do: on Citus one that spans shards is refused first.
    const tenant = `tenant_id = '${uuid()}'`;
    for (const query of [
      `SELECT title FROM training_courses WHERE ${tenant}`,
      `SELECT user_id FROM training_assignments WHERE ${tenant}`,
      `SELECT id FROM profiles WHERE ${tenant}`,
    ]) {
      await expectSqlError(
        db.prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe(`SET LOCAL ROLE training_scheduler`);
          return tx.$queryRawUnsafe(query);
        }),
        { code: '42501' },
      );
    }
  });

  it('two instances racing for the same slot run each tenant once', async () => {
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const [a, b] = await Promise.all([
      runScheduledJob(runner('instance-a'), jobNamed('auto_assign'), slot),
      runScheduledJob(runner('instance-b', secondDb), jobNamed('auto_assign'), slot),
    ]);
    expect(a.failed + b.failed).toBe(0);
    expect(a.ran + b.ran).toBe(2);
    expect(a.skipped + b.skipped).toBe(2);
    const runs = await sql.query<{ tenant_id: string; instance: string; affected: number; finished: boolean }>(
      `SELECT tenant_id, instance, affected, finished_at IS NOT NULL AS finished FROM scheduled_job_runs
       WHERE job = 'auto_assign' AND slot = $1 ORDER BY tenant_id`,
      [slot],
    );
    expect(runs.map((run) => [run.tenant_id, run.affected, run.finished])).toEqual(
      [tenants.risky, tenants.riskyToo].sort().map((tenant) => [tenant, 12, true]),
    );
    expect(runs.every((run) => ['instance-a', 'instance-b'].includes(run.instance))).toBe(true);
    expect(a.affected + b.affected).toBe(24);
    const [assigned] = await sql.query<{ n: number; by_system: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE assigned_by IS NULL)::int AS by_system
       FROM training_assignments WHERE assignment_type = 'risk_based'`,
    );
    expect(assigned).toEqual({ n: 24, by_system: 24 });

    // The same slot again (a late timer, a third instance): nothing runs.
    const late = await runScheduledJob(runner('instance-c'), jobNamed('auto_assign'), slot);
    expect(late).toMatchObject({ ran: 0, skipped: 2, affected: 0 });
    // The next slot runs again, and finds nothing new to assign.
    const next = await runScheduledJob(
      runner('instance-a'),
      jobNamed('auto_assign'),
      new Date(slot.getTime() + 60_000),
    );
    expect(next).toMatchObject({ ran: 2, skipped: 0, affected: 0 });
  });

  it('the overdue sweep stores OVERDUE on active assignments past due, once per slot', async () => {
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const [a, b] = await Promise.all([
      runScheduledJob(runner('instance-a'), jobNamed('overdue_sweep'), slot),
      runScheduledJob(runner('instance-b', secondDb), jobNamed('overdue_sweep'), slot),
    ]);
    expect(a.ran + b.ran).toBe(1);
    expect(a.affected + b.affected).toBe(1);
    const statuses = await sql.query<{ status: string }>(
      'SELECT status FROM training_assignments WHERE tenant_id = $1 ORDER BY status',
      [tenants.overdue],
    );
    expect(statuses.map((row) => row.status)).toEqual(['completed', 'overdue']);
    // Nothing is due any more: the next slot visits no tenant.
    expect(
      await runScheduledJob(runner('instance-a'), jobNamed('overdue_sweep'), new Date(slot.getTime() + 60_000)),
    ).toMatchObject({
      ran: 0,
      skipped: 0,
    });
  });
});

describe('scheduler started by the server', () => {
  it('runs auto-assignment on the configured cron, then stops with the server', async () => {
    // Seeded before the server starts, so no tick sees half a scenario.
    const db = await freshDatabase();
    const scenario = await seedScenario(db, uuid());
    const config = loadConfig({ ...base, PORT: '0', LOG_LEVEL: 'silent', AUTO_ASSIGN_CRON: '* * * * * *' });
    const app = await startApp({ config, logger, schema, db, host: '127.0.0.1' });
    try {
      const sql = owner(db);
      const deadline = Date.now() + 20_000;
      while ((await sql.count('training_assignments', "assignment_type = 'risk_based'")) < scenario.expected.length) {
        if (Date.now() > deadline) throw new Error('the scheduled run did not happen');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const runs = await sql.query<{ slot: Date; affected: number }>(
        `SELECT slot, affected FROM scheduled_job_runs WHERE tenant_id = $1 ORDER BY slot`,
        [scenario.tenantId],
      );
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) expect(run.slot.getUTCMilliseconds()).toBe(0);
      expect(runs.reduce((sum, run) => sum + run.affected, 0)).toBe(scenario.expected.length);
    } finally {
      await app.stop();
      await db.drop().catch(() => {});
    }
  }, 120_000); // a server with its own migrated database
});
