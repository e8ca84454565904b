import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { parsePrismaSchema, type PrismaField, type PrismaModel } from '../support/prisma-schema.js';
import { owner } from '../support/sql.js';

/**
 * `schema.prisma` and the migrated database agree.
 * Migrations are hand-written SQL, so nothing else keeps the two in step: every
 * model field must be a column of the right type, nullability and default, and
 * the database must hold no column, index or foreign key the schema does not know.
 */

let db: TestDatabase;
const models = parsePrismaSchema();

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db.drop());

/** How a column looks, in PostgreSQL's type names (uuid, text, integer, numeric, boolean, timestamptz, date). */
interface ColumnShape {
  column: string;
  type: string;
  nullable: boolean;
  /** numeric(p,s) / timestamp(p); null where unconstrained or not applicable. */
  precision: number | null;
  scale: number | null;
  default: string | null;
}

const SQL_TYPE_NAMES: Record<string, string> = {
  uuid: 'uuid',
  text: 'text',
  varchar: 'varchar',
  int4: 'integer',
  int8: 'bigint',
  float8: 'double precision',
  numeric: 'numeric',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  timestamp: 'timestamp',
  date: 'date',
  jsonb: 'jsonb',
  bytea: 'bytea',
};

function nativeArgs(nativeType: string | undefined): number[] {
  const inner = /\(([^)]*)\)/.exec(nativeType ?? '')?.[1];
  return inner ? inner.split(',').map((n) => Number(n.trim())) : [];
}

/** The column Prisma's PostgreSQL connector would create for a field (its documented type mapping). */
function expectedColumn(field: PrismaField): ColumnShape {
  const native = field.nativeType?.replace(/\(.*$/, '');
  const args = nativeArgs(field.nativeType);
  let type: string;
  let precision: number | null = null;
  let scale: number | null = null;
  switch (field.type) {
    case 'String':
      type = native === 'Uuid' ? 'uuid' : native === 'VarChar' ? 'varchar' : 'text';
      break;
    case 'Int':
      type = 'integer';
      break;
    case 'BigInt':
      type = 'bigint';
      break;
    case 'Float':
      type = 'double precision';
      break;
    case 'Boolean':
      type = 'boolean';
      break;
    case 'Decimal':
      type = 'numeric';
      // Prisma's default is Decimal(65,30); a bare @db.Decimal is an unconstrained numeric.
      [precision, scale] = native === undefined ? [65, 30] : [args[0] ?? null, args[1] ?? (args[0] ? 0 : null)];
      break;
    case 'DateTime':
      if (native === 'Date') {
        type = 'date';
        precision = 0;
      } else {
        type = native === 'Timestamptz' ? 'timestamptz' : 'timestamp';
        precision = native === undefined ? 3 : (args[0] ?? 6);
      }
      break;
    case 'Json':
      type = 'jsonb';
      break;
    case 'Bytes':
      type = 'bytea';
      break;
    default:
      throw new Error(`no column mapping for ${field.type}`);
  }
  if (field.list) {
    type = `${type}[]`;
    // information_schema gives an array column no precision (a date[] has none, where a date has 0).
    precision = null;
  }
  return {
    column: field.column,
    type,
    nullable: field.optional,
    precision,
    scale,
    default: expectedDefault(field),
  };
}

/** The column default PostgreSQL reports for a Prisma `@default(...)`. */
function expectedDefault(field: PrismaField): string | null {
  const value = field.default;
  if (value === undefined) return null;
  if (value === 'now()') return 'now()';
  if (value === '[]') return `'{}'::${field.type === 'String' ? 'text' : field.type.toLowerCase()}[]`;
  const generated = /^dbgenerated\("(.*)"\)$/.exec(value);
  if (generated) return generated[1]!;
  const text = /^"(.*)"$/.exec(value);
  if (text) return `'${text[1]}'::${field.type === 'Json' ? 'jsonb' : 'text'}`;
  return value; // true, false, numbers
}

interface DbColumn {
  table: string;
  column: string;
  udt: string;
  nullable: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  default: string | null;
}

async function databaseColumns(table: string): Promise<ColumnShape[]> {
  const rows = await owner(db).query<DbColumn>(
    `SELECT column_name AS column, udt_name AS udt, is_nullable AS nullable, numeric_precision::int AS numeric_precision,
            numeric_scale::int AS numeric_scale, datetime_precision::int AS datetime_precision, column_default AS default
     FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`,
    [table],
  );
  return rows.map((row) => ({
    column: row.column,
    // An array's udt is its element's with a leading underscore (_text).
    type: row.udt.startsWith('_')
      ? `${SQL_TYPE_NAMES[row.udt.slice(1)] ?? row.udt.slice(1)}[]`
      : (SQL_TYPE_NAMES[row.udt] ?? row.udt),
    nullable: row.nullable === 'YES',
    precision: row.udt === 'numeric' ? row.numeric_precision : row.datetime_precision,
    scale: row.udt === 'numeric' ? row.numeric_scale : null,
    default: row.default,
  }));
}

function columnOf(model: PrismaModel, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field) throw new Error(`${model.name} has no field ${fieldName}`);
  return field.column;
}

