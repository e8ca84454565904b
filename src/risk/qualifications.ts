import { builder } from '../core/builder.js';
import type { CallerContext } from '../core/caller/index.js';
import { badInput, subscriptionDropped } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { Course } from '../courses/course.js';
import { User } from '../users/user.js';
import { qualificationChanged } from './live-channel.js';
import { qualificationRows, type QualificationRow, type QualificationTarget } from './qualifications-sql.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import { Rule } from '../core/field-rules.js';

/** How many missing courses the query cost assumes per user (src/core/limits.ts). */
const PRICED_REQUIRED_COURSES = 20;

/**
 * Who is qualified now on a zone or a piece of equipment (`qualifications`), and
 * each change of it, live (`qualificationChanged`).
 *
 * The subscription follows the `qualification_changed` NOTIFY channel
 * (live-channel.ts) on the live-event hub's one session: the writes announce, in
 * their transaction, the users a completion, a cancellation, a revoked certificate,
 * a new shift or operator concerns, or the whole tenant for a required course added
 * or changed (`announceQualificationChange`, users/qualification-change.ts); the
 * scheduler announces completions that expired at the change of day.
 * Each subscriber re-reads only the announced users of its zone or equipment,
 * under its own RLS, one announcement after the other, and pushes a user's
 * Qualification only when it differs from the last one it knew. A read that
 * fails (the database went away) is retried, so no change is lost to an outage.
 */

/** Announcements a subscriber may have waiting before it is dropped (its client stopped reading). */
const MAX_PENDING = 10_000;
/**
 * A read that fails (the database went away) is retried after this, doubling up to the maximum, for
 * as long as live deliveries are (the hub's `deliveryRetryMs`); then the subscriber is dropped.
 */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const RETRY_FOR_MS = 120_000;

/** The courses of one list of qualifications, loaded by one query for all of them. */
interface CourseBatch {
  ids: string[];
  loaded?: Promise<Map<string, unknown>>;
}

interface QualificationShape {
  userId: string;
  qualified: boolean;
  missing: string[];
  expiresAt: Date | null;
  courses: CourseBatch;
}

const shapes = (rows: QualificationRow[]): QualificationShape[] => {
  const courses: CourseBatch = { ids: [...new Set(rows.flatMap((row) => row.missing))] };
  return rows.map((row) => ({
    userId: row.user_id,
    qualified: row.qualified,
    missing: row.missing,
    expiresAt: row.expires_at,
    courses,
  }));
};

/** What a subscriber compares to tell a change. */
const fingerprint = (row: QualificationRow) =>
  `${row.qualified}|${row.missing.join(',')}|${row.expires_at ? row.expires_at.toISOString() : ''}`;

export const Qualification = builder.objectRef<QualificationShape>('Qualification').implement({
  description:
    "A user of a zone or piece of equipment against the tenant's required courses of that kind (or GENERAL).",
  fields: (t) => ({
    user: t.field({ type: User, resolve: (row) => ({ id: row.userId }) }),
    qualified: t.exposeBoolean('qualified', { description: 'Holds a current passed completion of every one.' }),
    missingCourses: t.prismaField({
      type: [Course],
      description: 'The required courses they do not hold now.',
      // The query cost prices this list at 20 courses (a tenant's required courses of one kind), not a
      // whole page: one course list per user of a zone, all loaded by one query (below).
      extensions: { [MAX_ITEMS_EXTENSION]: PRICED_REQUIRED_COURSES },
      resolve: async (query, row, _args, context) => {
        const { select, ...rest } = query as { select?: Record<string, unknown> };
        if (row.missing.length === 0) return [];
        // Every row's `missingCourses` has the same selection, so the first one's query serves them all.
        row.courses.loaded ??= context.db.trainingCourse
          .findMany({
            ...rest,
            ...(select ? { select: { ...select, id: true } } : {}),
            where: { id: { in: row.courses.ids }, tenantId: context.caller!.tenantId },
          })
          .then((courses) => new Map(courses.map((course) => [course.id, course])));
        const loaded = await row.courses.loaded;
        return row.missing.flatMap((id) => {
          const course = loaded.get(id);
          return course ? [course as Awaited<ReturnType<typeof context.db.trainingCourse.findUniqueOrThrow>>] : [];
        });
      },
    }),
    expiresAt: t.field({
      type: 'Date',
      nullable: true,
      description: 'The earliest expiry among the current completions that qualify them; null: none expires.',
      resolve: (row) => row.expiresAt,
    }),
  }),
});

const ZONE_ID = 'The zone (its users: a shift ending in the last 30 days or later).';
const EQUIPMENT_ID = 'The piece of equipment (its operators).';

/** Exactly one of zoneId and equipmentId. */
function targetOf(args: { zoneId?: string | null; equipmentId?: string | null }): QualificationTarget {
  const zone = args.zoneId ?? null;
  const equipment = args.equipmentId ?? null;
  if ((zone === null) === (equipment === null)) {
    throw badInput(
      zone === null ? 'zoneId' : 'equipmentId',
      'give exactly one of zoneId and equipmentId',
      Rule.exactlyOneOf,
      {
        fields: 'zoneId, equipmentId',
      },
    );
  }
  return zone !== null
    ? { kind: 'zone', id: validate.uuid('zoneId', zone) }
    : { kind: 'equipment', id: validate.uuid('equipmentId', equipment!) };
}

