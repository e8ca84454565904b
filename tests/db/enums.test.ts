import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSIGNMENT_TYPES, RISK_ENTITY_TYPES } from '../../src/assignments/assignment.js';
import { ASSIGNMENT_STATUSES } from '../../src/assignments/status.js';
import { ROLES } from '../../src/core/permissions.js';
import { COURSE_CATEGORIES, COURSE_ENTITY_TYPES, DIFFICULTY_LEVELS } from '../../src/courses/course.js';
import { COMPLETION_SOURCES } from '../../src/completions/complete-sql.js';
import { EVIDENCE_KINDS } from '../../src/completions/evidence.js';
import { EMAIL_STATUSES, NOTIFICATION_KINDS } from '../../src/notifications/kinds.js';
import { ATTEMPT_STATUSES, QUESTION_KINDS, QUIZ_REVIEWS } from '../../src/quizzes/kinds.js';
import { schema } from '../../src/schema.js';
import { LOGO_TYPES } from '../../src/tenants/branding.js';
import { LAUNCH_METHODS, MOVE_ON } from '../../src/content/cmi5-xml.js';
import { MODULE_KINDS } from '../../src/content/module-type.js';
import { KIND_COLUMN } from '../../src/xapi/documents.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { parsePrismaSchema } from '../support/prisma-schema.js';
import { owner } from '../support/sql.js';

/**
 * Every column that holds one of a fixed set of values has that set written three times:
 * a TypeScript array (which the GraphQL enum is built from), a CHECK constraint in the
 * migrations, and the Prisma schema's string default. They must be the same set, so
 * a value the API offers is one the database accepts, and the other way round. The CHECKs
 * are read from pg_catalog of the migrated database, not from the migration files.
 */

/** table.column → the TypeScript list, and the GraphQL enum built from it (if any). */
const ENUM_COLUMNS: Record<string, { values: readonly string[]; graphql?: string }> = {
  'profiles.role': { values: ROLES, graphql: 'UserRole' },
  'predictive_scores.entity_type': { values: RISK_ENTITY_TYPES, graphql: 'EntityType' },
  'training_courses.category': { values: COURSE_CATEGORIES, graphql: 'CourseCategory' },
  'training_courses.difficulty_level': { values: DIFFICULTY_LEVELS, graphql: 'DifficultyLevel' },
  'training_courses.entity_type': { values: COURSE_ENTITY_TYPES, graphql: 'CourseEntityType' },
  'training_assignments.assignment_type': { values: ASSIGNMENT_TYPES, graphql: 'AssignmentType' },
  'training_assignments.status': { values: ASSIGNMENT_STATUSES, graphql: 'AssignmentStatus' },
  'training_assignments.trigger_entity_type': { values: RISK_ENTITY_TYPES, graphql: 'EntityType' },
  'notifications.kind': { values: NOTIFICATION_KINDS, graphql: 'NotificationKind' },
  'notifications.email_status': { values: EMAIL_STATUSES, graphql: 'NotificationEmailStatus' },
  'risk_escalations.entity_type': { values: RISK_ENTITY_TYPES, graphql: 'EntityType' },
  'training_completions.source': { values: COMPLETION_SOURCES, graphql: 'CompletionSource' },
  'training_evidence.kind': { values: EVIDENCE_KINDS },
  'quiz_questions.kind': { values: QUESTION_KINDS, graphql: 'QuestionKind' },
  'course_quizzes.review': { values: QUIZ_REVIEWS, graphql: 'QuizReview' },
  'quiz_attempts.status': { values: ATTEMPT_STATUSES, graphql: 'QuizAttemptStatus' },
  'course_modules.kind': { values: MODULE_KINDS, graphql: 'ModuleKind' },
  'course_modules.move_on': { values: MOVE_ON },
  'course_modules.launch_method': { values: LAUNCH_METHODS },
  'xapi_documents.kind': { values: Object.values(KIND_COLUMN) },
  'tenant_settings.logo_type': { values: LOGO_TYPES },
  // The audit trigger writes these; the GraphQL enum AuditAction names them.
  'audit_events.action': { values: ['create', 'update', 'delete'], graphql: 'AuditAction' },
};

