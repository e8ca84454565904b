import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { declaredFieldRules } from '../../src/core/field-rules.js';
import { LOCALES } from '../../src/core/i18n/index.js';
// Every module's rules are declared once the schema is built.
import '../../src/schema.js';

/** What the test uses of the web app's modules (typed by src/web/tsconfig.json: DOM, JSON imports, bundler). */
interface Problem {
  field: string;
  message: string;
  rule?: string;
  params?: Record<string, string | number>;
}
interface WebErrors {
  problemText(problem: Problem, label?: string, labels?: Record<string, string>): string;
  errorText(error: { message: string; extensions?: Record<string, unknown> }, labels?: Record<string, string>): string;
}
const [translateModule, i18nModule] = ['../../src/web/app/errors/translate.ts', '../../src/web/app/i18n.ts'];
const { errorText, problemText } = (await import(translateModule)) as WebErrors;
const { i18n } = (await import(i18nModule)) as { i18n: { changeLanguage(language: string): Promise<unknown> } };

/**
 * The web app shows the API's errors in the reader's language from the `errors` catalogs: a sentence for every
 * code of the catalogue of src/core/errors.ts and for every field rule any module declares
 * (src/core/field-rules.ts), in each language. A code or rule added without its sentences fails here, naming
 * what lacks; so does a sentence left for a rule no module declares any more.
 */

type Catalog = { code: Record<string, string>; rule: Record<string, string> };
const catalog = (language: string) =>
  JSON.parse(
    readFileSync(new URL(`../../src/web/app/errors/locales/${language}.json`, import.meta.url), 'utf8'),
  ) as Catalog;

describe("the web app's sentences for the API's errors", () => {
  const rules = declaredFieldRules();

  it('finds the rules of core and of the domains (the schema loaded them)', () => {
    expect(rules).toEqual(expect.arrayContaining(['numberRange', 'notFound', 'trueFalseChoices', 'cmi5Package']));
  });

  it.each(LOCALES)(
    '%s has a sentence for every error code and every field rule, and none for a rule gone',
    (language) => {
      const { code, rule } = catalog(language);
      const missing = [
        ...Object.values(ErrorCode)
          .filter((name) => !code[name]?.trim())
          .map((name) => `code.${name}`),
        ...rules.filter((name) => !rule[name]?.trim()).map((name) => `rule.${name}`),
      ];
      expect(missing, `src/web/app/errors/locales/${language}.json lacks`).toEqual([]);
      const stale = [
        ...Object.keys(code).filter((name) => !(Object.values(ErrorCode) as string[]).includes(name)),
        ...Object.keys(rule).filter((name) => !rules.includes(name)),
      ];
      expect(stale, `src/web/app/errors/locales/${language}.json has sentences for nothing`).toEqual([]);
      for (const [name, sentence] of Object.entries(rule)) expect(sentence, `rule.${name}`).toContain('{{label}}');
    },
  );
});

describe('an error in the reader’s language', () => {
  const score = {
    field: 'input.score',
    message: 'must be from 0 to 100',
    rule: 'numberRange',
    params: { min: 0, max: 100 },
  };

  it('words a field by its rule and the form’s label, numbers as the language writes them', async () => {
    await i18n.changeLanguage('es');
    expect(problemText(score, 'Puntuación')).toBe('Puntuación debe estar entre 0 y 100');
    expect(problemText({ ...score, params: { min: 0.5, max: 100 } }, 'Puntuación')).toBe(
      'Puntuación debe estar entre 0,5 y 100',
    );
    await i18n.changeLanguage('pl');
    expect(problemText(score, 'Wynik')).toBe('Wynik: musi wynosić od 0 do 100');
    await i18n.changeLanguage('en');
    expect(problemText(score, 'Score')).toBe('Score must be from 0 to 100');
  });

  it('names things and other fields in the language: the form’s labels, the catalog’s words', async () => {
    await i18n.changeLanguage('vi');
    const unknown = {
      field: 'input.courseId',
      message: 'no such course',
      rule: 'notFound',
      params: { what: 'course' },
    };
    expect(problemText(unknown, 'Khóa học')).toBe('Khóa học: không tìm thấy (khóa học)');
    const after = {
      field: 'shifts[0].endsAt',
      message: 'must be after startsAt',
      rule: 'after',
      params: { other: 'startsAt' },
    };
    expect(problemText(after, undefined, { endsAt: 'Kết thúc', startsAt: 'Bắt đầu' })).toBe(
      'Kết thúc phải sau Bắt đầu',
    );
  });

  it('words an error that names no field by its code; English readers get the server’s own message', async () => {
    const conflict = {
      message: 'This user already has an active assignment of this course',
      extensions: { code: 'CONFLICT' },
    };
    await i18n.changeLanguage('pl');
    expect(errorText(conflict)).toMatch(/^Nie można tego teraz zrobić/);
    await i18n.changeLanguage('en');
    expect(errorText(conflict)).toBe(conflict.message);
  });

  it('keeps the server’s English only for a code or rule the catalogs do not know', async () => {
    await i18n.changeLanguage('es');
    expect(errorText({ message: 'Something new', extensions: { code: 'SOMETHING_NEW' } })).toBe('Something new');
    const newer = { field: 'input.x', message: 'must be newer', rule: 'newerRule', params: {} };
    expect(problemText(newer, 'X')).toBe('X must be newer');
    // Several refused fields, each in Spanish.
    const both = {
      message: 'input.score: must be from 0 to 100; input.title: must not be empty',
      extensions: {
        code: 'BAD_USER_INPUT',
        field: 'input.score',
        fields: [score, { field: 'input.title', message: 'must not be empty', rule: 'notEmpty', params: {} }],
      },
    };
    expect(errorText(both, { score: 'Puntuación', title: 'Título' })).toBe(
      'Puntuación debe estar entre 0 y 100. Título no puede estar vacío.',
    );
    await i18n.changeLanguage('en');
  });
});