/**
 * Relations with no foreign key in SQL: a renewal's completion would close a foreign-key cycle with
 * completions.assignment_id, which a cluster distributing by tenant cannot create (20261211300000_tenant_keys).
 */
const UNENFORCED_RELATIONS = new Set(['TrainingAssignment.recertificationOf']);

const byColumn = (a: { column: string }, b: { column: string }) => a.column.localeCompare(b.column);

describe('schema.prisma and the migrated database', () => {
  it('reads the same models and scalar fields as the generated Prisma client', () => {
    // Guards the small schema reader (and a stale `prisma generate`): both must see the same fields.
    expect(models.map((m) => m.name).sort()).toEqual(Object.values(Prisma.ModelName).sort());
    const generated = Prisma as unknown as Record<string, Record<string, string>>;
    for (const model of models) {
      const scalarFields = generated[`${model.name}ScalarFieldEnum`];
      expect(scalarFields, model.name).toBeDefined();
      expect(
        model.columns.map((f) => f.name),
        model.name,
      ).toEqual(Object.keys(scalarFields!));
    }
  });

  it('has exactly one table per model (besides _prisma_migrations)', async () => {
    const tables = await owner(db).query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
       ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(models.map((m) => m.table).sort());
  });

  it.each(models.map((m) => [m.name, m] as const))(
    '%s: every field is a column of the same type, nullability and default, and no column is unknown',
    async (_name, model) => {
      const expected = model.columns.map(expectedColumn).sort(byColumn);
      const actual = await databaseColumns(model.table);
      expect(actual).toEqual(expected);
    },
  );

  it.each(models.map((m) => [m.name, m] as const))(
    '%s: every @@index/@@unique/@id is an index on the same columns, and no plain index is undeclared',
    async (_name, model) => {
      const tenantTable = model.columns.some((f) => f.column === 'tenant_id');
      const keys = model.indexes.map((index) => ({
        unique: index.unique,
        columns: index.fields.map((f) => columnOf(model, f)).join(','),
      }));
      // A tenant model's `id @id` is the primary key (tenant_id, id) in SQL, like its @@unique([tenantId, id]).
      const expected = keys
        .map((key) => (tenantTable && key.unique && key.columns === 'id' ? { ...key, columns: 'tenant_id,id' } : key))
        .filter((key, i, all) => all.findIndex((k) => k.unique === key.unique && k.columns === key.columns) === i)
        .sort((a, b) => a.columns.localeCompare(b.columns) || Number(a.unique) - Number(b.unique));
      const actual = await owner(db).query<{ unique: boolean; columns: string }>(
        `SELECT i.indisunique AS unique,
                (SELECT string_agg(a.attname, ',' ORDER BY k.o)
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, o)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns
         FROM pg_index i
         WHERE i.indrelid = to_regclass($1) AND i.indpred IS NULL`, // partial indexes are checked below
        [`public.${model.table}`],
      );
      actual.sort((a, b) => a.columns.localeCompare(b.columns) || Number(a.unique) - Number(b.unique));
      expect(actual).toEqual(expected);
    },
  );

  it('has a foreign key for every relation, on the same columns, and none the schema does not declare', async () => {
    const tableOf = new Map(models.map((m) => [m.name, m]));
    const expected = models
      .flatMap((model) =>
        model.fields
          .filter((f) => f.relation && f.relation.fields.length > 0)
          .filter((f) => !UNENFORCED_RELATIONS.has(`${model.name}.${f.name}`))
          .map((f) => {
            const target = tableOf.get(f.type)!;
            return {
              table: model.table,
              columns: f.relation!.fields.map((name) => columnOf(model, name)).join(','),
              target: target.table,
              referenced: f.relation!.references.map((name) => columnOf(target, name)).join(','),
            };
          }),
      )
      .sort((a, b) => `${a.table}.${a.columns}`.localeCompare(`${b.table}.${b.columns}`));
    const actual = await owner(db).query<{ table: string; columns: string; target: string; referenced: string }>(
      `SELECT c.conrelid::regclass::text AS table,
              (SELECT string_agg(a.attname, ',' ORDER BY k.o) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, o)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
              c.confrelid::regclass::text AS target,
              (SELECT string_agg(a.attname, ',' ORDER BY k.o) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, o)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS referenced
       FROM pg_constraint c
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`,
    );
    actual.sort((a, b) => `${a.table}.${a.columns}`.localeCompare(`${b.table}.${b.columns}`));
    expect(actual).toEqual(expected);
  });

  it('keeps "one active assignment per (tenant, course, user)" as a partial unique index', async () => {
    const [index] = await owner(db).query<{ unique: boolean; columns: string; predicate: string }>(
      `SELECT i.indisunique AS unique,
              (SELECT string_agg(a.attname, ',' ORDER BY k.o)
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns,
              pg_get_expr(i.indpred, i.indrelid) AS predicate
       FROM pg_index i
       WHERE i.indexrelid = to_regclass('public.training_assignments_one_active_per_user_course')
         AND i.indrelid = 'public.training_assignments'::regclass`,
    );
    expect(index).toBeDefined();
    expect(index!.unique).toBe(true);
    expect(index!.columns).toBe('tenant_id,course_id,user_id');
    const statuses = [...index!.predicate.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort();
    expect(statuses).toEqual(['assigned', 'in_progress', 'overdue']);
  });
});
