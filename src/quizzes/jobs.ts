import { actingAs } from '../core/caller/index.js';
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
    const closed = await closeAttempts(tx, tenantId, null, false);
    // An integration (the job's role) records no evidence-backed completion: each pass is recorded as its
    // assignee's own submit would have, under their RLS.
    for (const attempt of closed.filter((found) => found.passed)) {
      await actingAs(tx, { userId: attempt.user_id, role: 'worker' }, () =>
        recordPasses(tx, tenantId, config.publicUrl, [attempt]),
      );
    }
    return closed.length;
  },
};
