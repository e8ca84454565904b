import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import { quizDeadlinesJob } from './jobs.js';
import { quizSettings } from './settings.js';
import './question.js';
import './import.js';
import './quiz.js';
import './attempt.js';
import './answer.js';
import './attempt-flow.js';
import './regrade.js';
import './stats.js';

/** Quizzes: the question bank, a course's quiz, attempts scored by the server. */
const permissions = definePermissions({
  /** Write and read the question bank (the key), set a course's quiz, regrade, read item analysis. */
  'quizzes.manage': ['admin', 'safety_officer'],
  /** Take the quiz of one's own started assignment. */
  'quizzes.take': ['admin', 'safety_officer', 'worker'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const quizzes = defineModule({
  name: 'quizzes',
  permissions,
  settings: quizSettings,
  jobs: [quizDeadlinesJob],
});
