import { defineModule } from '../core/module.js';
import { createDeliverer } from './deliverer.js';
import { remindersJob } from './jobs.js';
import { notificationSettings } from './settings.js';
import './notification.js';

/** Notifications: the outbox written with each event, reminders, in-app reads and the e-mail deliverer. */
export const notifications = defineModule({
  name: 'notifications',
  settings: notificationSettings,
  jobs: [remindersJob],
  start({ services, db }) {
    const settings = notificationSettings.of(services.config);
    if (settings.emailPollMs === undefined) return undefined;
    // Workers start once the server listens, so services.config's public URL names the bound port.
    const config = { ...settings, publicUrl: services.config.publicUrl };
    return createDeliverer({ prisma: db.prisma, config, logger: services.logger });
  },
});
