import { createTranslator, formatDate, formatDaysFrom, languageOf, type Translate } from '../core/i18n/index.js';
import { DEFAULT_ORGANISATION_NAME } from '../tenants/branding.js';
import type { NotificationKindValue } from './kinds.js';
import en from './locales/en.json' with { type: 'json' };
import es from './locales/es.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };

const translator = createTranslator({ en, es, pl, vi });

/** The web app's page of e-mail preferences (the in-app notifications screen). */
export const PREFERENCES_PATH = '/notifications';

/** What an e-mail says, from what the deliverer's claim returns. */
export interface MessageFacts {
  kind: NotificationKindValue;
  displayName: string | null;
  courseTitle: string | null;
  dueDate: Date | null;
  expiresAt: Date | null;
  /** The recipient's language (BCP-47); null: English. */
  locale: string | null;
  /** Why the training was assigned (a risk-based assignment names the score and who or what it is about). */
  reason: string | null;
  assignmentId: string | null;
  /** The tenant's name; null: the product's. */
  organisation: string | null;
  /** The tenant's logo, an absolute URL; null: none. */
  logoUrl: string | null;
  /** PUBLIC_URL: the web app's address. */
  publicUrl: string;
  /** Today (UTC), for "in 3 days". */
  today: Date;
}

export interface Message {
  subject: string;
  text: string;
  html: string;
  /** The tag the message was written in (its Content-Language). */
  language: string;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A date in words in the recipient's language, with how far away it is: "on Friday, 18 December 2026 (in 12 days)". */
function when(t: Translate, facts: MessageFacts, date: Date | null): string {
  if (!date) return t('noDate');
  return t('when', {
    date: formatDate(facts.locale, date, 'full'),
    relative: formatDaysFrom(facts.locale, date, facts.today),
  });
}

/** The link the message leads to: the assignment in the Training Center, else the Training Center. */
const linkOf = (facts: MessageFacts) =>
  facts.assignmentId
    ? `${facts.publicUrl}/?assignment=${encodeURIComponent(facts.assignmentId)}`
    : `${facts.publicUrl}/`;

/**
 * A plain-text and an HTML part saying the same in the recipient's language: the organisation (and its logo),
 * the greeting, what happened with the date in words, why it was assigned, a link to the assignment and one
 * to the e-mail preferences.
 */
export function composeMessage(facts: MessageFacts): Message {
  const t = translator(facts.locale);
  const course = facts.courseTitle ?? t('aCourse');
  const organisation = facts.organisation ?? DEFAULT_ORGANISATION_NAME;
  const subject = t(`subject.${facts.kind}`, { course });
  const body = t(`body.${facts.kind}`, {
    course,
    due: when(t, facts, facts.dueDate),
    expires: when(t, facts, facts.expiresAt),
  });
  const greeting = facts.displayName ? t('greeting', { name: facts.displayName }) : t('greetingNoName');
  const reason = facts.reason ? t('reason', { reason: facts.reason }) : null;
  const link = linkOf(facts);
  const action = facts.assignmentId ? t('openAssignment') : t('openTrainingCenter');
  const preferencesUrl = facts.publicUrl + PREFERENCES_PATH;
  const footer = t('footer', { organisation });

  const text = [
    organisation,
    '',
    greeting,
    '',
    body,
    ...(reason ? ['', reason] : []),
    '',
    `${action}: ${link}`,
    '',
    footer,
    `${t('preferences')}: ${preferencesUrl}`,
    '',
  ].join('\n');

  const e = escapeHtml;
  const logo = facts.logoUrl
    ? `<img src="${e(facts.logoUrl)}" alt="" height="40" style="height:40px;max-width:200px;vertical-align:middle;margin-right:12px">`
    : '';
  const html =
    `<!doctype html><html lang="${e(languageOf(facts.locale))}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(subject)}</title></head>` +
    '<body style="margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#1f2937">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px">' +
    `<tr><td style="padding:20px 24px;border-bottom:3px solid #1d4ed8;font-size:18px;font-weight:bold">${logo}${e(organisation)}</td></tr>` +
    `<tr><td style="padding:24px;font-size:15px;line-height:1.5"><p style="margin:0 0 16px">${e(greeting)}</p>` +
    `<p style="margin:0 0 16px">${e(body)}</p>` +
    (reason ? `<p style="margin:0 0 16px;padding:12px;background:#eff6ff;border-radius:6px">${e(reason)}</p>` : '') +
    `<p style="margin:24px 0"><a href="${e(link)}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;` +
    `color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">${e(action)}</a></p></td></tr>` +
    `<tr><td style="padding:16px 24px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">${e(footer)}<br>` +
    `<a href="${e(preferencesUrl)}" style="color:#1d4ed8">${e(t('preferences'))}</a></td></tr>` +
    '</table></td></tr></table></body></html>';
  return { subject, text, html, language: languageOf(facts.locale) };
}
