import pg from 'pg';
import { APP_ROLE } from '../app-role.js';
import type { Caller } from './caller.js';

/**
 * The settings every transaction as the caller applies first, by name, and their values for a caller.
 * statement_timeout matches the transaction's timeout: a statement of a request the API has given up on
 * is cancelled by PostgreSQL instead of running on and holding a pooled connection.
 */
const CALLER_SETTINGS = [
  'role',
  'app.tenant_id',
  'app.user_id',
  'app.role',
  'app.request_id',
  'statement_timeout',
] as const;

/** Where the request id is among `callerSettingValues` (tracing finds a transaction's request by it). */
export const REQUEST_ID_SETTING = CALLER_SETTINGS.indexOf('app.request_id');

export function callerSettingValues(caller: Caller, timeoutMs: number): string[] {
  return [APP_ROLE, caller.tenantId, caller.userId, caller.role, caller.requestId ?? '', `${timeoutMs}ms`];
}

/**
 * The caller's settings as one statement, values as parameters (`callerSettingValues`). `app_set_local` applies
 * each with SET LOCAL, which a distributed database (Citus) sends on to every node of the transaction, where a
 * set_config(…, true) would stay on the node that ran it and leave RLS there without a caller.
 */
export const APPLY_CALLER = `SELECT app_set_local(${CALLER_SETTINGS.map((name, index) => `'${name}', $${index + 1}`).join(', ')})`;

/**
 * BEGIN and the caller's settings as one script (one round trip) for a read lane, values as literals: the
 * simple-query protocol that runs a script takes no parameters. Through `app_set_local`, not SET LOCAL statements
 * in the script: Citus passes each SET LOCAL on to the workers by its query's text, which for a statement of a
 * script is the whole script. READ ONLY: a query operation only reads, and a resolver that tried to write in one
 * would fail rather than write. A session left idle inside the transaction (a request that never ended it) is
 * closed by PostgreSQL after the timeout.
 */
export function beginAsCaller(caller: Caller, timeoutMs: number, readOnly = true): string {
  const values = callerSettingValues(caller, timeoutMs);
  const applied = CALLER_SETTINGS.map((name, index) => `'${name}', ${pg.escapeLiteral(values[index]!)}`);
  applied.push(`'idle_in_transaction_session_timeout', '${timeoutMs}ms'`);
  return `BEGIN${readOnly ? ' READ ONLY' : ''}; SELECT app_set_local(${applied.join(', ')})`;
}
