import type { CallerTransaction } from '../core/caller/index.js';
import { actingAs } from '../core/caller/index.js';
import type { Role } from '../core/permissions.js';
import { meetRequirement } from '../completions/evidence.js';
import { onStatementsStored, storeStatements, type StoredBatch, type StoredStatement } from '../xapi/index.js';
import {
  durationSeconds,
  EXTENSIONS,
  learnerAgent,
  lmsAuthority,
  lmsStatement,
  playedSeconds,
  VERBS,
  VIDEO_WATCHED_SHARE,
} from './cmi5-statements.js';

/**
 * What statements do to modules. Every batch the LRS stores (an AU's, the web app's player, the LMS's own) passes
 * here in its transaction: statements of an assignment's registration about one of its course's modules, by its
 * assignee, update that module's progress; a module whose rule is met (an AU's moveOn, a document's completed
 * statement, a video's completed one whose played segments cover the video, or the LMS's waived) is satisfied;
 * and when that satisfies every required module of the course, the LMS records `satisfied` and, for a course
 * requiring content, the content evidence that may complete the assignment (§14), with the AUs' mean scaled score
 * as its score.
 */

type Json = Record<string, unknown>;
const JUDGED = new Set<string>([
  VERBS.completed,
  VERBS.passed,
  VERBS.failed,
  VERBS.terminated,
  VERBS.played,
  VERBS.paused,
  VERBS.seeked,
  VERBS.waived,
]);

interface Observation {
  registration: string;
  objectId: string;
  learner: string;
  verb: string;
  scaled: number | null;
  seconds: number;
  position: number | null;
  /** A `waived` statement written by the LMS itself (a launch token may not send it, and it has other authority). */
  waived: boolean;
  /** Video profile: seconds the played segments cover, and the video's length as the player saw it. */
  played: number;
  length: number | null;
}

const asObject = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});

function observe(statement: StoredStatement, lms: string): Observation | undefined {
  const verb = asObject(statement.verb).id as string;
  const context = asObject(statement.context);
  const object = asObject(statement.object);
  const registration = context.registration;
  if (!JUDGED.has(verb) || typeof registration !== 'string' || (object.objectType ?? 'Activity') !== 'Activity') {
    return undefined;
  }
  const result = asObject(statement.result);
  const extensions = asObject(result.extensions);
  const scaled = asObject(result.score).scaled;
  const position = extensions[EXTENSIONS.videoTimeTo] ?? extensions[EXTENSIONS.videoTime];
  const length = asObject(context.extensions)[EXTENSIONS.videoLength];
  return {
    registration,
    objectId: object.id as string,
    learner: String(asObject(asObject(statement.actor).account).name ?? ''),
    verb,
    scaled: typeof scaled === 'number' ? scaled : null,
    seconds: durationSeconds(result.duration),
    position: typeof position === 'number' && position >= 0 ? position : null,
    waived: verb === VERBS.waived && JSON.stringify(asObject(statement.authority).account) === lms,
    played: playedSeconds(extensions[EXTENSIONS.videoPlayedSegments]),
    length: typeof length === 'number' && length > 0 ? length : null,
  };
}

interface Matched {
  assignment_id: string;
  module_id: string;
  user_id: string;
  role: Role;
  n: number;
  kind: string;
  duration_seconds: number | null;
}

/**
 * Whether a statement completes its module: a video's `completed` only when its played segments cover
 * VIDEO_WATCHED_SHARE of the video (its length as the player reports it, else the module's duration), so seeking
 * to the end is not watching; any other module's `completed` as sent.
 */
function completes(o: Observation, row: Matched): boolean {
  if (o.verb !== VERBS.completed) return false;
  if (row.kind !== 'video') return true;
  const length = o.length ?? row.duration_seconds;
  return length !== null && o.played >= VIDEO_WATCHED_SHARE * length;
}

