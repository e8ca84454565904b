import type { ScheduledJob } from '../core/jobs.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign } from './auto-assign-sql.js';
import { runRiskEscalation } from './escalation-sql.js';
import { announceExpiredQualifications } from './qualifications-sql.js';
import { riskSettings } from './settings.js';

/** Risk-based auto-assignment of every tenant with an auto-assign course. */
export const autoAssignJob: ScheduledJob = {
  name: 'auto_assign',
  schedule: (config) => riskSettings.of(config).autoAssignCron,
  run: async (tx, tenantId, config) =>
    (await runAutoAssign(tx, { tenantId, assignedBy: null, dueDays: riskSettings.of(config).autoAssignDueDays }))
      .assignmentsCreated,
  timeoutMs: AUTO_ASSIGN_TIMEOUT_MS,
};

/** One escalation per passed completion whose entity still scores high (escalation-sql.ts). */
export const riskEscalationJob: ScheduledJob = {
  name: 'risk_escalation',
  schedule: (config) => riskSettings.of(config).riskEscalationCron,
  run: async (tx, tenantId) => (await runRiskEscalation(tx, tenantId)).escalated,
};

/** The change of day: completions that expired yesterday change their holders' qualifications. */
export const qualificationExpiryJob: ScheduledJob = {
  name: 'qualification_expiry',
  schedule: (config) => riskSettings.of(config).qualificationExpiryCron,
  run: (tx, tenantId) => announceExpiredQualifications(tx, tenantId),
};
