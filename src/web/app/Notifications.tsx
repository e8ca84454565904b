import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import {
  MarkNotificationsReadDocument,
  MyNotificationPreferencesDocument,
  UpdateNotificationPreferencesDocument,
  WebAssignmentCreatedDocument,
  WebNotificationsDocument,
  type NotificationKind,
} from '../../generated/operations/graphql';
import { useTranslation } from './i18n';
import { Empty, formatDate, Loaded, Notice, Section } from './ui';

export const PREFERENCES_PATH = '/notifications';

const KINDS: readonly NotificationKind[] = [
  'ASSIGNMENT_CREATED',
  'DUE_SOON',
  'OVERDUE',
  'CERTIFICATE_EXPIRING',
  'RECERTIFICATION_ASSIGNED',
  'RISK_NOT_REDUCED',
  'COMPLETION_RETRACTED',
];

/**
 * The bell: the unread count on the button, the latest notifications in a panel, mark read. It refreshes the
 * moment a new assignment for the caller is committed (the live feed the Training Center uses; a new
 * assignment's notification is written in the same transaction), whenever the window regains focus, and each
 * minute while in view.
 */
export function NotificationBell({ userId, onPreferences }: { userId: string; onPreferences: () => void }) {
  const [open, setOpen] = useState(false);
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: WebNotificationsDocument, variables: { first: 15 } });
  const [marking, mark] = useMutation(MarkNotificationsReadDocument);
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: { userId } });
  useEffect(() => {
    if (live.data) refetch({ requestPolicy: 'network-only' });
  }, [live.data, refetch]);
  useEffect(() => {
    const refresh = () => refetch({ requestPolicy: 'network-only' });
    // Reminders and expiry notices are written by scheduled jobs, not announced live: look again each minute
    // while the app is in view.
    const everyMinute = window.setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, 60_000);
    window.addEventListener('focus', refresh);
    return () => {
      window.clearInterval(everyMinute);
      window.removeEventListener('focus', refresh);
    };
  }, [refetch]);

  const unread = result.data?.unread.totalCount ?? 0;
  const nodes = result.data?.myNotifications.nodes ?? [];
  const markRead = async (ids: string[]) => {
    if (ids.length === 0) return;
    await mark({ ids });
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div className="bell">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="notifications-panel"
        aria-label={t('notifications.bellLabel', { n: unread })}
        onClick={() => setOpen(!open)}
      >
        {t('notifications.title')}{' '}
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread}
          </span>
        )}
      </button>
      <div
        id="notifications-panel"
        className="bell-panel"
        hidden={!open}
        role="region"
        aria-label={t('notifications.title')}
      >
        <div className="row">
          <strong>{unread === 0 ? t('notifications.allRead') : t('notifications.unread', { n: unread })}</strong>
          <button
            type="button"
            disabled={unread === 0 || marking.fetching}
            onClick={() => markRead(nodes.filter((n) => !n.readAt).map((n) => n.id))}
          >
            {t('notifications.markAllRead')}
          </button>
        </div>
        {nodes.length === 0 ? (
          <Empty>{t('notifications.none')}</Empty>
        ) : (
          <ul className="rows">
            {nodes.map((n) => (
              <li key={n.id} className={n.readAt ? 'read' : 'unread'}>
                <span>
                  <strong>{t(`notifications.kind.${n.kind}`)}</strong>
                  {n.assignment ? `: ${n.assignment.course.title}` : ''}
                  {n.assignment?.dueDate ? t('notifications.due', { date: formatDate(n.assignment.dueDate) }) : ''}
                </span>{' '}
                <small className="hint">{formatDate(n.createdAt)}</small>{' '}
                {!n.readAt && (
                  <button type="button" disabled={marking.fetching} onClick={() => markRead([n.id])}>
                    {t('notifications.markRead')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <button
          type="button"
          className="link"
          onClick={() => {
            setOpen(false);
            onPreferences();
          }}
        >
          {t('notifications.emailPreferences')}
        </button>
      </div>
    </div>
  );
}

/** Which notifications also come by e-mail (every kind always shows in the app). */
export function NotificationPreferences() {
  const [result] = useQuery({ query: MyNotificationPreferencesDocument });
  const [saving, save] = useMutation(UpdateNotificationPreferencesDocument);
  const [optOut, setOptOut] = useState<NotificationKind[] | undefined>();
  const [notice, setNotice] = useState<string>();
  const { t } = useTranslation();
  const stored = result.data?.me.notificationPreferences?.emailOptOut;
  const current = optOut ?? stored ?? [];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const response = await save({ input: { emailOptOut: current } });
    if (!response.error) setNotice(t('notifications.saved'));
  };

  return (
    <div className="page">
      <h1>{t('notifications.preferences')}</h1>
      <Section title={t('notifications.emailMeAbout')}>
        <Loaded result={result} what={t('notifications.yourPreferences')}>
          <form onSubmit={submit} aria-label={t('notifications.emailPreferences')}>
            <p className="hint">{t('notifications.hint')}</p>
            {KINDS.map((kind) => (
              <div key={kind} className="field checkbox">
                <input
                  id={`email-${kind}`}
                  type="checkbox"
                  checked={!current.includes(kind)}
                  onChange={(event) =>
                    setOptOut(event.target.checked ? current.filter((k) => k !== kind) : [...current, kind])
                  }
                />
                <label htmlFor={`email-${kind}`}>{t(`notifications.kind.${kind}`)}</label>
              </div>
            ))}
            <div className="actions">
              <button type="submit" className="primary" disabled={saving.fetching}>
                {t('notifications.save')}
              </button>
            </div>
            <Notice message={notice} />
          </form>
        </Loaded>
      </Section>
    </div>
  );
}
