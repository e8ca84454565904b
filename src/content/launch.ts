import { randomUUID } from 'node:crypto';
import type { CallerTransaction } from '../core/caller/index.js';
import type { Config } from '../core/config.js';
import { builder } from '../core/builder.js';
import { badInput, conflict, notFound, unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { createLaunchToken, putDocument, storeStatements, XapiError } from '../xapi/index.js';
import {
  EXTENSIONS,
  learnerAgent,
  lmsAuthority,
  lmsStatement,
  moduleActivityId,
  sessionContext,
  type SessionContext,
} from './cmi5-statements.js';
import { isAbsoluteUrl, signedContentUrl } from './module-type.js';
import { ContentRule } from './input-rules.js';

/** What launching a module answers: the URL to open (an AU's launch URL, cmi5 §8.1). */
export const Launch = builder.objectRef<{ url: string }>('Launch');
Launch.implement({
  description:
    'Open `url` in a window: it carries the cmi5 launch parameters (endpoint, fetch, actor, registration, activityId).',
  fields: (t) => ({ url: t.exposeString('url') }),
});

interface LaunchRow {
  user_id: string;
  status: string;
  started_at: Date | null;
  display_name: string | null;
  module_id: string;
  kind: string;
  url: string | null;
  content_id: string | null;
  activity_id: string | null;
  move_on: string | null;
  mastery_score: number | null;
  launch_parameters: string | null;
  entitlement_key: string | null;
  session_id: string | null;
  session_open: boolean | null;
}

type Json = Record<string, unknown>;

/** Where the module opens: an uploaded file or a package's page under a URL signed for the learner, else its URL. */
function locationOf(config: Config, tenantId: string, userId: string, row: LaunchRow): string {
  if (row.url && isAbsoluteUrl(row.url)) return row.url;
  return signedContentUrl(config, { tenantId, userId, contentId: row.content_id! }, row.url ?? '');
}

/**
 * Everything a launch writes, in the caller's transaction: an open session of this module is recorded abandoned
 * (it never terminated), a fetch URL is minted for the new session, LMS.LaunchData is stored in the state API, the
 * LMS's `launched` statement is stored, and the module's progress notes the launch.
 */
async function recordLaunch(
  tx: CallerTransaction,
  config: Config,
  tenantId: string,
  assignmentId: string,
  row: LaunchRow,
) {
  const actor = learnerAgent(config.publicUrl, row.user_id, row.display_name);
  const activityId = row.activity_id ?? moduleActivityId(row.module_id);
  const session: SessionContext = { registration: assignmentId, sessionId: randomUUID(), activityId };
  const authority = lmsAuthority(config.publicUrl);
  const location = locationOf(config, tenantId, row.user_id, row);
  const statements: Json[] = [];
  if (row.session_open && row.session_id) {
    const old = sessionContext({ ...session, sessionId: row.session_id });
    statements.push(lmsStatement('abandoned', actor, activityId, old));
  }
  const moveOn = row.move_on ?? 'NotApplicable';
  statements.push(
    lmsStatement(
      'launched',
      actor,
      activityId,
      sessionContext(session, {
        [EXTENSIONS.launchMode]: 'Normal',
        [EXTENSIONS.launchUrl]: location.replace(/\/t\/[^/?#]+/, '/t/…'),
        [EXTENSIONS.moveOn]: moveOn,
        ...(row.launch_parameters ? { [EXTENSIONS.launchParameters]: row.launch_parameters } : {}),
      }),
    ),
  );
  const { fetchPath } = await createLaunchToken(tx, tenantId, { actor, registration: assignmentId, activityId });
  const launchData: Json = {
    contextTemplate: sessionContext(session),
    launchMode: 'Normal',
    moveOn,
    ...(row.launch_parameters ? { launchParameters: row.launch_parameters } : {}),
    ...(row.mastery_score === null ? {} : { masteryScore: row.mastery_score }),
    ...(row.entitlement_key ? { entitlementKey: { courseStructure: row.entitlement_key } } : {}),
  };
  await putDocument(tx, tenantId, {
    kind: 'state',
    activityId,
    agent: actor,
    registration: assignmentId,
    documentId: 'LMS.LaunchData',
    content: JSON.stringify(launchData),
    contentType: 'application/json',
  });
  await storeStatements(tx, tenantId, statements, authority, { publicUrl: config.publicUrl });
  // A relaunch keeps the first launch's time; excluded.launched_at is this transaction's now(), which a
  // distributed database (Citus) refuses inside the update's COALESCE.
  await tx.$executeRaw`
    INSERT INTO module_progress (tenant_id, assignment_id, module_id, user_id, launched_at, session_id, session_open)
    VALUES (${tenantId}::uuid, ${assignmentId}::uuid, ${row.module_id}::uuid, ${row.user_id}::uuid, now(),
            ${session.sessionId}::uuid, true)
    ON CONFLICT (tenant_id, assignment_id, module_id) DO UPDATE
    SET launched_at = coalesce(module_progress.launched_at, excluded.launched_at), session_id = excluded.session_id,
        session_open = true`;
  const query = new URLSearchParams({
    endpoint: `${config.publicUrl}/xapi/`,
    fetch: `${config.publicUrl}${fetchPath}`,
    actor: JSON.stringify(actor),
    registration: assignmentId,
    activityId,
  });
  return `${location}${location.includes('?') ? '&' : '?'}${query}`;
}

builder.mutationField('launchModule', (t) =>
  t.withAuth({ may: 'content.learn' }).field({
    type: Launch,
    description:
      "Launches a module of the caller's own started assignment: a cmi5 AU's launch URL (its fetch URL gives the AU " +
      'its LRS token once), or a video or document with the same parameters, so the player reports to the LRS. ' +
      'Writes LMS.LaunchData and the launched statement. CONFLICT before the assignment is started.',
    args: { assignmentId: t.arg.id({ required: true }), moduleId: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const assignmentId = validate.uuid('assignmentId', args.assignmentId);
      const moduleId = validate.uuid('moduleId', args.moduleId);
      const { tenantId, userId } = context.caller;
      const { config } = context.services;
      const url = await context.transaction(async (tx) => {
        const [row] = await tx.$queryRaw<LaunchRow[]>`
          SELECT a.user_id::text, a.status, a.started_at, p.display_name, m.id::text AS module_id, m.kind, m.url,
                 m.content_id::text, m.activity_id, m.move_on, m.mastery_score, m.launch_parameters, m.entitlement_key,
                 g.session_id::text, g.session_open
          FROM training_assignments a
          LEFT JOIN profiles p ON p.tenant_id = a.tenant_id AND p.id = a.user_id
          LEFT JOIN course_modules m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id AND m.id = ${moduleId}::uuid
          LEFT JOIN module_progress g ON g.tenant_id = a.tenant_id AND g.assignment_id = a.id AND g.module_id = m.id
          WHERE a.tenant_id = ${tenantId}::uuid AND a.id = ${assignmentId}::uuid
          FOR UPDATE OF a`;
        if (!row || row.user_id !== userId) throw notFound('Assignment');
        if (!row.module_id) throw unknownAt('moduleId', "no such module in the assignment's course", 'module');
        if (!['in_progress', 'overdue'].includes(row.status) || !row.started_at) {
          throw conflict(`Start the assignment before launching its modules (it is ${row.status})`);
        }
        if (row.kind === 'link') return row.url!;
        try {
          return await recordLaunch(tx, config, tenantId, assignmentId, row);
        } catch (error) {
          if (error instanceof XapiError)
            throw badInput(
              'moduleId',
              `the launch could not be recorded: ${error.message}`,
              ContentRule.launchNotRecorded,
              {
                detail: error.message,
              },
            );
          throw error;
        }
      });
      return { url };
    },
  }),
);
