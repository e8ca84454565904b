import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { APPLY_CALLER, beginAsCaller } from '../../src/core/caller/settings.js';
import type { SqlConnection } from '../../src/core/db.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

/**
 * The caller's settings (src/core/caller/settings.ts) go out as one statement, `app_set_local`, which applies
 * each with SET LOCAL: the form a distributed database (Citus) passes on to every node of the transaction.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.drop());

const caller = (requestId?: string): Caller => ({
  tenantId: randomUUID(),
  userId: randomUUID(),
  role: 'worker',
  requestId,
});

const current = `SELECT current_user AS role, current_setting('app.tenant_id', true) AS tenant,
                        current_setting('app.user_id', true) AS "user", current_setting('app.role', true) AS "appRole",
                        current_setting('app.request_id', true) AS request, current_setting('statement_timeout') AS timeout`;

/** `fn` in a transaction on one connection, rolled back. */
function inTransaction<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T> {
  return db.withConnection(async (connection) => {
    await connection.exec('BEGIN');
    try {
      return await fn(connection);
    } finally {
      await connection.exec('ROLLBACK');
    }
  });
}

// Text PostgreSQL can hold in a setting (anything but NUL), weighted towards what SQL literals treat specially.
const tricky = fc.constantFrom("'", '"', '\\', "\\'", '$1', '%L', ';', 'NULL', 'E', '\n', ' ', 'ö', '😀', 'a');
const text = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }).filter((value) => !value.includes('\u0000')),
);

describe('the caller settings statement', () => {
  it('is one call of app_set_local, with parameters, and the BEGIN script calls it with literals', () => {
    expect(APPLY_CALLER).toBe(
      "SELECT app_set_local('role', $1, 'app.tenant_id', $2, 'app.user_id', $3, 'app.role', $4, " +
        "'app.request_id', $5, 'statement_timeout', $6)",
    );
    expect(APPLY_CALLER).not.toContain('set_config');
    const script = beginAsCaller(caller('r-1'), 5000);
    expect(script).toMatch(/^BEGIN READ ONLY; SELECT app_set_local\('role', 'training_app', 'app\.tenant_id', '/);
    expect(script).toContain(", 'idle_in_transaction_session_timeout', '5000ms')");
    expect(script).not.toContain('set_config');
  });

  it("makes a transaction the caller's: role, tenant, user, role in the app, request and timeout; none outlives it", async () => {
    const who = caller('request-7');
    const [inside] = await runAsCaller(db.prisma, who, (tx) => tx.$queryRawUnsafe<Record<string, string>[]>(current), {
      timeout: 4000,
    });
    expect(inside).toEqual({
      role: 'training_app',
      tenant: who.tenantId,
      user: who.userId,
      appRole: 'worker',
      request: 'request-7',
      timeout: '4s',
    });
    const [after] = await db.prisma.$queryRawUnsafe<Record<string, string | null>[]>(current);
    expect(after!.role).not.toBe('training_app');
    expect(after!.tenant ?? '').toBe('');
    expect(after!.timeout).toBe('0');
  });
});

describe('app_set_local', () => {
  it('sets each value exactly as given, quotes and backslashes included, for the transaction only', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, async (first, second) => {
        const [row] = await inTransaction(async (connection) => {
          await connection.query("SELECT app_set_local('app.probe', $1, 'app.other', $2)", [first, second]);
          return connection.query<{ probe: string; other: string }>(
            "SELECT current_setting('app.probe') AS probe, current_setting('app.other') AS other",
          );
        });
        expect(row).toEqual({ probe: first, other: second });
      }),
      { numRuns: 60 },
    );
    const [after] = await db.withConnection((connection) =>
      connection.query<{ probe: string | null }>("SELECT current_setting('app.probe', true) AS probe"),
    );
    expect(after!.probe ?? '').toBe('');
  });

  it('quotes the BEGIN script’s literals: a request id of any text arrives as sent', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (requestId) => {
        const who = caller(requestId);
        const [row] = await db.withConnection(async (connection) => {
          await connection.exec(beginAsCaller(who, 3000));
          try {
            return await connection.query<Record<string, string>>(current);
          } finally {
            await connection.exec('ROLLBACK');
          }
        });
        expect(row).toMatchObject({ role: 'training_app', tenant: who.tenantId, request: requestId, timeout: '3s' });
      }),
      { numRuns: 40 },
    );
  });

  it('sets a NULL value back to its default, and refuses an odd number of arguments', async () => {
    const [row] = await inTransaction(async (connection) => {
      await connection.query("SELECT app_set_local('statement_timeout', '7s')");
      await connection.query("SELECT app_set_local('statement_timeout', NULL)");
      return connection.query<{ timeout: string }>("SELECT current_setting('statement_timeout') AS timeout");
    });
    expect(row!.timeout).toBe('0');
    await expect(
      inTransaction((connection) => connection.query("SELECT app_set_local('app.probe', 'a', 'app.other')")),
    ).rejects.toThrow(/pairs/);
  });
});
