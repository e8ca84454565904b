import i18next, { type TFunction } from 'i18next';

/**
 * Server-side translation: the languages the product speaks, matching a user's or a browser's BCP-47 tag to
 * one of them, and a translator over a domain's catalogs (each domain keeps its own `locales/` folder, one
 * JSON file per language, en.json the reference). A string missing from a language falls back to English.
 * Dates and numbers are formatted by Intl in the full tag's conventions (es-MX keeps Mexico's).
 */

/** The languages every catalog has (the catalog test holds each `locales/` folder to this list). */
export const LOCALES = ['en', 'es', 'pl', 'vi'] as const;
export type Language = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Language = 'en';

/** A well-formed BCP-47 tag in its canonical spelling (`pt-br` → `pt-BR`); undefined when it is none. */
function canonical(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag.trim())[0];
  } catch {
    return undefined;
  }
}

/**
 * The tag to keep for a user when its language is one the product speaks: canonical, region and script
 * kept (`es-MX`); undefined for a malformed tag or another language.
 */
export function supportedLocale(tag: string): string | undefined {
  const value = canonical(tag);
  if (!value) return undefined;
  return (LOCALES as readonly string[]).includes(new Intl.Locale(value).language) ? value : undefined;
}

/** The language of a kept tag (`es-MX` → `es`); English for none. */
export function languageOf(locale: string | null | undefined): Language {
  const tag = locale ? supportedLocale(locale) : undefined;
  return tag ? (new Intl.Locale(tag).language as Language) : DEFAULT_LOCALE;
}

/** The first tag of an Accept-Language header, by weight, whose language the product speaks; else English. */
export function negotiateLocale(acceptLanguage: string | undefined): string {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), weight: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    const locale = supportedLocale(tag);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

/** A domain's catalogs: language → nested keys → strings (i18next's `{{name}}` interpolation). */
export type Catalogs = Record<Language, Record<string, unknown>>;

export type Translate = TFunction;

/**
 * One i18next instance per domain, loaded synchronously from its catalogs; `translator(locale)` gives the
 * function for one user's tag (its region falls back to the language, the language to English). Values are
 * inserted as they are: the HTML that shows them escapes them itself.
 */
export function createTranslator(catalogs: Catalogs): (locale: string | null | undefined) => Translate {
  const instance = i18next.createInstance();
  void instance.init({
    resources: Object.fromEntries(Object.entries(catalogs).map(([lng, keys]) => [lng, { translation: keys }])),
    supportedLngs: [...LOCALES],
    nonExplicitSupportedLngs: true,
    fallbackLng: DEFAULT_LOCALE,
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return (locale) => instance.getFixedT(languageOf(locale));
}

/** A calendar date (stored as UTC midnight) in the locale's words: "Friday, 18 December 2026". */
export function formatDate(locale: string | null | undefined, date: Date, style: 'full' | 'long' = 'long'): string {
  return new Intl.DateTimeFormat(formatLocale(locale), { dateStyle: style, timeZone: 'UTC' }).format(date);
}

/** How far a calendar date is from `today`, in the locale's words: "tomorrow", "in 12 days", "3 days ago". */
export function formatDaysFrom(locale: string | null | undefined, date: Date, today: Date): string {
  const days = Math.round(
    (Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) -
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())) /
      86_400_000,
  );
  return new Intl.RelativeTimeFormat(formatLocale(locale), { numeric: 'auto' }).format(days, 'day');
}

/** A number in the locale's digits and separators. */
export function formatNumber(locale: string | null | undefined, value: number): string {
  return new Intl.NumberFormat(formatLocale(locale)).format(value);
}

/** The tag Intl formats with: the user's own when supported, English otherwise. */
const formatLocale = (locale: string | null | undefined) =>
  (locale ? supportedLocale(locale) : undefined) ?? DEFAULT_LOCALE;
