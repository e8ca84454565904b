import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The course content screens' strings are in every language of the web app, with the same placeholders. */

type Catalog = { [key: string]: string | Catalog };
const catalog = (language: string) =>
  (JSON.parse(readFileSync(new URL(`../../src/web/app/locales/${language}.json`, import.meta.url), 'utf8')) as Catalog)
    .content as Catalog;

/** Every key path with the `{{placeholders}}` of its text. */
function entries(tree: Catalog, prefix = ''): [string, string[]][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, [...value.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).sort()] as [string, string[]]]
      : entries(value, `${prefix}${key}.`),
  );
}

describe('course content strings', () => {
  it.each(['es', 'pl', 'vi'])('%s has every English key and placeholder', (language) => {
    expect(entries(catalog(language)).sort()).toEqual(entries(catalog('en')).sort());
  });
});
