import { defineSettings } from '../core/settings.js';

export const recertificationSettings = defineSettings('recertification', (setting) => ({
  /** Cron expression (UTC) for recertification (and CERTIFICATE_EXPIRING); undefined: not scheduled. */
  recertificationCron: setting.cron('RECERTIFICATION_CRON', '20 2 * * *'),
}));
