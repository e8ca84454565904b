import { createTranslator, DEFAULT_LOCALE, formatDate, type Translate } from '../core/i18n/index.js';
import en from './locales/en.json' with { type: 'json' };
import es from './locales/es.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };

const translator = createTranslator({ en, es, pl, vi });

/** A certificate's words in one reader's language: the PDF in the holder's, the verify page in the viewer's. */
export interface CertificateText {
  locale: string;
  translate: Translate;
}

export const certificateText = (locale: string | null | undefined): CertificateText => ({
  locale: locale ?? DEFAULT_LOCALE,
  translate: translator(locale),
});

export const t = (text: CertificateText, key: string, values?: Record<string, string>): string =>
  text.translate(key, values ?? {});

/** A date in the reader's words ("18 grudnia 2026"). */
export const day = (text: CertificateText, date: Date) => formatDate(text.locale, date);
