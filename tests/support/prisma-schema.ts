import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A deliberately small reader for prisma/schema.prisma: enough of the model
 * grammar (fields, `?`/`[]`, @map, @default, @db.*, @relation, @@map, @@index,
 * @@unique) to compare the schema with the migrated database. The generated
 * client (rust-free, `prisma-client` generator) does not ship a DMMF with
 * nullability or native types, so the test reads the source of truth itself and
 * cross-checks its field lists against the generated client.
 */

export const SCHEMA_PATH = path.resolve(import.meta.dirname, '../../prisma/schema.prisma');

export const SCALAR_TYPES = ['String', 'Boolean', 'Int', 'BigInt', 'Float', 'Decimal', 'DateTime', 'Json', 'Bytes'];

export interface PrismaField {
  name: string;
  /** The column name (`@map`, else the field name). */
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  /** `Uuid`, `Timestamptz(6)`, `Decimal`, `Date`… from `@db.X`; undefined when absent. */
  nativeType: string | undefined;
  /** The argument text of `@default(...)`, undefined when absent. */
  default: string | undefined;
  isId: boolean;
  isUnique: boolean;
  /** For relation fields: `fields: [...]` / `references: [...]` (field names). */
  relation: { fields: string[]; references: string[] } | undefined;
}

export interface PrismaIndex {
  unique: boolean;
  /** Field names, in order. */
  fields: string[];
}

export interface PrismaModel {
  name: string;
  table: string;
  fields: PrismaField[];
  /** Scalar fields only (the ones that are columns). */
  columns: PrismaField[];
  indexes: PrismaIndex[];
}

/** Removes a `//` comment that is not inside a string literal. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"' && line[i - 1] !== '\\') inString = !inString;
    if (!inString && ch === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/** The text inside the parentheses that open at `open` (handles nesting and strings). */
function balanced(text: string, open: number): string {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' && text[i - 1] !== '\\') inString = !inString;
    if (inString) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in: ${text}`);
}

/** The argument of attribute `name` (e.g. `@map`, `@default`, `@@index`) in `text`, or undefined. */
function attribute(text: string, name: string): string | undefined {
  const pattern = new RegExp(`${name.replace(/[.@]/g, (c) => `\\${c}`)}(?![\\w.])`);
  const match = pattern.exec(text);
  if (!match) return undefined;
  const after = match.index + match[0].length;
  return text[after] === '(' ? balanced(text, after) : '';
}

function list(text: string | undefined): string[] {
  const inner = /\[([^\]]*)\]/.exec(text ?? '')?.[1] ?? '';
  return inner
    .split(',')
    .map((item) => item.trim().replace(/\(.*\)$/, '')) // computedAt(sort: Desc) → computedAt
    .filter(Boolean);
}

function unquote(text: string): string {
  return text.trim().replace(/^"(.*)"$/, '$1');
}

export function parsePrismaSchema(source: string = readFileSync(SCHEMA_PATH, 'utf8')): PrismaModel[] {
  const models: PrismaModel[] = [];
  const lines = source.split('\n').map(stripComment);
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*model\s+(\w+)\s*\{\s*$/.exec(lines[i]!);
    if (!header) continue;
    const name = header[1]!;
    const fields: PrismaField[] = [];
    const indexes: PrismaIndex[] = [];
    let table = name;
    for (i++; i < lines.length && !/^\s*\}\s*$/.test(lines[i]!); i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      if (line.startsWith('@@')) {
        const mapped = attribute(line, '@@map');
        if (mapped !== undefined) table = unquote(mapped);
        const index = attribute(line, '@@index');
        if (index !== undefined) indexes.push({ unique: false, fields: list(index) });
        const unique = attribute(line, '@@unique');
        if (unique !== undefined) indexes.push({ unique: true, fields: list(unique) });
        const compositeId = attribute(line, '@@id');
        if (compositeId !== undefined) indexes.push({ unique: true, fields: list(compositeId) });
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\[\]|\?)?(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read field line in model ${name}: ${line}`);
      const [, fieldName, type, modifier, rest = ''] = field;
      const relation = attribute(rest, '@relation');
      const nativeType = /@db\.(\w+(?:\([^)]*\))?)/.exec(rest)?.[1];
      fields.push({
        name: fieldName!,
        column: unquote(attribute(rest, '@map') ?? fieldName!),
        type: type!,
        optional: modifier === '?',
        list: modifier === '[]',
        nativeType,
        default: attribute(rest, '@default'),
        isId: attribute(rest, '@id') !== undefined,
        isUnique: attribute(rest, '@unique') !== undefined,
        relation:
          relation === undefined
            ? undefined
            : {
                fields: list(/fields:\s*(\[[^\]]*\])/.exec(relation)?.[1]),
                references: list(/references:\s*(\[[^\]]*\])/.exec(relation)?.[1]),
              },
      });
    }
    // Scalar lists (String[]) are array columns; lists of models are relations.
    const columns = fields.filter((f) => SCALAR_TYPES.includes(f.type));
    for (const f of columns) if (f.isId || f.isUnique) indexes.push({ unique: true, fields: [f.name] });
    models.push({ name, table, fields, columns, indexes });
  }
  return models;
}
