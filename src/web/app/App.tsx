import { useCallback, useEffect, useMemo, useState, type MouseEvent } from 'react';
import { Provider } from 'urql';
import { Analytics } from './analytics';
import { createApiClient } from './client';
import { applyLanguage, i18n, useTranslation } from './i18n';
import { OfflineStatus } from './offline/OfflineStatus';
import { forgetCached } from './offline/store';
import { LanguagePicker } from './LanguagePicker';
import { NotificationBell, NotificationPreferences, PREFERENCES_PATH } from './Notifications';
import { QUESTIONS_PATH } from './quiz/navigation';
import { quizScreen } from './quiz/routes';
import {
  isManager,
  ownerOf,
  rememberedLanguage,
  sessionFromToken,
  storedSession,
  storeSession,
  takeTokenFromUrl,
  type Session,
} from './session';
import { SignIn } from './SignIn';
import { TrainingCenter } from './TrainingCenter';

export const ANALYTICS_PATH = '/analytics';
/** The caller's own training (a worker's `/`; officers start on Training Analytics). */
export const TRAINING_PATH = '/training';
const expired = () => i18n.t('app.expired');

function initialSession(): { session?: Session; message?: string } {
  const state = sessionOnLoad();
  applyLanguage(rememberedLanguage(state.session) ?? state.session?.locale);
  return state;
}

function sessionOnLoad(): { session?: Session; message?: string } {
  const fromUrl = takeTokenFromUrl();
  if (fromUrl) {
    const session = sessionFromToken(fromUrl);
    if (typeof session === 'string') return { message: session };
    storeSession(session);
    return { session };
  }
  return { session: storedSession() };
}

export function App() {
  const [{ session, message }, setState] = useState(initialSession);

  const signIn = useCallback((next: Session) => {
    storeSession(next);
    applyLanguage(rememberedLanguage(next) ?? next.locale);
    setState({ session: next });
  }, []);
  const signOut = useCallback((why?: string) => {
    storeSession(undefined);
    applyLanguage(undefined);
    setState({ message: why });
  }, []);

  // Back to sign-in the moment the token expires, not at the next failed request.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = setTimeout(() => signOut(expired()), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session, signOut]);

  if (!session) return <SignIn message={message} onSignIn={signIn} />;
  return <SignedIn key={session.token} session={session} onSignOut={signOut} />;
}

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: (why?: string) => void }) {
  const owner = ownerOf(session);
  const expire = useCallback(() => onSignOut(expired()), [onSignOut]);
  const api = useMemo(() => createApiClient(session.token, owner, expire), [session.token, owner, expire]);
  useEffect(() => () => api.close(), [api]);
  const [path, navigate] = usePath(isManager(session));
  const { t } = useTranslation();

  const training = isManager(session) ? TRAINING_PATH : '/';
  const link = (to: string) => ({
    href: to,
    'aria-current': path === to ? ('page' as const) : undefined,
    onClick: (event: MouseEvent<HTMLAnchorElement>) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(to);
    },
  });

  return (
    <Provider value={api.client}>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="top-bar">
        <span className="brand">{t('app.brand')}</span>
        <nav aria-label={t('app.mainNav')}>
          <a {...link(training)}>{t('app.trainingCenter')}</a>
          {isManager(session) && <a {...link(ANALYTICS_PATH)}>{t('app.trainingAnalytics')}</a>}
          {isManager(session) && <a {...link(QUESTIONS_PATH)}>{t('app.questionBank')}</a>}
        </nav>
        <div className="who">
          <NotificationBell userId={session.userId} onPreferences={() => navigate(PREFERENCES_PATH)} />
          <span>{session.name ?? t('app.signedIn')}</span>
          <LanguagePicker session={session} />
          <button
            type="button"
            onClick={() => {
              // The next person on this device must not see this one's training; the outbox stays (sent at their next sign-in).
              void forgetCached(owner);
              onSignOut();
            }}
          >
            {t('app.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <OfflineStatus owner={owner} onSignInNeeded={expire} />
        {quizScreen(path, session) ??
          (path === PREFERENCES_PATH ? (
            <NotificationPreferences />
          ) : path === ANALYTICS_PATH ? (
            isManager(session) ? (
              <Analytics token={session.token} />
            ) : (
              <div className="panel">
                <p role="alert">
                  {t('app.analyticsForbidden')} <a {...link(training)}>{t('app.goToTraining')}</a>
                </p>
              </div>
            )
          ) : (
            <TrainingCenter session={session} />
          ))}
      </main>
    </Provider>
  );
}

/**
 * The client route: the address bar's path, changed with the History API. `/` is where a session starts:
 * the Training Center, or for officers Training Analytics (the address says so).
 */
function usePath(manager: boolean): [string, (to: string) => void] {
  const [path, setPath] = useState(() => {
    const start = window.location.pathname;
    if (start !== '/' || !manager) return start;
    history.replaceState(null, '', ANALYTICS_PATH);
    return ANALYTICS_PATH;
  });
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    history.pushState(null, '', to);
    setPath(to);
    window.scrollTo(0, 0);
  }, []);
  return [path, navigate];
}
