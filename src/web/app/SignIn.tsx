import { useEffect, useId, useState, type FormEvent } from 'react';
import { Trans, useTranslation } from './i18n';
import { outboxSize } from './offline/store';
import { sessionFromToken, type Session } from './session';
import { Loading } from './ui';

interface DemoUser {
  id: string;
  displayName: string | null;
  email: string | null;
  role: Session['role'];
  token: string;
}

/**
 * Sign-in: paste a token of the platform, or (only when the server runs with its development
 * secret) pick one of the demo tenant's people.
 */
export function SignIn({ message, onSignIn }: { message: string | undefined; onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const tokenId = useId();
  const errorId = useId();
  const { t } = useTranslation();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const session = sessionFromToken(token);
    if (typeof session === 'string') setError(session);
    else onSignIn(session);
  };

  return (
    <main className="sign-in" id="main">
      <h1>{t('signIn.title')}</h1>
      <KeptOffline />
      {message && (
        <p className="notice" role="alert">
          {message}
        </p>
      )}
      <form onSubmit={submit} noValidate className="panel">
        <div className={error ? 'field invalid' : 'field'}>
          <label htmlFor={tokenId}>{t('signIn.token')}</label>
          <textarea
            id={tokenId}
            value={token}
            rows={4}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={Boolean(error)}
            aria-describedby={error ? errorId : undefined}
            onChange={(event) => setToken(event.target.value)}
          />
          {error && (
            <span id={errorId} className="field-error">
              {error}
            </span>
          )}
          <small className="hint">{t('signIn.tokenHint')}</small>
        </div>
        <button type="submit" className="primary">
          {t('signIn.submit')}
        </button>
      </form>
      <DemoUsers onSignIn={onSignIn} />
    </main>
  );
}

/** Actions taken offline still on this device (an expired sign-in keeps them): they go out after sign-in. */
function KeptOffline() {
  const { t } = useTranslation();
  const [kept, setKept] = useState(0);
  useEffect(() => {
    let live = true;
    void outboxSize().then(
      (size) => live && setKept(size),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return kept > 0 ? (
    <p className="notice" role="status">
      {t('offline.waitingSignIn', { n: kept })}
    </p>
  ) : null;
}

function DemoUsers({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [state, setState] = useState<{ users?: DemoUser[]; loading: boolean; failed?: boolean }>({ loading: true });
  const headingId = useId();
  const { t } = useTranslation();

  useEffect(() => {
    let live = true;
    // Exists only while the server runs with its development secret (404 otherwise).
    fetch('/dev/demo-users', { headers: { accept: 'application/json' } })
      .then(async (response) => {
        if (!live) return;
        if (response.status === 404) return setState({ loading: false });
        if (!response.ok) return setState({ loading: false, failed: true });
        const body = (await response.json()) as { users: DemoUser[] };
        setState({ loading: false, users: body.users });
      })
      .catch(() => live && setState({ loading: false, failed: true }));
    return () => {
      live = false;
    };
  }, []);

  if (state.loading) return <Loading what={t('signIn.demoUsersWhat')} />;
  if (!state.users && !state.failed) return null;
  return (
    <section aria-labelledby={headingId} className="panel">
      <h2 id={headingId}>{t('signIn.demoUsers')}</h2>
      {state.failed && <p role="alert">{t('signIn.demoUsersFailed')}</p>}
      {state.users?.length === 0 && (
        <p className="state empty">
          <Trans i18nKey="signIn.noDemoUsers" components={{ code: <code /> }} />
        </p>
      )}
      {state.users && state.users.length > 0 && (
        <ul className="demo-users">
          {state.users.map((user) => (
            <li key={user.id}>
              <button
                type="button"
                onClick={() => {
                  const session = sessionFromToken(user.token);
                  if (typeof session !== 'string') onSignIn(session);
                }}
              >
                <span className="demo-name">{user.displayName ?? user.id}</span>
                <span className="demo-role">{t(`role.${user.role}`)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
