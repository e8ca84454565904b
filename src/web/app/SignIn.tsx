import { useEffect, useId, useState, type FormEvent } from 'react';
import { sessionFromToken, type Session } from './session';
import { Loading } from './ui';

interface DemoUser {
  id: string;
  displayName: string | null;
  email: string | null;
  role: Session['role'];
  token: string;
}

const ROLE_NAMES: Record<Session['role'], string> = {
  admin: 'Admin',
  safety_officer: 'Safety officer',
  worker: 'Worker',
  service: 'Integration',
};

/**
 * Sign-in: paste a token of the platform, or (only when the server runs with its development
 * secret) pick one of the demo tenant's people.
 */
export function SignIn({ message, onSignIn }: { message: string | undefined; onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const tokenId = useId();
  const errorId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const session = sessionFromToken(token);
    if (typeof session === 'string') setError(session);
    else onSignIn(session);
  };

  return (
    <main className="sign-in" id="main">
      <h1>Sign in</h1>
      {message && (
        <p className="notice" role="alert">
          {message}
        </p>
      )}
      <form onSubmit={submit} noValidate className="panel">
        <div className={error ? 'field invalid' : 'field'}>
          <label htmlFor={tokenId}>Access token</label>
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
          <small className="hint">The JWT your platform issued you. It stays in this tab only.</small>
        </div>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
      <DemoUsers onSignIn={onSignIn} />
    </main>
  );
}

function DemoUsers({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [state, setState] = useState<{ users?: DemoUser[]; loading: boolean; failed?: boolean }>({ loading: true });
  const headingId = useId();

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

  if (state.loading) return <Loading what="demo users" />;
  if (!state.users && !state.failed) return null;
  return (
    <section aria-labelledby={headingId} className="panel">
      <h2 id={headingId}>Demo users</h2>
      {state.failed && <p role="alert">The demo users could not be loaded.</p>}
      {state.users?.length === 0 && (
        <p className="state empty">
          No demo users yet. Run <code>npm run seed:demo</code> while the server runs, then reload.
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
                <span className="demo-role">{ROLE_NAMES[user.role]}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
