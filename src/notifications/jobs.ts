import type { ScheduledJob } from '../core/jobs.js';
import { writeDueSoon, writeOverdue } from './reminders-sql.js';
import { notificationSettings } from './settings.js';

/** DUE_SOON and OVERDUE notifications, from due dates (so a not yet swept assignment is reminded too). */
export const remindersJob: ScheduledJob = {
  name: 'reminders',
  schedule: (config) => notificationSettings.of(config).remindersCron,
  run: async (tx, tenantId, config) =>
    (await writeDueSoon(tx, tenantId, notificationSettings.of(config).dueSoonDays)) +
    (await writeOverdue(tx, tenantId)),
};
