import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../src/core/i18n/index.js';

/**
 * Every `locales/` folder under src (each domain's e-mails, certificates, the web app …) holds one catalog per
 * language the product speaks, each with exactly the keys of en.json and the same {{placeholders}} in each
 * string. A missing string would fall back to English at run time; here it fails, naming the file and key.
 */

const SRC = path.resolve(import.meta.dirname, '../../src');

function localeFolders(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (!statSync(full).isDirectory() || name === 'generated' || name === 'node_modules') return [];
    return name === 'locales' ? [full, ...localeFolders(full)] : localeFolders(full);
  });
}

/** Every leaf of a catalog: dotted key → string. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof value === 'string') return found.set(prefix, value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [leaf, text] of leaves(inner, prefix ? `${prefix}.${key}` : key)) found.set(leaf, text);
    }
  } else {
    found.set(prefix, `<not a string: ${JSON.stringify(value)}>`);
  }
  return found;
}

/**
 * Strings a language may word exactly as English does though they have two words or more (a product name and
 * a format's name), as `language:key`. Single words ("Quiz", "Status", "OK") may be equal in any language.
 */
const SAME_AS_ENGLISH = new Set(['pl:giftImport.title']);
/** The words of a string, leaving out its placeholders and tags (a copy of a sentence has two or more). */
const words = (text: string) => text.replace(/\{\{[^}]*\}\}|<[^>]*>/g, ' ').match(/\p{L}{2,}/gu) ?? [];

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();
const read = (file: string) => leaves(JSON.parse(readFileSync(file, 'utf8')));
const relative = (file: string) => path.relative(path.dirname(SRC), file);

/** What is wrong with one language's catalog against English's, one line each. */
function catalogProblems(folder: string): string[] {
  const problems: string[] = [];
  const files = readdirSync(folder).filter((name) => name.endsWith('.json'));
  const english = path.join(folder, 'en.json');
  if (!files.includes('en.json')) return [`${relative(english)}: missing (the reference catalog)`];
  const reference = read(english);
  for (const [key, text] of reference) {
    if (text.startsWith('<not a string')) problems.push(`${relative(english)}: ${key} is ${text}`);
  }
  for (const language of LOCALES.filter((l) => l !== 'en')) {
    const file = path.join(folder, `${language}.json`);
    if (!files.includes(`${language}.json`)) {
      problems.push(`${relative(file)}: missing`);
      continue;
    }
    const catalog = read(file);
    for (const [key, text] of reference) {
      const translated = catalog.get(key);
      if (translated === undefined) problems.push(`${relative(file)}: lacks "${key}"`);
      else if (translated.trim() === '') problems.push(`${relative(file)}: "${key}" is empty`);
      else if (translated === text && words(text).length > 1 && !SAME_AS_ENGLISH.has(`${language}:${key}`))
        problems.push(`${relative(file)}: "${key}" is the English text, not translated`);
      else if (placeholders(translated).join() !== placeholders(text).join())
        problems.push(
          `${relative(file)}: "${key}" has {{${placeholders(translated).join('}}, {{')}}}, en.json {{${placeholders(text).join('}}, {{')}}}`,
        );
    }
    for (const key of catalog.keys()) {
      if (!reference.has(key)) problems.push(`${relative(file)}: has "${key}", which en.json does not`);
    }
  }
  for (const name of files) {
    if (!(LOCALES as readonly string[]).includes(name.replace(/\.json$/, '')))
      problems.push(`${relative(path.join(folder, name))}: not a language of LOCALES (${LOCALES.join(', ')})`);
  }
  return problems;
}

const folders = localeFolders(SRC);

describe('the translation catalogs', () => {
  it('are found in every domain that writes to people', () => {
    const names = folders.map((folder) => path.relative(SRC, folder));
    expect(names).toEqual(expect.arrayContaining(['notifications/locales', 'certificates/locales']));
  });

  it.each(folders.map((folder) => [path.relative(SRC, folder), folder]))(
    '%s: every language has exactly the keys and placeholders of en.json, each translated',
    (_name, folder) => {
      expect(catalogProblems(folder)).toEqual([]);
    },
  );
});

describe('the catalog check', () => {
  it('names the file and the key a language lacks, has extra, leaves in English, or words with other placeholders', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'locales-'));
    try {
      const write = (language: string, catalog: unknown) =>
        writeFileSync(path.join(folder, `${language}.json`), JSON.stringify(catalog));
      write('en', { greeting: 'Hello {{name}}', subject: { due: 'Due on {{date}}' } });
      write('es', { greeting: 'Hola {{name}}' });
      write('pl', { greeting: 'Dzień dobry {{imie}}', subject: { due: 'Termin {{date}}' }, extra: 'x' });
      // "Hello" may stay (one word); a sentence copied from English may not.
      write('vi', { greeting: 'Hello {{name}}', subject: { due: 'Due on {{date}}' } });
      const problems = catalogProblems(folder).map((line) => line.slice(line.indexOf(': ') + 2));
      expect(problems).toEqual([
        'lacks "subject.due"',
        '"greeting" has {{imie}}, en.json {{name}}',
        'has "extra", which en.json does not',
        '"subject.due" is the English text, not translated',
      ]);
      expect(catalogProblems(folder)[0]).toMatch(/es\.json: lacks/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
