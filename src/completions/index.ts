import { defineModule } from '../core/module.js';
import { definePermissions, type Granted } from '../core/permissions.js';
import './complete.js';
import './completion.js';
import './evidence-fields.js';
import './practical-evaluation.js';
import './plain-fields.js';

/** Completions: the results of training, the evidence behind them, and their expiry. */
const permissions = definePermissions({
  /**
   * Record the result of an assignment: one's own (a self-report), or as an admin or safety officer anyone's; an
   * integration any of its tenant's.
   */
  'completions.record': ['admin', 'safety_officer', 'worker', 'service'],
  /** Record practical evaluations, as the evaluator. */
  'completions.evaluate': ['admin', 'safety_officer'],
});
declare module '../core/permissions.js' {
  interface PermissionNames extends Granted<typeof permissions> {}
}

export const completions = defineModule({ name: 'completions', permissions });
