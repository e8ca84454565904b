import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Config } from '../core/config.js';
import { APP_ROLE, runAsCaller, type Caller, type CallerTransaction } from '../core/caller/index.js';
import type { Logger } from '../core/logger.js';
import { writeDueSoon, writeOverdue } from '../notifications/reminders-sql.js';
import { runRecertification } from '../recertification/recertification-sql.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign } from './auto-assign-sql.js';
import { runRiskEscalation } from './escalation-sql.js';
import { announceExpiredQualifications } from './qualifications-sql.js';

/**
 * Scheduled work per tenant: risk-based auto-assignment, the overdue sweep,
 * reminders (DUE_SOON and OVERDUE notifications), recertification, risk escalation and the
 * qualification changes of the change of day, on cron
 * expressions from the configuration (UTC).
 *
 * Every API instance runs the same timers; a run still happens once per
 * (job, tenant, slot). The slot is the scheduled instant, the same on every
 * instance, and each tenant's run claims it by inserting into
 * scheduled_job_runs inside the transaction that does the work (see the
 * migration 20261125000300_scheduled_jobs): a second instance's claim waits for
 * the first and then finds the slot taken; if the first failed, its claim rolled
 * back with its work and the second does the work instead.
 */

export const JOBS = [
  'auto_assign',
  'overdue_sweep',
  'reminders',
  'recertification',
  'risk_escalation',
  'qualification_expiry',
] as const;
export type Job = (typeof JOBS)[number];

/** How long run history is kept. */
const HISTORY_DAYS = 30;

/** No user is behind a scheduled run; app.user_id still needs a UUID. */
const SCHEDULER_USER_ID = '00000000-0000-0000-0000-000000000000';

export interface JobRunSummary {
  job: Job;
  slot: Date;
  /** Tenants this instance ran the job for (the others were claimed elsewhere, or failed: see logs). */
  ran: number;
  skipped: number;
  failed: number;
  /**
   * Rows created (auto_assign, recertification: assignments; reminders: notifications) or
   * changed (overdue_sweep) by this instance.
   */
  affected: number;
}

export interface JobRunner {
  prisma: PrismaClient;
  config: Pick<Config, 'autoAssignDueDays' | 'dueSoonDays'>;
  logger: Logger;
  /** Names this instance in scheduled_job_runs. */
  instance?: string;
}

/** The tenants due for `job`: the one cross-tenant read, through the SECURITY DEFINER function of the migration. */
async function dueTenants(prisma: PrismaClient, job: Job): Promise<string[]> {
  // As the application role, like every other statement of the API, with no tenant set.
  const rows = await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('role', ${APP_ROLE}, true)`;
    return tx.$queryRaw<{ tenant_id: string }[]>`
      SELECT t AS tenant_id FROM scheduled_job_tenants(${job}) AS t ORDER BY t`;
  });
  return rows.map((row) => row.tenant_id);
}

/** Risk escalation: one row per passed completion whose entity still scores high (escalation-sql.ts). */
async function riskEscalationWork(tx: CallerTransaction, tenantId: string): Promise<number> {
  return (await runRiskEscalation(tx, tenantId)).escalated;
}

/** The change of day: completions that expired yesterday change their holders' qualifications. */
async function qualificationExpiryWork(tx: CallerTransaction, tenantId: string): Promise<number> {
  return announceExpiredQualifications(tx, tenantId);
}

async function work(tx: CallerTransaction, job: Job, tenantId: string, runner: JobRunner): Promise<number> {
  if (job === 'reminders') {
    return (await writeDueSoon(tx, tenantId, runner.config.dueSoonDays)) + (await writeOverdue(tx, tenantId));
  }
  if (job === 'recertification') return (await runRecertification(tx, tenantId)).assignmentsCreated;
  if (job === 'risk_escalation') return riskEscalationWork(tx, tenantId);
  if (job === 'qualification_expiry') return qualificationExpiryWork(tx, tenantId);
  if (job === 'overdue_sweep') {
    // OVERDUE notifications in the transaction that stores the status.
    await writeOverdue(tx, tenantId);
    const [row] = await tx.$queryRaw<{ swept: bigint }[]>`SELECT mark_overdue_training_assignments() AS swept`;
    return Number(row?.swept ?? 0);
  }
  const outcome = await runAutoAssign(tx, {
    tenantId,
    assignedBy: null,
    dueDays: runner.config.autoAssignDueDays,
  });
  return outcome.assignmentsCreated;
}

/** Runs `job` for one tenant unless another instance already claimed this slot (then `ran` is false). */
async function runForTenant(
  runner: JobRunner,
  job: Job,
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
        VALUES (${job}, ${tenantId}::uuid, ${slot.toISOString()}::timestamptz, ${instance})
        ON CONFLICT (job, tenant_id, slot) DO NOTHING RETURNING id`;
      const claim = claimed[0];
      if (!claim) return { ran: false, affected: 0 };
      const affected = await work(tx, job, tenantId, runner);
      await tx.$executeRaw`
        UPDATE scheduled_job_runs SET affected = ${affected}, finished_at = clock_timestamp() WHERE id = ${claim.id}::uuid`;
      await tx.$executeRaw`
        DELETE FROM scheduled_job_runs
        WHERE job = ${job} AND tenant_id = ${tenantId}::uuid
          AND slot < now() - make_interval(days => ${HISTORY_DAYS}) AND id <> ${claim.id}::uuid`;
      return { ran: true, affected };
    },
    { timeout: AUTO_ASSIGN_TIMEOUT_MS },
  );
}

