import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { i18n, useTranslation } from '../i18n';
import { dismissConflict, flushOutbox, onOutboxChange, outboxOf } from './outbox';
import type { OutboxEntry } from './store';
import { codeText } from '../errors/translate';

const RETRY_MS = 10_000;

/** What the worker did, in their words. */
function actionName(operationName: string): string {
  switch (operationName) {
    case 'StartTrainingAssignment':
      return i18n.t('offline.action.start');
    case 'SaveQuizAnswer':
      return i18n.t('offline.action.answer');
    case 'SubmitQuizAttempt':
      return i18n.t('offline.action.submit');
    default:
      return i18n.t('offline.action.complete');
  }
}

/** Whether the browser says it has a network, kept current. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** The person's outbox entries (waiting and in conflict), kept current. */
export function useOutbox(owner: string): OutboxEntry[] {
  const [entries, setEntries] = useState<OutboxEntry[]>([]);
  useEffect(() => {
    let live = true;
    const load = () => void outboxOf(owner).then((next) => live && setEntries(next));
    load();
    const stop = onOutboxChange(load);
    return () => {
      live = false;
      stop();
    };
  }, [owner]);
  return entries;
}

/**
 * The worker's connection and outbox: offline or not, how many actions wait to be sent, and every conflict
 * (an action the server refused for good) until the worker has read it. While online it sends the outbox: now,
 * when the network returns, when an action is queued, and every few seconds while some wait.
 */
export function OfflineStatus({ owner, onSignInNeeded }: { owner: string; onSignInNeeded: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const online = useOnline();
  const entries = useOutbox(owner);
  const waiting = entries.filter((entry) => !entry.conflict).length;
  const conflicts = entries.filter((entry) => entry.conflict);

  useEffect(() => {
    if (!online || waiting === 0) return;
    const flush = () => void flushOutbox(owner, client).then((outcome) => outcome === 'sign-in' && onSignInNeeded());
    flush();
    const timer = setInterval(flush, RETRY_MS);
    return () => clearInterval(timer);
  }, [online, waiting, owner, client, onSignInNeeded]);

  return (
    <>
      {!online && (
        <p className="notice offline" role="status">
          {t('offline.offline')}
        </p>
      )}
      {waiting > 0 && (
        <p className="notice" role="status">
          {t('offline.waiting', { n: waiting })}
        </p>
      )}
      {conflicts.length > 0 && (
        <section className="panel conflicts" role="alert" aria-label={t('offline.conflicts')}>
          <h2>{t('offline.conflicts')}</h2>
          <ul>
            {conflicts.map((entry) => (
              <li key={entry.seq}>
                <strong>{actionName(entry.operationName)}</strong>
                {' — '}
                {codeText(entry.conflict!.code, entry.conflict!.message)}{' '}
                <button type="button" onClick={() => void dismissConflict(entry)}>
                  {t('offline.dismiss')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
