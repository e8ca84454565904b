import { readFileSync } from 'node:fs';

/**
 * The installed app's name and description in each language of the web app's catalogs. The manifest's own
 * `name`, `short_name` and `description` are English (its `lang`); each language's wording is in the
 * `*_localized` members (Web App Manifest localization), which a platform that supports them shows to a person
 * whose language it is and others ignore. Once open, the app names itself in the person's language (the window
 * title and the home-screen title meta, set with the language).
 */

const LANGUAGES = ['en', 'es', 'pl', 'vi'] as const;

interface AppWords {
  brand: string;
  shortName: string;
  description: string;
}

const wordsOf = (language: string): AppWords =>
  (JSON.parse(readFileSync(new URL(`./app/locales/${language}.json`, import.meta.url), 'utf8')) as { app: AppWords })
    .app;

export function manifestNames() {
  const english = wordsOf('en');
  const others = LANGUAGES.filter((language) => language !== 'en').map((language) => [language, wordsOf(language)]);
  const localized = (key: keyof AppWords) =>
    Object.fromEntries(others.map(([language, words]) => [language, (words as AppWords)[key]]));
  return {
    lang: 'en',
    dir: 'ltr' as const,
    name: english.brand,
    short_name: english.shortName,
    description: english.description,
    name_localized: localized('brand'),
    short_name_localized: localized('shortName'),
    description_localized: localized('description'),
  };
}
