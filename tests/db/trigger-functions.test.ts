import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';

/**
 * On Citus a tenant table's triggers run on the shard, and the statements of a PL/pgSQL trigger
 * function are planned there again with its variables as parameters. A simple CASE over such a
 * parameter (`CASE TG_OP WHEN 'INSERT' THEN …`) then fails ("operator does not exist: text =
 * boolean"), so the trigger functions of tenant tables use searched CASEs (`CASE WHEN TG_OP = …`).
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db.drop());

/** The body without comments and string literals, which may say anything. */
function code(body: string): string {
  return body
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}

/** A CASE whose next word is not WHEN: the simple form, `CASE <operand> WHEN …`. */
const SIMPLE_CASE = /\bCASE\s+(?!WHEN\b)\S/i;

describe('trigger functions of tenant tables', () => {
  it('the checker tells the simple CASE from the searched one', () => {
    expect(SIMPLE_CASE.test(code("x := CASE TG_OP WHEN 'INSERT' THEN 1 END;"))).toBe(true);
    expect(SIMPLE_CASE.test(code("x := CASE\n   WHEN TG_OP = 'INSERT' THEN 1 END; -- CASE TG_OP WHEN"))).toBe(false);
  });

  it('use no simple CASE (Citus fails to run it on a shard when its operand is a variable)', async () => {
    const functions = await owner(db).query<{ name: string; body: string }>(
      `SELECT DISTINCT p.proname AS name, p.prosrc AS body
       FROM pg_trigger t
       JOIN pg_proc p ON p.oid = t.tgfoid
       JOIN pg_language l ON l.oid = p.prolang
       JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped
       WHERE NOT t.tgisinternal AND l.lanname = 'plpgsql'
       ORDER BY 1`,
    );
    expect(functions.map((fn) => fn.name)).toContain('audit_row_change');
    const simple = functions.filter((fn) => SIMPLE_CASE.test(code(fn.body))).map((fn) => fn.name);
    expect(simple).toEqual([]);
  });
});
