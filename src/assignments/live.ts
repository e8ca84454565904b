import { queryFromInfo } from '@pothos/plugin-prisma';
import {
  execute,
  getNamedType,
  isObjectType,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { TrainingAssignment } from '../generated/prisma/client.js';
import { builder } from '../core/builder.js';
import {
  tenantDeliveryContext,
  runAsCaller,
  type CallerContext,
  type CallerTransaction,
} from '../core/caller/index.js';
import type { Delivery, Preshaped } from '../core/live-events/index.js';
import { notFound } from '../core/errors.js';
import { compileJsonPage, readJsonPageIn } from '../core/json-page-sql.js';
import { graphqlJsonText, plainObjectsSql, plainSelectionOf, type PlainSelection } from '../core/plain-pages/index.js';
import { todayUtc } from '../core/today.js';
import { may } from '../core/permissions.js';
import { assertMayReadUser } from '../users/access.js';
import * as validate from '../core/validate.js';
import { Assignment } from './assignment.js';
import { ASSIGNMENT_TABLE } from './assignment-sql.js';
import { assignmentCreated } from './live-channel.js';
import { visibleAssignments } from './live-sql.js';
import { isShareableSelection, operationDocument, selectionKey } from './live-selection.js';

/**
 * Live assignments: every assignment created for the subscriber — manual, auto
 * or risk-based, on whichever instance wrote it — shortly after its commit.
 *
 * The hub (src/core/live-events/) hears the `assignmentCreated` channel
 * (live-channel.ts), hands over ids and batches many subscribers of one tenant
 * together; `deliverAssignments` then serves the whole batch with:
 * one visibility statement (live-sql.ts: every subscriber's tenant, user and role
 * joined to the new rows through the same SQL function the RLS policy calls);
 * one read of the visible rows per selection, with the sub-fields that selection
 * asks for (shaped as JSON by PostgreSQL when the selection compiles); one
 * graphql-js execution per (row, selection), serialized once by the hub's
 * `preshape`; and that payload pushed to every subscriber that may see the row. Nothing runs per subscriber
 * but the push. A shared selection of plain fields only (core/plain-pages) skips graphql-js: its read returns
 * each row's response text, written by PostgreSQL as graphql-js would (`preshapeData`).
 * Selections that reach viewer-dependent fields
 * (live-selection.ts) are read and shaped as their viewer, once per viewer and
 * selection.
 */

/** Longest a delivery's transaction may take: the hub, not Prisma, paces them. */
const DELIVERY_TIMEOUT_MS = 30_000;
/** Rows of a viewer-dependent selection shaped at once (each may read). */
const VIEWER_SHAPING_CONCURRENCY = 8;

export interface LiveSubscriber {
  context: CallerContext;
  filterUserId: string | null;
  /** Subscribers with equal keys (in one tenant) get the same payload for the same row. */
  groupKey: string;
  /** Shaped once for everyone allowed to see the row, or as this subscriber (viewer-dependent fields). */
  shared: boolean;
  /** A shared selection of plain fields: PostgreSQL writes its payloads. */
  plain: PlainSelection | null;
  /** Prisma's select for the sub-fields this selection asks for. */
  query: Awaited<ReturnType<typeof queryFromInfo>>;
  /** The subscribe-time resolve info: planning it again on a shaping context tells Pothos what each row holds. */
  info: GraphQLResolveInfo;
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variableValues: Record<string, unknown>;
}

builder.subscriptionType({ authScopes: { authenticated: true } });

builder.subscriptionField('trainingAssignmentCreated', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: Assignment,
    description:
      'Each new assignment for `userId` (a worker: only themselves, the default) or, for an admin, safety officer ' +
      'or integration that omits it, for the whole tenant. Over graphql-ws; if the client falls too far behind, the connection is closed with 4410 (SUBSCRIPTION_DROPPED): subscribe again and refetch.',
    args: {
      userId: t.arg.id({ description: 'Whose assignments; omit it for your own (worker) or the whole tenant.' }),
    },
    subscribe: async (_root, args, context, info) => {
      const caller = context.caller;
      const filterUserId = await subscribedUser(context, args.userId);
      const returned = getNamedType(info.returnType);
      const shared =
        isObjectType(returned) &&
        isShareableSelection(info.schema, returned, info.fieldNodes[0]?.selectionSet, info.fragments);
      const key = selectionKey(info);
      const subscriber: LiveSubscriber = {
        context,
        filterUserId,
        groupKey: shared ? key : `${key}:${caller.role}:${caller.userId}`,
        shared,
        plain: shared ? plainSelectionOf(info) : null,
        query: await queryFromInfo({ context, info }),
        info,
        schema: info.schema,
        document: operationDocument(info),
        operationName: info.operation.name?.value,
        variableValues: info.variableValues,
      };
      return context.services.liveEvents.subscribe(
        assignmentCreated,
        { tenantId: caller.tenantId, userId: filterUserId },
        subscriber,
        deliverAssignments,
      );
    },
    // Pothos requires it, graphql-js never calls it here: every event is preshaped and written as it is.
    resolve: (event) => event as unknown as TrainingAssignment,
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

interface Group {
  first: LiveSubscriber;
  ids: Set<string>;
  /** Shaped payloads by row id. */
  payloads: Map<string, Preshaped>;
}

/** A row of a plain selection: its id and the JSON text of its response's `data`. */
interface ShapedRow {
  id: string;
  data: string;
}

/** Payloads are matched to subscribers by id: any order will do, and the compiled read needs one. */
const READ_ORDER = { id: 'asc' } as const;

/**
 * The rows of a group, with the sub-fields its selection asks for: in one statement
 * shaped by PostgreSQL when the selection compiles (core/json-page-sql.ts, the same
 * compiler as the hot page reads), else through Prisma.
 */
async function readRows(tx: CallerTransaction, tenantId: string, group: Group): Promise<TrainingAssignment[]> {
  const where = { tenantId, id: { in: [...group.ids] } };
  const compiled = group.first.context.services.config.compiledReads
    ? compileJsonPage(ASSIGNMENT_TABLE, group.first.query, where, READ_ORDER, false)
    : undefined;
  if (compiled) return (await readJsonPageIn<TrainingAssignment>(tx, compiled)).rows;
  return tx.trainingAssignment.findMany({ ...group.first.query, where });
}

/** A plain shared group's rows as PostgreSQL writes their responses; undefined when graphql-js shapes them. */
async function readShaped(tx: CallerTransaction, tenantId: string, group: Group): Promise<ShapedRow[] | undefined> {
  const { first } = group;
  const { config } = first.context.services;
  if (!first.plain || !config.compiledReads || !config.plainPages) return undefined;
  const where = { tenantId, id: { in: [...group.ids] } };
  const statement = plainObjectsSql(first.plain, ASSIGNMENT_TABLE, where, { tenantId, today: todayUtc() });
  return statement && tx.$queryRaw<ShapedRow[]>(statement);
}

/** Serves one batch of a tenant's subscribers (see the top of this file). */
export const deliverAssignments: Delivery = async (tenantId, batch, shaping) => {
  const subscribers = batch.map(({ feed }) => feed.subscriber as LiveSubscriber);
  const services = subscribers[0]!.context.services;
  const groups = new Map<string, Group>();
  const rows = new Map<Group, TrainingAssignment[]>();
  const shaped = new Map<Group, ShapedRow[]>();
  let visible: string[][] = [];
  // As the tenant's `service` role: RLS keeps everything inside the tenant; the
  // visibility function narrows each subscriber to what its own read would return.
  await runAsCaller(
    services.prisma,
    { tenantId, userId: '', role: 'service' },
    async (tx) => {
      visible = await visibleAssignments(
        tx,
        tenantId,
        batch.map(({ keys }, index) => {
          const { context, filterUserId } = subscribers[index]!;
          const { caller } = context;
          return {
            tenantId: caller.tenantId,
            userId: caller.userId || null,
            role: caller.role,
            filterUserId,
            ids: keys,
          };
        }),
      );
      visible.forEach((ids, index) => {
        if (ids.length === 0) return;
        const subscriber = subscribers[index]!;
        let group = groups.get(subscriber.groupKey);
        if (!group)
          groups.set(subscriber.groupKey, (group = { first: subscriber, ids: new Set(), payloads: new Map() }));
        for (const id of ids) group.ids.add(id);
      });
      for (const group of groups.values()) {
        if (!group.first.shared) continue;
        const written = await readShaped(tx, tenantId, group);
        if (written) shaped.set(group, written);
        else rows.set(group, await readRows(tx, tenantId, group));
      }
    },
    { timeout: DELIVERY_TIMEOUT_MS },
  );
  for (const group of groups.values()) {
    if (group.first.shared) continue;
    // Viewer-dependent fields: read as the viewer, so RLS shapes the nested data too.
    rows.set(
      group,
      await group.first.context.transaction((tx) => readRows(tx, tenantId, group), { timeout: DELIVERY_TIMEOUT_MS }),
    );
  }

  // One execution per (row, selection). Shared selections run all their rows at
  // once in one context per selection, so the fields that load (names) are batched by their
  // loaders; viewer-dependent ones may read per row, so a few rows at a time: a
  // flood of them must not queue hundreds of reads ahead of other tenants' deliveries.
  await shaping.time(async () => {
    for (const [group, written] of shaped) {
      for (const row of written) group.payloads.set(row.id, shaping.preshapeData(graphqlJsonText(row.data)));
    }
    for (const [group, loaded] of rows) {
      const { first } = group;
      const contextValue = first.shared ? tenantDeliveryContext(services, tenantId) : { ...first.context };
      // Planned on this context too, so Pothos resolves the relations from the rows read above
      // instead of loading them again row by row.
      queryFromInfo({ context: contextValue, info: first.info });
      const shape = async (row: TrainingAssignment) => {
        const result: ExecutionResult = await execute({
          schema: first.schema,
          document: first.document,
          operationName: first.operationName,
          variableValues: first.variableValues,
          rootValue: row,
          contextValue,
        });
        group.payloads.set(row.id, shaping.preshape(result));
      };
      const step = first.shared ? loaded.length : VIEWER_SHAPING_CONCURRENCY;
      for (let start = 0; start < loaded.length; start += step) {
        await Promise.all(loaded.slice(start, start + step).map(shape));
      }
    }
  });

  batch.forEach(({ feed }, index) => {
    const group = groups.get(subscribers[index]!.groupKey);
    if (!group) return;
    const payloads: Preshaped[] = [];
    for (const id of visible[index]!) {
      const payload = group.payloads.get(id);
      if (payload) payloads.push(payload);
    }
    feed.push(payloads);
  });
};
