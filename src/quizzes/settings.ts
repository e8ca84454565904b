import { defineSettings } from '../core/settings.js';

export const quizSettings = defineSettings('quizzes', (setting) => ({
  /** Cron expression (UTC) for closing and scoring attempts past their deadline; undefined: not scheduled. */
  quizDeadlinesCron: setting.cron('QUIZ_DEADLINES_CRON', '* * * * *'),
}));
