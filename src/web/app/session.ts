import { i18n } from './i18n';

/** The signed-in person, as their token says (the API checks the token; this only decides what to show). */
export interface Session {
  token: string;
  userId: string;
  tenantId: string;
  role: 'admin' | 'safety_officer' | 'worker' | 'service';
  name: string | undefined;
  /** The person's language (BCP 47, claim `locale`); undefined: the browser's. */
  locale: string | undefined;
  /** Milliseconds since the epoch; undefined when the token never expires. */
  expiresAt: number | undefined;
}

// Kept on the device, not in the tab: the installed app must open signed in with no network (it signs in again
// when the token has expired; signing out removes it).
const STORAGE_KEY = 'safety-training.token';

/** Reads a JWT's claims (no verification: the API verifies every request). */
export function sessionFromToken(raw: string): Session | string {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const payload = token.split('.')[1];
  if (!payload) return i18n.t('session.notAToken');
  let claims: Record<string, unknown>;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    claims = JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
  } catch {
    return i18n.t('session.unreadable');
  }
  const { sub, tenant_id: tenantId, role, name, exp, locale } = claims;
  if (typeof sub !== 'string' || typeof tenantId !== 'string' || typeof role !== 'string') {
    return i18n.t('session.missingClaims');
  }
  if (!['admin', 'safety_officer', 'worker', 'service'].includes(role)) return i18n.t('session.unknownRole', { role });
  const expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
  if (expiresAt !== undefined && expiresAt <= Date.now()) return i18n.t('session.expired');
  return {
    token,
    userId: sub,
    tenantId,
    role: role as Session['role'],
    name: typeof name === 'string' ? name : undefined,
    locale: typeof locale === 'string' ? locale : undefined,
    expiresAt,
  };
}

export function storedSession(): Session | undefined {
  const token = localStorage.getItem(STORAGE_KEY);
  if (!token) return undefined;
  const session = sessionFromToken(token);
  if (typeof session === 'string') {
    localStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
  return session;
}

export function storeSession(session: Session | undefined): void {
  if (session) localStorage.setItem(STORAGE_KEY, session.token);
  else localStorage.removeItem(STORAGE_KEY);
}

/** `#token=…` in the address: taken once, then removed so it is neither bookmarked nor shared. */
export function takeTokenFromUrl(): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return undefined;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return decodeURIComponent(match[1]);
}

const languageKey = (owner: string) => `safety-training.language.${owner}`;

/**
 * The language last applied for a person on this device, so that the app opens in it at once (their profile,
 * read right after, has the last word).
 */
export function rememberedLanguage(session: Session | undefined): string | undefined {
  return session ? (localStorage.getItem(languageKey(ownerOf(session))) ?? undefined) : undefined;
}

export function rememberLanguage(owner: string, language: string): void {
  localStorage.setItem(languageKey(owner), language);
}

/** Whose offline reads and outbox are this session's. */
export const ownerOf = (session: Session) => `${session.tenantId}:${session.userId}`;

export const isManager = (session: Session) => session.role === 'admin' || session.role === 'safety_officer';
