import { IDEMPOTENCY_KEY_DAYS } from '../core/idempotency.js';
import type { ScheduledJob } from '../core/jobs.js';
import { defineModule } from '../core/module.js';
import { defineSettings } from '../core/settings.js';

/**
 * Idempotency keys' upkeep: mutations sent with an `Idempotency-Key` are recorded by src/core/idempotency.ts;
 * this module removes each tenant's keys once they stop answering (`IDEMPOTENCY_KEY_DAYS`).
 */
const idempotencySettings = defineSettings('idempotency', (setting) => ({
  /** Cron expression (UTC) for removing expired idempotency keys; undefined: not scheduled. */
  idempotencySweepCron: setting.cron('IDEMPOTENCY_SWEEP_CRON', '41 3 * * *'),
}));

const expiredKeysSweep: ScheduledJob = {
  name: 'idempotency_key_sweep',
  schedule: (config) => idempotencySettings.of(config).idempotencySweepCron,
  run: (tx, tenantId) => tx.$executeRaw`
    DELETE FROM idempotency_keys
    WHERE tenant_id = ${tenantId}::uuid AND created_at < now() - make_interval(days => ${IDEMPOTENCY_KEY_DAYS})`,
};

export const idempotency = defineModule({
  name: 'idempotency',
  settings: idempotencySettings,
  jobs: [expiredKeysSweep],
});
