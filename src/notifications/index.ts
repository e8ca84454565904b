import { runAsAppRole } from '../core/caller/index.js';
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
  metrics({ db }, metrics) {
    metrics.gauge(
      'email_outbox_messages',
      'E-mails in the outbox, all tenants: state="backlog" waiting to be sent, state="failed" failed for good.',
      () =>
        runAsAppRole(db.prisma, async (tx) => {
          const [row] = await tx.$queryRaw<{ backlog: bigint; failed: bigint }[]>`
            SELECT backlog, failed FROM notification_outbox_counts()`;
          return { backlog: Number(row!.backlog), failed: Number(row!.failed) };
        }),
      'state',
    );
  },
  start({ services, db }) {
    const settings = notificationSettings.of(services.config);
    if (settings.emailPollMs === undefined) return undefined;
    // Workers start once the server listens, so services.config's public URL names the bound port.
    const config = { ...settings, publicUrl: services.config.publicUrl };
    return createDeliverer({ prisma: db.prisma, config, logger: services.logger });
  },
});
