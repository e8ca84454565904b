import type { ScheduledJob } from '../core/jobs.js';
import { assignmentSettings } from './settings.js';

/**
 * Stores OVERDUE on active assignments past their due date (reads never wait for it: they compute overdue).
 * Their OVERDUE notifications come from the notifications module's reminders, which look at due dates.
 */
export const overdueSweepJob: ScheduledJob = {
  name: 'overdue_sweep',
  schedule: (config) => assignmentSettings.of(config).overdueSweepCron,
  async run(tx) {
    const [row] = await tx.$queryRaw<{ swept: bigint }[]>`SELECT mark_overdue_training_assignments() AS swept`;
    return Number(row?.swept ?? 0);
  },
};