/**
 * One slot of one job across the tenants due for it, a tenant at a time (one
 * tenant's failure is logged and does not stop the others). Exported so tests
 * can play several instances racing for the same slot.
 */
export async function runScheduledJob(runner: JobRunner, job: Job, slot: Date): Promise<JobRunSummary> {
  const summary: JobRunSummary = { job, slot, ran: 0, skipped: 0, failed: 0, affected: 0 };
  for (const tenantId of await dueTenants(runner.prisma, job)) {
    try {
      const result = await runForTenant(runner, job, slot, tenantId);
      if (result.ran) summary.ran++;
      else summary.skipped++;
      summary.affected += result.affected;
    } catch (error) {
      summary.failed++;
      runner.logger.error({ err: error, job, tenantId, slot }, 'scheduled job failed for a tenant');
    }
  }
  return summary;
}

export interface Scheduler {
  /** Stops the timers and waits for a run in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/** Starts a timer per configured job; undefined when none is configured. */
export function startScheduler(
  runner: JobRunner & {
    config: Pick<
      Config,
      | 'autoAssignDueDays'
      | 'dueSoonDays'
      | 'autoAssignCron'
      | 'overdueSweepCron'
      | 'remindersCron'
      | 'recertificationCron'
    > &
      Partial<Pick<Config, 'riskEscalationCron' | 'qualificationExpiryCron'>>;
  },
): Scheduler | undefined {
  const patterns: [Job, string | undefined][] = [
    ['auto_assign', runner.config.autoAssignCron],
    ['overdue_sweep', runner.config.overdueSweepCron],
    ['reminders', runner.config.remindersCron],
    ['recertification', runner.config.recertificationCron],
    ['risk_escalation', runner.config.riskEscalationCron],
    ['qualification_expiry', runner.config.qualificationExpiryCron],
  ];
  const running = new Set<Promise<unknown>>();
  const timers = patterns.flatMap(([job, pattern]) => {
    if (!pattern) return [];
    // protect: a slow run is not overlapped by the next tick on this instance.
    const timer = new Cron(pattern, { timezone: 'UTC', protect: true }, async (self: Cron) => {
      const fired = self.currentRun() ?? new Date();
      // The scheduled instant this tick belongs to (timers fire a little after it, never before).
      const slot = self.previousRuns(1, new Date(fired.getTime() + 1))[0] ?? fired;
      const run = runScheduledJob(runner, job, slot).then(
        (summary) => {
          if (summary.ran > 0 || summary.failed > 0) runner.logger.info(summary, 'scheduled job ran');
        },
        (error: unknown) => runner.logger.error({ err: error, job, slot }, 'scheduled job failed'),
      );
      running.add(run);
      await run;
      running.delete(run);
    });
    runner.logger.info({ job, pattern, next: timer.nextRun() }, 'scheduled job registered');
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
