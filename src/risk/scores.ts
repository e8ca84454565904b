import { EntityType } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import { badInput } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign } from './auto-assign-sql.js';
import { insertScores, type ScoreRow } from './scores-sql.js';
import { riskSettings } from './settings.js';
import { Rule } from '../core/field-rules.js';

/**
 * Predictive scores ingest, for admins and integrations. The Predictive
 * Safety system may also write predictive_scores directly under RLS (see the
 * README); this mutation adds validation, one set-based insert, and
 * auto-assignment for the entities the batch touched.
 */

/** Larger batches belong in several calls (the request body limit is 1 MB anyway). */
export const MAX_SCORES_PER_CALL = 5_000;

/** How far in the future `computedAt` may be: the scoring system's clock may run a little ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

export const PredictiveScoreInput = builder.inputType('PredictiveScoreInput', {
  fields: (t) => ({
    entityType: t.field({ type: EntityType, required: true }),
    entityId: t.id({ required: true, description: 'The zone, driver, worker or equipment (a UUID).' }),
    score: t.float({ required: true, description: '0–100.' }),
    computedAt: t.field({
      type: 'DateTime',
      description: 'When the score was computed; default now. At most 5 minutes ahead of the server clock.',
    }),
  }),
});

function scoreRows(scores: (typeof PredictiveScoreInput.$inferInput)[]): ScoreRow[] {
  if (scores.length > MAX_SCORES_PER_CALL) {
    throw badInput('scores', `at most ${MAX_SCORES_PER_CALL} rows per call`, Rule.maxRows, {
      max: MAX_SCORES_PER_CALL,
    });
  }
  const latestAllowed = Date.now() + CLOCK_SKEW_MS;
  return scores.map((input, index) => {
    const at = `scores[${index}]`;
    const score = validate.number(`${at}.score`, input.score, { min: 0, max: 100 });
    if (input.computedAt && input.computedAt.getTime() > latestAllowed) {
      throw badInput(`${at}.computedAt`, 'must not be in the future (more than 5 minutes ahead)', Rule.notInFuture);
    }
    return {
      entityType: input.entityType,
      entityId: validate.uuid(`${at}.entityId`, input.entityId),
      score: String(score),
      computedAt: input.computedAt ? input.computedAt.toISOString() : null,
    };
  });
}

builder.mutationField('recordPredictiveScores', (t) =>
  t.withAuth({ may: 'risk.ingestScores' }).int({
    description:
      'Records predictive risk scores (admin, integrations): every row is validated and all are written in one ' +
      'transaction, or none. Returns how many were recorded. Unless autoAssign is false (default: the ' +
      'AUTO_ASSIGN_ON_SCORES setting), risk-based auto-assignment then runs for the entities in the batch, in ' +
      'the same transaction.',
    args: {
      scores: t.arg({ type: [PredictiveScoreInput], required: true }),
      autoAssign: t.arg.boolean({ description: 'Run auto-assignment for the touched entities (default: config).' }),
    },
    resolve: async (_root, args, context) => {
      const caller = context.caller;
      const rows = scoreRows(args.scores);
      if (rows.length === 0) return 0;
      const autoAssign = args.autoAssign ?? riskSettings.of(context.services.config).autoAssignOnScores;
      return context.transaction(
        async (tx) => {
          const recorded = await insertScores(tx, caller.tenantId, rows);
          if (autoAssign) {
            const touched = new Map(rows.map((row) => [`${row.entityType}:${row.entityId}`, row]));
            await runAutoAssign(tx, {
              tenantId: caller.tenantId,
              assignedBy: caller.userId,
              dueDays: riskSettings.of(context.services.config).autoAssignDueDays,
              scope: { entities: [...touched.values()] },
            });
          }
          return recorded;
        },
        { timeout: AUTO_ASSIGN_TIMEOUT_MS },
      );
    },
  }),
);
