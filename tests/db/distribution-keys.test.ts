import { parse } from 'libpg-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { owner } from '../support/sql.js';

/**
 * The schema can be spread over a cluster that distributes every tenant table by tenant_id (Citus):
 * each key, reference and policy of a tenant table can be checked on the one node that holds the
 * tenant. Read from the migrated catalogue, so a later migration that breaks it fails here, naming
 * the table and the constraint, index or policy.
 */

let db: TestDatabase;
let tenantTables: string[];

beforeAll(async () => {
  db = await freshDatabase();
  const rows = await owner(db).query<{ table: string }>(
    `SELECT c.relname AS table
     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
       AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY 1`,
  );
  tenantTables = rows.map((row) => row.table);
});
afterAll(() => db.drop());

/** Foreign-key actions by pg_constraint's codes. */
const ACTION: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface ForeignKey {
  table: string;
  name: string;
  target: string;
  pairs: string[];
  onUpdate: string;
  onDelete: string;
}

async function foreignKeys(): Promise<ForeignKey[]> {
  const rows = await owner(db).query<Omit<ForeignKey, 'onUpdate' | 'onDelete'> & { upd: string; del: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.confrelid::regclass::text AS target,
            array(SELECT a.attname || '=' || r.attname
                  FROM unnest(c.conkey, c.confkey) AS k(col, ref)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
                  JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = k.ref) AS pairs,
            c.confupdtype AS upd, c.confdeltype AS del
     FROM pg_constraint c
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
     ORDER BY 1, 2`,
  );
  return rows.map(({ upd, del, ...key }) => ({ ...key, onUpdate: ACTION[upd]!, onDelete: ACTION[del]! }));
}

/** Whether a parse tree holds a subquery (EXISTS, IN (SELECT …), ARRAY(SELECT …), a scalar subquery). */
function hasSubLink(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasSubLink);
  if (node === null || typeof node !== 'object') return false;
  return Object.entries(node).some(([key, value]) => key === 'SubLink' || hasSubLink(value));
}

describe('keys of tenant tables hold the distribution column (tenant_id)', () => {
  it('finds the tenant tables', () => {
    expect(tenantTables.length).toBeGreaterThan(20);
    expect(tenantTables).toEqual(expect.arrayContaining(['training_assignments', 'certificates', 'audit_events']));
  });

  it('every primary key, unique constraint and unique index of a tenant table includes tenant_id', async () => {
    const keys = await owner(db).query<{ table: string; index: string; definition: string }>(
      `SELECT i.indrelid::regclass::text AS table, i.indexrelid::regclass::text AS index,
              pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
       WHERE i.indisunique AND i.indrelid::regclass::text = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = i.indrelid AND a.attname = 'tenant_id'
                           AND a.attnum = ANY(i.indkey::int2[]))
       ORDER BY 1, 2`,
      [tenantTables],
    );
    expect(keys.map((key) => `${key.table}: ${key.index} (${key.definition})`)).toEqual([]);
  });

  it('every foreign key between tenant tables pairs tenant_id with tenant_id, and none points from a shared table into one', async () => {
    const tenant = new Set(tenantTables);
    const keys = await foreignKeys();
    expect(keys.length).toBeGreaterThan(30);
    const unscoped = keys.filter(
      (key) => tenant.has(key.table) && tenant.has(key.target) && !key.pairs.includes('tenant_id=tenant_id'),
    );
    expect(unscoped.map((key) => `${key.table}: ${key.name} (${key.pairs.join(', ')})`)).toEqual([]);
    const intoTenants = keys.filter((key) => !tenant.has(key.table) && tenant.has(key.target));
    expect(intoTenants.map((key) => `${key.table}: ${key.name} -> ${key.target}`)).toEqual([]);
  });

  it('no foreign key of a tenant table cascades or nulls on update, or sets null/default on delete', async () => {
    // Refused by Citus on a key that holds the distribution column; ON DELETE CASCADE is accepted.
    const tenant = new Set(tenantTables);
    const refused = (await foreignKeys()).filter(
      (key) =>
        tenant.has(key.table) &&
        (!['NO ACTION', 'RESTRICT'].includes(key.onUpdate) || ['SET NULL', 'SET DEFAULT'].includes(key.onDelete)),
    );
    expect(
      refused.map((key) => `${key.table}: ${key.name} ON UPDATE ${key.onUpdate} ON DELETE ${key.onDelete}`),
    ).toEqual([]);
  });

  it('the foreign keys between tenant tables form no cycle (each table can be distributed after those it references)', async () => {
    const tenant = new Set(tenantTables);
    const edges = new Map<string, ForeignKey[]>();
    for (const key of await foreignKeys()) {
      if (!tenant.has(key.table) || !tenant.has(key.target) || key.table === key.target) continue;
      edges.set(key.table, [...(edges.get(key.table) ?? []), key]);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (table: string, path: ForeignKey[]): void => {
      state.set(table, 'open');
      for (const key of edges.get(table) ?? []) {
        if (state.get(key.target) === 'open') {
          const from = path.findIndex((step) => step.table === key.target);
          cycles.push(
            [...path.slice(from === -1 ? path.length : from), key].map((k) => `${k.table}.${k.name}`).join(' -> '),
          );
        } else if (!state.has(key.target)) visit(key.target, [...path, key]);
      }
      state.set(table, 'done');
    };
    for (const table of tenantTables) if (!state.has(table)) visit(table, []);
    expect(cycles).toEqual([]);
  });
});

describe('row-level security policies of tenant tables', () => {
  it('no policy holds a subquery (Citus refuses them on distributed tables): each tests the row and the settings', async () => {
    const policies = await owner(db).query<{ table: string; name: string; qual: string | null; check: string | null }>(
      `SELECT p.polrelid::regclass::text AS table, p.polname AS name,
              pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p
       WHERE p.polrelid::regclass::text = ANY($1)
       ORDER BY 1, 2`,
      [tenantTables],
    );
    expect(policies.length).toBeGreaterThan(50);
    const withSubqueries: string[] = [];
    for (const policy of policies) {
      for (const [clause, expression] of [
        ['USING', policy.qual],
        ['WITH CHECK', policy.check],
      ] as const) {
        if (expression === null) continue;
        const tree = await parse(`SELECT 1 WHERE ${expression}`);
        if (hasSubLink(tree)) withSubqueries.push(`${policy.table}: ${policy.name} ${clause} ${expression}`);
      }
    }
    expect(withSubqueries).toEqual([]);
  });
});

describe('triggers of tenant tables', () => {
  it('none has a transition table (Citus runs a table’s triggers on each shard, where none exists)', async () => {
    const triggers = await owner(db).query<{ table: string; name: string }>(
      `SELECT t.tgrelid::regclass::text AS table, t.tgname AS name
       FROM pg_trigger t
       WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text = ANY($1)`,
      [tenantTables],
    );
    expect(triggers.length).toBeGreaterThan(20);
    const withTransitionTables = await owner(db).query<{ trigger: string }>(
      `SELECT t.tgrelid::regclass::text || ': ' || t.tgname AS trigger
       FROM pg_trigger t
       WHERE (t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL) AND t.tgrelid::regclass::text = ANY($1)
       ORDER BY 1`,
      [tenantTables],
    );
    expect(withTransitionTables.map((row) => row.trigger)).toEqual([]);
  });

  it('none sends a notification (on a shard, nobody listens: the API announces after its writes)', async () => {
    const notifying = await owner(db).query<{ trigger: string }>(
      `SELECT t.tgrelid::regclass::text || ': ' || t.tgname AS trigger
       FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text = ANY($1)
         AND p.prosrc ~* '(pg_notify|\\mnotify\\M|notify_qualification_changed|announce_assignments_created)'
       ORDER BY 1`,
      [tenantTables],
    );
    expect(notifying.map((row) => row.trigger)).toEqual([]);
  });
});
