import { describe, expect, it } from 'vitest';

/** What the test uses of the web app's i18n module (typed by src/web/tsconfig.json: DOM, JSON imports, bundler). */
interface WebI18n {
  pickLanguage(...candidates: (string | undefined | readonly string[])[]): string;
  applyLanguage(locale?: string): string;
  formatDate(value: string | null): string;
  formatNumber(value: number): string;
  i18n: { t(key: string): string };
}
const webModule = '../../src/web/app/i18n.ts';
const { applyLanguage, formatDate, formatNumber, i18n, pickLanguage } = (await import(webModule)) as WebI18n;

describe('web app languages', () => {
  it('takes the person’s locale, then the browser’s languages, then English', () => {
    expect(pickLanguage('pl-PL', ['es-MX'])).toBe('pl');
    expect(pickLanguage(undefined, ['de-DE', 'vi'])).toBe('vi');
    expect(pickLanguage('tlh', ['de-DE'])).toBe('en');
    expect(pickLanguage('ES_es')).toBe('es');
  });

  it('translates, falls back to English, and formats dates and numbers in the language', () => {
    applyLanguage('pl');
    expect(i18n.t('app.signOut')).toBe('Wyloguj');
    expect(formatDate('2026-12-06T10:00:00Z')).toBe('6 gru 2026');
    expect(formatNumber(1234.5)).toBe('1234,5');
    applyLanguage('es');
    expect(i18n.t('app.signOut')).toBe('Cerrar sesión');
    expect(formatNumber(12345.5)).toBe('12.345,5');
    applyLanguage('vi');
    expect(formatDate('2026-12-06T10:00:00Z')).toBe('6 thg 12, 2026');
    applyLanguage('en');
    expect(formatDate('2026-12-06T10:00:00Z')).toBe('Dec 6, 2026');
    expect(formatDate(null)).toBe('—');
  });
});
