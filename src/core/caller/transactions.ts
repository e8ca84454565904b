import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { APP_ROLE } from '../app-role.js';
import { isConnectionLost } from '../database-errors.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS } from '../db.js';
import type { Role } from '../permissions.js';
import { ClientUse } from './client-use.js';
import { APPLY_CALLER, callerSettingValues } from './settings.js';
import { tenantScoped } from './tenant-scope.js';
import type { Caller, CallerTransaction, TransactionOptions } from './types.js';

/** Transactions as a caller, as a user of the caller's tenant, or as the application role with no caller. */

/**
 * One transaction as the application role with no caller at all: only for the SECURITY DEFINER functions that
 * answer a cross-tenant question narrowly (which tenants a job visits, which e-mails are due, what a public
 * certificate code shows), which RLS rightly answers for no caller. `statementTimeoutMs` bounds a public lookup.
 */
export function runAsAppRole<T>(
  prisma: PrismaClient,
  fn: (tx: CallerTransaction) => Promise<T>,
  options: { statementTimeoutMs?: number } = {},
): Promise<T> {
  const timeout =
    options.statementTimeoutMs === undefined
      ? Prisma.empty
      : Prisma.sql`, 'statement_timeout', ${`${options.statementTimeoutMs}ms`}`;
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT app_set_local('role', ${APP_ROLE}${timeout})`;
    return fn(tx);
  });
}

/**
 * Runs `fn` inside `tx` (a transaction as a caller) as a user of the same tenant with `role`, then as before: for
 * trusted work that records what the user's own action would have, under the user's RLS (a scheduled job closing
 * the user's timed-out quiz attempt). If `fn` fails, the transaction fails with it.
 */
export async function actingAs<T>(
  tx: CallerTransaction,
  user: { userId: string; role: Role },
  fn: () => Promise<T>,
): Promise<T> {
  const [before] = await tx.$queryRaw<{ user_id: string; role: string }[]>`
    SELECT current_setting('app.user_id', true) AS user_id, current_setting('app.role', true) AS role`;
  await tx.$executeRaw`SELECT app_set_local('app.user_id', ${user.userId}, 'app.role', ${user.role})`;
  const result = await fn();
  await tx.$executeRaw`SELECT app_set_local('app.user_id', ${before!.user_id}, 'app.role', ${before!.role})`;
  return result;
}

/** Thrown out of a dry run's transaction to roll it back, carrying what the run would have returned. */
class DryRunRollback<T> extends Error {
  constructor(readonly result: T) {
    super('dry run: rolled back');
  }
}

/**
 * Times a transaction is opened when its pooled connection turns out to be dead before `fn` ran. A session
 * terminated while idle in the pool (an operator, a failover, a pooler) is found dead only by the next
 * statement on it: that request did nothing on it yet, so it opens the transaction again on another
 * connection instead of failing for a session that was never its own.
 */
const OPEN_ATTEMPTS = 3;

/** A statement through a transaction's client after the transaction's function returned (by code kept past it). */
const transactionEnded = () => new Error("statement after the caller's transaction ended");

/**
 * Runs `fn` in one transaction as the caller: RLS governs every statement inside. The transaction ends once `fn`
 * has settled and each statement it started has answered: a function that throws while statements of its run
 * (siblings in a `Promise.all`, resolvers graphql-js stopped waiting for) are still under way would otherwise
 * have its ROLLBACK sent over them, and fail them.
 */
export async function runAsCaller<T>(
  prisma: PrismaClient,
  caller: Caller,
  fn: (tx: CallerTransaction) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  const { dryRun, ...limits } = options ?? {};
  const timeout = limits.timeout ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    let began = false;
    try {
      return await prisma.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(APPLY_CALLER, ...callerSettingValues(caller, timeout));
          began = true;
          const use = new ClientUse(transactionEnded);
          let result: T;
          try {
            result = await fn(use.guard(tenantScoped(tx, caller.tenantId)));
          } finally {
            // Prisma's COMMIT or ROLLBACK goes out only after every statement `fn` started has answered.
            await use.end();
          }
          if (dryRun) throw new DryRunRollback(result);
          return result;
        },
        { ...limits, timeout },
      );
    } catch (error) {
      if (error instanceof DryRunRollback) return error.result as T;
      if (began || attempt >= OPEN_ATTEMPTS || !isConnectionLost(error)) throw error;
    }
  }
}
