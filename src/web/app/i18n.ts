import i18next from 'i18next';
import { initReactI18next, Trans, useTranslation } from 'react-i18next';
import en from './locales/en.json';
import es from './locales/es.json';
import pl from './locales/pl.json';
import vi from './locales/vi.json';
import errorsEn from './errors/locales/en.json';
import errorsEs from './errors/locales/es.json';
import errorsPl from './errors/locales/pl.json';
import errorsVi from './errors/locales/vi.json';

/**
 * The web app's languages. Every catalog is bundled (they are small) so that a language switch and the
 * app offline never wait for a download. English is the reference: a key missing elsewhere falls back to it.
 */
export const LANGUAGES = ['en', 'es', 'pl', 'vi'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Each language's name in itself, for a language picker. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  es: 'Español',
  pl: 'Polski',
  vi: 'Tiếng Việt',
};

declare module 'i18next' {
  interface CustomTypeOptions {
    // Keys are checked against the English catalog at compile time.
    resources: { translation: typeof en; errors: typeof errorsEn };
    returnNull: false;
  }
}

/** The first of the candidates (BCP 47 tags such as `pl-PL`) the app speaks, else English. */
export function pickLanguage(...candidates: (string | null | undefined | readonly string[])[]): Language {
  for (const tag of candidates.flat()) {
    const base = tag?.toLowerCase().split(/[-_]/)[0];
    const match = LANGUAGES.find((language) => language === base);
    if (match) return match;
  }
  return 'en';
}

const browserLanguages = (): readonly string[] =>
  typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  // The API's errors by code and rule (errors/translate.ts) are the `errors` namespace.
  resources: {
    en: { translation: en, errors: errorsEn },
    es: { translation: es, errors: errorsEs },
    pl: { translation: pl, errors: errorsPl },
    vi: { translation: vi, errors: errorsVi },
  },
  lng: pickLanguage(browserLanguages()),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  // React escapes what it renders; escaping here too would show `&amp;`.
  interpolation: { escapeValue: false },
  // Resources are in the bundle: init completes synchronously, the first render is already translated.
  initAsync: false,
  returnEmptyString: false,
});

/**
 * The language for a person: their own `locale` (token claim or profile), else the browser's, else English.
 * Also sets `<html lang>` so screen readers pronounce the page in that language, the window's title and the
 * app's name (`application-name`, and `apple-mobile-web-app-title`, the name iOS gives it on the home screen).
 */
export function applyLanguage(userLocale?: string | null): Language {
  const language = pickLanguage(userLocale, browserLanguages());
  if (i18n.language !== language) void i18n.changeLanguage(language);
  if (typeof document !== 'undefined') {
    document.documentElement.lang = language;
    document.title = i18n.t('app.brand');
    for (const name of ['application-name', 'apple-mobile-web-app-title']) {
      document.querySelector(`meta[name="${name}"]`)?.setAttribute('content', i18n.t('app.brand'));
    }
    document.querySelector('meta[name="description"]')?.setAttribute('content', i18n.t('app.description'));
  }
  return language;
}

const currentLanguage = (): Language => pickLanguage(i18n.language);

/** A date (ISO string or Date) in the current language's format; `—` when there is none. */
export function formatDate(
  value: string | Date | null | undefined,
  options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' },
): string {
  if (!value) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(currentLanguage(), options).format(date);
}

/** A number in the current language's format (decimal separator, grouping). */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(currentLanguage(), options).format(value);
}

export { Trans, useTranslation };