async function judge({ tx, tenantId, statements, publicUrl }: StoredBatch) {
  const lms = JSON.stringify(lmsAuthority(publicUrl).account);
  const observed = statements.map((s) => observe(s, lms)).filter((o): o is Observation => o !== undefined);
  if (observed.length === 0) return;
  // Which assignment and module each statement is about, by its assignee only (one statement for the batch).
  const matched = await tx.$queryRaw<Matched[]>`
    SELECT a.id::text AS assignment_id, m.id::text AS module_id, a.user_id::text, p.role, o.n, m.kind,
           m.duration_seconds
    FROM jsonb_to_recordset(${JSON.stringify(observed.map((o, n) => ({ ...o, n })))}::jsonb)
         AS o(n int, registration text, "objectId" text, learner text)
    JOIN training_assignments a ON a.tenant_id = ${tenantId}::uuid AND a.id::text = lower(o.registration)
                                AND a.user_id::text = o.learner
    JOIN profiles p ON p.tenant_id = a.tenant_id AND p.id = a.user_id
    JOIN course_modules m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id
                         AND (m.activity_id = o."objectId" OR 'urn:uuid:' || m.id::text = o."objectId")`;
  const byUser = new Map<string, Matched[]>();
  for (const row of matched) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row]);
  for (const [userId, rows] of byUser) {
    await actingAs(tx, { userId, role: rows[0]!.role }, () => record(tx, tenantId, publicUrl, rows, observed));
  }
}

/** One learner's statements into their progress, then what became satisfied. */
async function record(
  tx: CallerTransaction,
  tenantId: string,
  publicUrl: string,
  rows: Matched[],
  observed: Observation[],
) {
  const changes = rows.map((row) => {
    const o = observed[row.n]!;
    const now = new Date().toISOString();
    return {
      assignment: row.assignment_id,
      module: row.module_id,
      user: row.user_id,
      completed: completes(o, row) ? now : null,
      passed: o.verb === VERBS.passed ? now : null,
      failed: o.verb === VERBS.failed ? now : null,
      scaled: o.verb === VERBS.passed || o.verb === VERBS.failed ? o.scaled : null,
      seconds: o.seconds,
      position: o.position,
      terminated: o.verb === VERBS.terminated,
      waived: o.waived,
    };
  });
  const upserted = await tx.$queryRaw<{ id: string; terminated: boolean }[]>`
    WITH merged AS (
      SELECT assignment, module, "user", min(completed) AS completed, min(passed) AS passed, max(failed) AS failed,
             (array_agg(scaled) FILTER (WHERE scaled IS NOT NULL))[1] AS scaled, sum(seconds) AS seconds,
             max(position) AS position, bool_or(terminated) AS terminated, bool_or(waived) AS waived
      FROM jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) AS c(assignment uuid, module uuid, "user" uuid,
        completed timestamptz, passed timestamptz, failed timestamptz, scaled float8, seconds float8, position float8,
        terminated boolean, waived boolean)
      GROUP BY assignment, module, "user"
    ), written AS (
      INSERT INTO module_progress AS p (tenant_id, assignment_id, module_id, user_id, completed_at, passed_at, failed_at,
                                        score_scaled, seconds_spent, position_seconds, waived)
      SELECT ${tenantId}::uuid, assignment, module, "user", completed, passed, failed, greatest(-1, least(1, scaled)),
             seconds, position, waived
      FROM merged
      ON CONFLICT (tenant_id, assignment_id, module_id) DO UPDATE SET
        completed_at = coalesce(p.completed_at, excluded.completed_at),
        passed_at = coalesce(p.passed_at, excluded.passed_at),
        failed_at = coalesce(excluded.failed_at, p.failed_at),
        score_scaled = coalesce(excluded.score_scaled, p.score_scaled),
        seconds_spent = p.seconds_spent + excluded.seconds_spent,
        position_seconds = greatest(p.position_seconds, excluded.position_seconds),
        waived = p.waived OR excluded.waived
      RETURNING p.id, p.assignment_id, p.module_id
    )
    SELECT w.id::text, m.terminated FROM written w
    JOIN merged m ON m.assignment = w.assignment_id AND m.module = w.module_id`;
  // A row written above is changed by a statement of its own: one statement cannot change a row twice. The
  // transaction's time comes from a subquery: a database distributed by tenant allows no now() inside a CASE here.
  const satisfied = await tx.$queryRaw<{ assignment_id: string; fresh: boolean }[]>`
    UPDATE module_progress p
    SET satisfied_at = coalesce(p.satisfied_at, CASE
          WHEN p.waived THEN clock.now
          WHEN m.kind <> 'cmi5_au' THEN CASE WHEN p.completed_at IS NOT NULL THEN clock.now END
          WHEN m.move_on = 'Passed' THEN CASE WHEN p.passed_at IS NOT NULL THEN clock.now END
          WHEN m.move_on = 'Completed' THEN CASE WHEN p.completed_at IS NOT NULL THEN clock.now END
          WHEN m.move_on = 'CompletedAndPassed'
            THEN CASE WHEN p.completed_at IS NOT NULL AND p.passed_at IS NOT NULL THEN clock.now END
          ELSE CASE WHEN p.completed_at IS NOT NULL OR p.passed_at IS NOT NULL THEN clock.now END END),
        session_open = p.session_open AND NOT (p.id::text = ANY(${upserted.filter((r) => r.terminated).map((r) => r.id)}::text[]))
    FROM course_modules m, (SELECT now() AS now) clock
    WHERE p.tenant_id = ${tenantId}::uuid AND p.id::text = ANY(${upserted.map((r) => r.id)}::text[])
      AND m.tenant_id = p.tenant_id AND m.id = p.module_id
    RETURNING p.assignment_id::text, (p.satisfied_at = clock.now) AS fresh`;
  const assignments = [...new Set(satisfied.filter((row) => row.fresh).map((row) => row.assignment_id))];
  if (assignments.length) await courseDone(tx, tenantId, publicUrl, assignments);
}

