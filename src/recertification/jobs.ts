import type { ScheduledJob } from '../core/jobs.js';
import { RECERTIFICATION_TIMEOUT_MS, runRecertification } from './recertification-sql.js';
import { recertificationSettings } from './settings.js';

/** Renewals of completions about to expire, daily. */
export const recertificationJob: ScheduledJob = {
  name: 'recertification',
  schedule: (config) => recertificationSettings.of(config).recertificationCron,
  run: async (tx, tenantId) => (await runRecertification(tx, tenantId)).assignmentsCreated,
  timeoutMs: RECERTIFICATION_TIMEOUT_MS,
};
