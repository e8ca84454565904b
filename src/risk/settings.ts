import { defineSettings } from '../core/settings.js';

export const riskSettings = defineSettings('risk', (setting) => ({
  /** Days from assignment to due date for risk-based assignments. */
  autoAssignDueDays: setting.integer('AUTO_ASSIGN_DUE_DAYS', 14),
  /** Whether recorded predictive scores auto-assign for the entities they touch (per call: `autoAssign`). */
  autoAssignOnScores: setting.flag('AUTO_ASSIGN_ON_SCORES', true),
  /** Cron expression (UTC) for auto-assignment of every tenant; undefined: not scheduled. */
  autoAssignCron: setting.cron('AUTO_ASSIGN_CRON', '0 * * * *'),
  /** Cron expression (UTC) for risk escalation of every tenant; undefined: not scheduled. */
  riskEscalationCron: setting.cron('RISK_ESCALATION_CRON', '15 * * * *'),
  /** Cron expression (UTC) announcing the qualifications that expired at the change of day; undefined: off. */
  qualificationExpiryCron: setting.cron('QUALIFICATION_EXPIRY_CRON', '0 0 * * *'),
}));