/** Of these assignments, those whose every required module is now satisfied: `satisfied`, and content evidence. */
async function courseDone(tx: CallerTransaction, tenantId: string, publicUrl: string, assignmentIds: string[]) {
  const done = await tx.$queryRaw<
    { id: string; user_id: string; requires_content: boolean; course_activity: string; score: number | null }[]
  >`
    SELECT a.id::text, a.user_id::text, c.requires_content,
           coalesce(max(m.course_activity_id), 'urn:uuid:' || c.id::text) AS course_activity,
           (avg(greatest(g.score_scaled, 0)) FILTER (WHERE g.score_scaled IS NOT NULL) * 100)::float8 AS score
    FROM training_assignments a
    JOIN training_courses c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
    JOIN course_modules m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id AND m.required
    LEFT JOIN module_progress g ON g.tenant_id = a.tenant_id AND g.assignment_id = a.id AND g.module_id = m.id
    WHERE a.tenant_id = ${tenantId}::uuid AND a.id = ANY(${assignmentIds}::uuid[])
      AND a.status IN ('assigned', 'in_progress', 'overdue')
    GROUP BY a.tenant_id, a.id, c.tenant_id, c.id
    HAVING bool_and(g.satisfied_at IS NOT NULL)`;
  if (done.length === 0) return;
  const satisfiedStatements = done.map((row) =>
    lmsStatement('satisfied', learnerAgent(publicUrl, row.user_id, null), row.course_activity, {
      registration: row.id,
      contextActivities: { category: [{ id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5' }] },
    }),
  );
  await storeStatements(tx, tenantId, satisfiedStatements, lmsAuthority(publicUrl), { publicUrl });
  for (const row of done.filter((r) => r.requires_content)) {
    const score = row.score === null ? null : Math.round(Math.min(100, row.score) * 100) / 100;
    await meetRequirement(tx, tenantId, publicUrl, {
      assignmentId: row.id,
      kind: 'content',
      passed: true,
      score,
      recordedBy: null,
    });
  }
}

onStatementsStored(judge);
