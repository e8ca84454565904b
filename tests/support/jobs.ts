import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { loadConfig } from '../../src/config.js';
import type { JobRunner, ScheduledJob } from '../../src/core/jobs.js';
import { createLogger } from '../../src/core/logger.js';
import { modules } from '../../src/modules.js';

/** A scheduler's runner as an API instance named `instance` would hold it, with the default test settings. */
export function jobRunner(prisma: PrismaClient, instance?: string): JobRunner {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) });
  return { prisma, config, logger: createLogger('silent'), instance };
}

/** A module's scheduled job by its name in scheduled_job_runs. */
export function jobNamed(name: string): ScheduledJob {
  const job = modules.flatMap((module) => module.jobs ?? []).find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no module schedules a job named ${name}`);
  return job;
}