let db: TestDatabase;
/** table.column → the values its CHECK constraint allows, for every CHECK of the form `column IN (…)`. */
const checks = new Map<string, string[]>();
/** table.column → the column's default as PostgreSQL prints it. */
const defaults = new Map<string, string>();

beforeAll(async () => {
  db = await freshDatabase();
  const sql = owner(db);
  const rows = await sql.query<{ table_name: string; column_name: string; definition: string }>(
    `SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name,
            pg_get_constraintdef(c.oid) AS definition
     FROM pg_constraint c
     JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = 'public'
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
     WHERE c.contype = 'c' AND cardinality(c.conkey) = 1`,
  );
  for (const row of rows) {
    // PostgreSQL prints `col IN ('a', 'b')` as `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))`.
    if (!/= ANY \(ARRAY\[/.test(row.definition)) continue;
    const values = [...row.definition.matchAll(/'([^']*)'::text/g)].map((match) => match[1]!);
    checks.set(`${row.table_name.replace(/"/g, '')}.${row.column_name}`, values);
  }
  const columnDefaults = await sql.query<{ table_name: string; column_name: string; expression: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, pg_get_expr(d.adbin, d.adrelid) AS expression
     FROM pg_attrdef d
     JOIN pg_class c ON c.oid = d.adrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum`,
  );
  for (const row of columnDefaults) defaults.set(`${row.table_name}.${row.column_name}`, row.expression);
});

afterAll(() => db?.drop());

const sorted = (values: readonly string[]) => [...values].sort();

describe('enum values: TypeScript, CHECK constraints and the Prisma schema agree', () => {
  it('finds a CHECK constraint for every listed column, and lists every column that has one', () => {
    expect(sorted([...checks.keys()])).toEqual(sorted(Object.keys(ENUM_COLUMNS)));
  });

  it.each(Object.entries(ENUM_COLUMNS))('%s: the CHECK allows exactly the TypeScript list', (column, { values }) => {
    expect(sorted(checks.get(column) ?? [])).toEqual(sorted(values));
  });

  it.each(Object.entries(ENUM_COLUMNS).filter(([, entry]) => entry.graphql))(
    '%s: the GraphQL enum has one value per TypeScript value',
    (_column, { values, graphql }) => {
      const type = schema.getType(graphql!);
      const enumValues = type && 'getValues' in type ? type.getValues().map((value) => value.value as string) : [];
      expect(sorted(enumValues)).toEqual(sorted(values));
    },
  );

  it('every string default, in the Prisma schema and in the database, is one of the allowed values', () => {
    const models = parsePrismaSchema();
    let checked = 0;
    for (const [key, { values }] of Object.entries(ENUM_COLUMNS)) {
      const [table, column] = key.split('.');
      const field = models.find((model) => model.table === table)?.columns.find((f) => f.column === column);
      expect(field, `${key} in prisma/schema.prisma`).toBeDefined();
      expect(field!.type, key).toBe('String');
      const prismaDefault = field!.default && /^"(.*)"$/.exec(field!.default)?.[1];
      const databaseDefault = defaults.get(key) && /^'(.*)'::text$/.exec(defaults.get(key)!)?.[1];
      expect(prismaDefault, `${key}: Prisma's default matches the column's`).toBe(databaseDefault);
      if (prismaDefault !== undefined) {
        expect(values, key).toContain(prismaDefault);
        checked++;
      }
    }
    // assignment_type 'manual', status 'assigned', email_status 'pending', a completion's source 'self_report', a
    // quiz's review 'score' and an attempt's status 'in_progress'
    expect(checked).toBe(6);
  });
});