builder.queryField('qualifications', (t) =>
  t.withAuth({ may: 'risk.oversee' }).field({
    type: [Qualification],
    description:
      'Who is qualified now on a zone or a piece of equipment (exactly one argument; admin, safety officer, ' +
      "integration): each of its users against the tenant's required courses of that entity type or GENERAL.",
    args: { zoneId: t.arg.id({ description: ZONE_ID }), equipmentId: t.arg.id({ description: EQUIPMENT_ID }) },
    resolve: async (_root, args, context) => {
      const target = targetOf(args);
      const rows = await context.transaction((tx) => qualificationRows(tx, context.caller.tenantId, target));
      return shapes(rows);
    },
  }),
);

/** The announcement on `qualification_changed`, if it is one this tenant's subscriber must read. */
function announcedUsers(payload: string, tenantId: string): string[] | null | undefined {
  try {
    const parsed = JSON.parse(payload) as { tenantId?: unknown; users?: unknown; all?: unknown };
    if (parsed.tenantId !== tenantId) return undefined;
    if (parsed.all === true) return null;
    return Array.isArray(parsed.users) && parsed.users.every((id) => typeof id === 'string')
      ? (parsed.users as string[])
      : undefined;
  } catch {
    return undefined;
  }
}

builder.subscriptionField('qualificationChanged', (t) =>
  t.withAuth({ may: 'risk.oversee' }).field({
    type: Qualification,
    description:
      "Each change of a user's Qualification on a zone or piece of equipment (exactly one argument): a completion, " +
      'a cancellation, an expiry at the change of day, a revoked certificate, a new required course, a new shift or operator.',
    args: { zoneId: t.arg.id({ description: ZONE_ID }), equipmentId: t.arg.id({ description: EQUIPMENT_ID }) },
    subscribe: (_root, args, context) => qualificationFeed(context, targetOf(args)),
    resolve: (row) => row,
  }),
);

/**
 * The subscriber's stream: the starting point is read first, then the channel
 * followed and everyone re-read once (a change committed between the two is
 * caught there), then announcements are evaluated strictly one after the other,
 * so changes arrive in commit order.
 */
async function qualificationFeed(
  context: CallerContext,
  target: QualificationTarget,
): Promise<AsyncIterableIterator<QualificationShape>> {
  const tenantId = context.caller.tenantId;
  const read = (users: readonly string[] | null) =>
    context.transaction((tx) => qualificationRows(tx, tenantId, target, users));
  const known = new Map<string, string>();
  for (const row of await read(null)) known.set(row.user_id, fingerprint(row));

  const ready: QualificationShape[] = [];
  let waiting: { resolve(result: IteratorResult<QualificationShape>): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  let done = false;
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();

  const emit = (rows: QualificationRow[]) => {
    const changed = rows.filter((row) => known.get(row.user_id) !== fingerprint(row));
    for (const row of changed) known.set(row.user_id, fingerprint(row));
    for (const shape of shapes(changed)) {
      const pull = waiting;
      waiting = undefined;
      if (pull) pull.resolve({ value: shape, done: false });
      else ready.push(shape);
    }
  };
  const fail = (error: unknown) => {
    if (done) return;
    failure = error instanceof Error ? error : new Error(String(error));
    finish();
  };
  /** Reads and emits, retrying a failed read (it changed nothing) until it has failed for RETRY_FOR_MS. */
  const evaluate = async (users: readonly string[] | null) => {
    const firstTry = Date.now();
    for (let attempt = 0; !done; attempt++) {
      try {
        return emit(await read(users));
      } catch (error) {
        if (Date.now() - firstTry >= RETRY_FOR_MS) {
          context.log.error({ err: error }, 'qualificationChanged: reading the changes kept failing');
          return fail(subscriptionDropped(`its changes could not be read for ${RETRY_FOR_MS / 1000} s`));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt)));
      }
    }
  };
  const enqueue = (users: readonly string[] | null) => {
    if (done) return;
    if (++pending > MAX_PENDING) return fail(subscriptionDropped(`fell more than ${MAX_PENDING} changes behind`));
    chain = chain
      .then(() => evaluate(users))
      .catch(fail)
      .finally(() => pending--);
  };
  const unfollow = context.services.liveEvents.follow(qualificationChanged, {
    payload(payload) {
      const users = announcedUsers(payload, tenantId);
      if (users !== undefined) enqueue(users);
    },
    resumed: () => enqueue(null),
  });
  enqueue(null);

  function finish() {
    if (done) return;
    done = true;
    unfollow();
    const pull = waiting;
    waiting = undefined;
    if (pull && failure) {
      const error = failure;
      failure = undefined;
      pull.reject(error);
    } else pull?.resolve({ value: undefined, done: true });
  }

  const iterator: AsyncIterableIterator<QualificationShape> = {
    next() {
      if (ready.length) return Promise.resolve({ value: ready.shift()!, done: false });
      if (failure) {
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      failure = undefined;
      ready.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
