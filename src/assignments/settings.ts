import { defineSettings } from '../core/settings.js';

export const assignmentSettings = defineSettings('assignments', (setting) => ({
  /** Cron expression (UTC) for the overdue sweep of every tenant; undefined: not scheduled. */
  overdueSweepCron: setting.cron('OVERDUE_SWEEP_CRON', '5 * * * *'),
}));
