import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { PrismaClient } from '../generated/prisma/client.js';
import { runAsAppRole, runAsCaller, type Caller, type CallerTransaction } from './caller/index.js';
import type { Config } from './config.js';
import { RequestLog, type Logger } from './logger.js';
import type { Metrics } from './telemetry/metrics.js';

/**
 * Scheduled work per tenant, declared by the modules (`DomainModule.jobs`) and run here on cron expressions
 * from their settings (UTC).
 *
 * Every API instance runs the same timers; a run still happens once per (job, tenant, slot). The slot is the
 * scheduled instant, the same on every instance, and each tenant's run claims it by inserting into
 * scheduled_job_runs inside the transaction that does the work: a second instance's claim waits for the first
 * and then finds the slot taken; if the first failed, its claim rolled back with its work and the second does
 * the work instead.
 */
export interface ScheduledJob {
  /** Its name in scheduled_job_runs and the logs: lower case, digits and `_`. */
  name: string;
  /** Its cron expression (UTC) from the module's settings; undefined: not scheduled. */
  schedule(config: Config): string | undefined;
  /** One tenant's work, in the transaction that claims the slot, as the `service` role; returns rows touched. */
  run(tx: CallerTransaction, tenantId: string, config: Config): Promise<number>;
  /** Longest the tenant's transaction may take (default `DEFAULT_JOB_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/** Bulk work gets longer than a request's five seconds. */
const DEFAULT_JOB_TIMEOUT_MS = 120_000;

/** How long run history is kept. */
const HISTORY_DAYS = 30;

/** No user is behind a scheduled run; app.user_id still needs a UUID. */
const SCHEDULER_USER_ID = '00000000-0000-0000-0000-000000000000';

export interface JobRunSummary {
  job: string;
  slot: Date;
  /** Tenants this instance ran the job for (the others were claimed elsewhere, or failed: see logs). */
  ran: number;
  skipped: number;
  failed: number;
  /** Rows created or changed by this instance, as the job counts them. */
  affected: number;
}

export interface JobRunner {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  /** Names this instance in scheduled_job_runs. */
  instance?: string;
  /** Runs, durations and failures per job, when metrics are on. */
  metrics?: Metrics;
}

/**
 * The tenants due for `job`: the one cross-tenant read, through the SECURITY DEFINER function of the migrations
 * (a job it does not know visits every tenant with a profile).
 */
async function dueTenants(prisma: PrismaClient, job: string): Promise<string[]> {
  const rows = await runAsAppRole(
    prisma,
    (tx) => tx.$queryRaw<{ tenant_id: string }[]>`
      SELECT t AS tenant_id FROM scheduled_job_tenants(${job}) AS t ORDER BY t`,
  );
  return rows.map((row) => row.tenant_id);
}

/** Runs `job` for one tenant unless another instance already claimed this slot (then `ran` is false). */
async function runForTenant(
  runner: JobRunner,
  job: ScheduledJob,
  slot: Date,
  tenantId: string,
): Promise<{ ran: boolean; affected: number }> {
  const caller: Caller = { tenantId, userId: SCHEDULER_USER_ID, role: 'service' };
  const instance = runner.instance ?? `${hostname()}:${process.pid}`;
  return runAsCaller(
    runner.prisma,
    caller,
    async (tx) => {
      const claimed = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO scheduled_job_runs (job, tenant_id, slot, instance)
        VALUES (${job.name}, ${tenantId}::uuid, ${slot.toISOString()}::timestamptz, ${instance})
        ON CONFLICT (job, tenant_id, slot) DO NOTHING RETURNING id`;
      const claim = claimed[0];
      if (!claim) return { ran: false, affected: 0 };
      const affected = await job.run(tx, tenantId, runner.config);
      // statement_timestamp(), not clock_timestamp(): a distributed database (Citus) refuses a VOLATILE function in
      // an UPDATE, and this statement's start is the job's end all the same.
      await tx.$executeRaw`
        UPDATE scheduled_job_runs SET affected = ${affected}, finished_at = statement_timestamp()
        WHERE tenant_id = ${tenantId}::uuid AND id = ${claim.id}::uuid`;
      await tx.$executeRaw`
        DELETE FROM scheduled_job_runs
        WHERE job = ${job.name} AND tenant_id = ${tenantId}::uuid
          AND slot < now() - make_interval(days => ${HISTORY_DAYS}) AND id <> ${claim.id}::uuid`;
      return { ran: true, affected };
    },
    { timeout: job.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS },
  );
}

/**
 * One slot of one job across the tenants due for it, a tenant at a time (one tenant's failure is logged and
 * does not stop the others); the run's lines share one trace id (`log`). Exported so tests can play several
 * instances racing for the same slot.
 */
export async function runScheduledJob(
  runner: JobRunner,
  job: ScheduledJob,
  slot: Date,
  log = new RequestLog(runner.logger),
): Promise<JobRunSummary> {
  const summary: JobRunSummary = { job: job.name, slot, ran: 0, skipped: 0, failed: 0, affected: 0 };
  for (const tenantId of await dueTenants(runner.prisma, job.name)) {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await runForTenant(runner, job, slot, tenantId);
      if (result.ran) summary.ran++;
      else summary.skipped++;
      summary.affected += result.affected;
      runner.metrics?.jobRun(job.name, result.ran ? 'ran' : 'skipped', seconds());
    } catch (error) {
      summary.failed++;
      runner.metrics?.jobRun(job.name, 'failed', seconds());
      log.error({ err: error, job: job.name, tenantId, slot }, 'scheduled job failed for a tenant');
    }
  }
  return summary;
}

export interface Scheduler {
  /** Stops the timers and waits for a run in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/** A job name scheduled_job_runs accepts. */
const JOB_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Starts a timer per scheduled job; undefined when none is scheduled. */
export function startScheduler(runner: JobRunner, jobs: readonly ScheduledJob[]): Scheduler | undefined {
  const names = new Set<string>();
  for (const job of jobs) {
    if (!JOB_NAME.test(job.name) || names.has(job.name)) throw new Error(`bad or repeated job name "${job.name}"`);
    names.add(job.name);
  }
  const running = new Set<Promise<unknown>>();
  const timers = jobs.flatMap((job) => {
    const pattern = job.schedule(runner.config);
    if (!pattern) return [];
    // protect: a slow run is not overlapped by the next tick on this instance.
    const timer = new Cron(pattern, { timezone: 'UTC', protect: true }, async (self: Cron) => {
      const fired = self.currentRun() ?? new Date();
      // The scheduled instant this tick belongs to (timers fire a little after it, never before).
      const slot = self.previousRuns(1, new Date(fired.getTime() + 1))[0] ?? fired;
      const log = new RequestLog(runner.logger);
      const run = runScheduledJob(runner, job, slot, log).then(
        (summary) => {
          if (summary.ran > 0 || summary.failed > 0) log.info(summary, 'scheduled job ran');
        },
        (error: unknown) => log.error({ err: error, job: job.name, slot }, 'scheduled job failed'),
      );
      running.add(run);
      await run;
      running.delete(run);
    });
    runner.logger.info({ job: job.name, pattern, next: timer.nextRun() }, 'scheduled job registered');
    return [timer];
  });
  if (timers.length === 0) return undefined;
  return {
    async stop() {
      for (const timer of timers) timer.stop();
      await Promise.all(running);
    },
  };
}
