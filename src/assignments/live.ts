import { queryFromInfo } from '@pothos/plugin-prisma';
import type { TrainingAssignment } from '../generated/prisma/client.js';
import { builder } from '../core/builder.js';
import type { CallerContext } from '../core/caller.js';
import type { AssignmentFeed } from '../core/live-events/index.js';
import { notFound } from '../core/errors.js';
import { assertMayReadUser, may } from '../core/permissions.js';
import * as validate from '../core/validate.js';
import { Assignment } from './assignment.js';

/**
 * Live assignments: every assignment created for the subscriber —
 * manual, auto or risk-based, on whichever instance wrote it — shortly after
 * its commit. The hub (src/core/live-events/) hands over ids only; each
 * subscription reads its rows itself, in a transaction as the subscriber (so RLS
 * applies), one read per batch of ids with the sub-fields the client selected.
 */

/** Longest a subscriber's read may take once it has its turn. */
const READ_TIMEOUT_MS = 30_000;

builder.subscriptionType({ authScopes: { authenticated: true } });

builder.subscriptionField('trainingAssignmentCreated', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: Assignment,
    description:
      'Each new assignment for `userId` (a worker: only themselves, the default) or, for an admin, safety officer ' +
      'or integration that omits it, for the whole tenant. Over graphql-ws; if the client falls too far behind, the subscription ends with an error: subscribe again and refetch.',
    args: {
      userId: t.arg.id({ description: 'Whose assignments; omit it for your own (worker) or the whole tenant.' }),
    },
    subscribe: async (_root, args, context, info) => {
      const caller = context.caller;
      const userId = await subscribedUser(context, args.userId);
      const query = queryFromInfo({ context, info });
      const feed = context.services.liveEvents.assignmentsCreated({ tenantId: caller.tenantId, userId });
      return rowsOf(feed, (ids) =>
        feed.read(() =>
          // One transaction as the subscriber (RLS applies) rather than `context.db`: with
          // nested relations it measured several times cheaper, and a burst makes thousands
          // of these reads. Its timeout is generous: the hub, not Prisma, paces them.
          context.transaction(
            (tx) =>
              tx.trainingAssignment.findMany({
                ...query,
                where: { id: { in: ids }, tenantId: caller.tenantId },
                orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
              }),
            { timeout: READ_TIMEOUT_MS },
          ),
        ),
      );
    },
    resolve: (assignment) => assignment,
  }),
);

/** Whose assignments the caller may follow: a worker only their own; others the tenant's or one user's. */
async function subscribedUser(context: CallerContext, userIdArg: string | null | undefined): Promise<string | null> {
  const caller = context.caller;
  if (userIdArg == null) return may(caller.role, 'training.readAnyone') ? null : caller.userId;
  const userId = validate.uuid('userId', userIdArg);
  assertMayReadUser(context, userId);
  if (userId !== caller.userId) {
    // Under RLS another tenant's user is as absent as an unknown one: nothing leaks either way.
    const known = await context.db.profile.count({ where: { id: userId, tenantId: caller.tenantId } });
    if (!known) throw notFound('User');
  }
  return userId;
}

/**
 * Flattens batches of ids into rows, one load per batch. Hand-written rather
 * than an async generator: a generator parked on `await feed.next()` could not
 * run `return()` until another event arrived, so an unsubscribed client would
 * stay registered; here `return()` reaches the feed at once.
 */
function rowsOf(
  feed: AssignmentFeed,
  /** Undefined: the feed ended before the read's turn came. */
  load: (ids: string[]) => Promise<TrainingAssignment[] | undefined>,
): AsyncIterableIterator<TrainingAssignment> {
  let rows: TrainingAssignment[] = [];
  const iterator: AsyncIterableIterator<TrainingAssignment> = {
    async next() {
      while (rows.length === 0) {
        const batch = await feed.next();
        if (batch.done) return { value: undefined, done: true };
        // Rows the subscriber may not see (or since deleted) are simply absent.
        const loaded = await load(batch.value);
        if (!loaded) return { value: undefined, done: true };
        rows = loaded;
      }
      return { value: rows.shift()!, done: false };
    },
    async return() {
      rows = [];
      await feed.return!();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
