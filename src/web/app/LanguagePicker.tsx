import { useEffect, useRef } from 'react';
import { useMutation, useQuery } from 'urql';
import { WebMyLocaleDocument, WebUpdateMyLocaleDocument } from '../../generated/operations/graphql';
import { applyLanguage, LANGUAGE_NAMES, LANGUAGES, pickLanguage, useTranslation, type Language } from './i18n';
import { ownerOf, rememberLanguage, type Session } from './session';

/**
 * The person's language, in the header: their profile's (`me { locale }`) is applied as soon as it is read, so
 * a choice made on another device or before a reload wins over the token's claim; picking one applies it at
 * once and saves it to the profile (`updateMyProfile`).
 */
export function LanguagePicker({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const [me] = useQuery({ query: WebMyLocaleDocument });
  const [saving, save] = useMutation(WebUpdateMyLocaleDocument);
  const owner = ownerOf(session);
  const savingNow = useRef(false);
  savingNow.current = saving.fetching;

  // Each read of the profile applies it; one that answers while a choice is being saved is older than that choice.
  // A choice that could not be saved (no network) stays on screen until the profile is read again.
  useEffect(() => {
    if (!me.data || savingNow.current) return;
    rememberLanguage(owner, applyLanguage(me.data.me.locale ?? session.locale));
  }, [me.data]);

  const choose = (language: Language) => {
    rememberLanguage(owner, applyLanguage(language));
    void save({ locale: language });
  };

  return (
    <>
      <select
        className="language"
        aria-label={t('app.language')}
        value={pickLanguage(i18n.language)}
        onChange={(event) => choose(event.target.value as Language)}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_NAMES[language]}
          </option>
        ))}
      </select>
      {saving.error && (
        <span role="alert" className="language-error">
          {t('app.languageNotSaved')}
        </span>
      )}
    </>
  );
}
