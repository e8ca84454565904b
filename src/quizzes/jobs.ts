import type { ScheduledJob } from '../core/jobs.js';
import { closeAttempts } from './attempt-sql.js';
import { recordPasses } from './results.js';
import { quizSettings } from './settings.js';

/**
 * Closes and scores the tenant's attempts past their deadline with their saved answers (reads show them closed
 * before this stores it), and records the passes as the quiz evidence of their assignments.
 */
export const quizDeadlinesJob: ScheduledJob = {
  name: 'quiz_deadlines',
  schedule: (config) => quizSettings.of(config).quizDeadlinesCron,
  async run(tx, tenantId, config) {
    const closed = await closeAttempts(tx, null, false);
    await recordPasses(tx, tenantId, config.publicUrl, closed);
    return closed.length;
  },
};
