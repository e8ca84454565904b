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
import { Empty, formatDate, Loaded, Notice, Section } from './ui';

export const PREFERENCES_PATH = '/notifications';

export const KIND_NAMES: Record<NotificationKind, string> = {
  ASSIGNMENT_CREATED: 'New training',
  DUE_SOON: 'Training due soon',
  OVERDUE: 'Training overdue',
  CERTIFICATE_EXPIRING: 'Certificate expiring',
  RECERTIFICATION_ASSIGNED: 'Recertification assigned',
  RISK_NOT_REDUCED: 'Risk not reduced after training',
  COMPLETION_RETRACTED: 'Completion retracted',
};

/**
 * The bell: the unread count on the button, the latest notifications in a panel, mark read. It refreshes the
 * moment a new assignment for the caller is committed (the live feed the Training Center uses; a new
 * assignment's notification is written in the same transaction) and whenever the window regains focus.
 */
export function NotificationBell({ userId, onPreferences }: { userId: string; onPreferences: () => void }) {
  const [open, setOpen] = useState(false);
  const [result, refetch] = useQuery({ query: WebNotificationsDocument, variables: { first: 15 } });
  const [marking, mark] = useMutation(MarkNotificationsReadDocument);
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: { userId } });
  useEffect(() => {
    if (live.data) refetch({ requestPolicy: 'network-only' });
  }, [live.data, refetch]);
  useEffect(() => {
    const onFocus = () => refetch({ requestPolicy: 'network-only' });
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
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
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen(!open)}
      >
        Notifications{' '}
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread}
          </span>
        )}
      </button>
      <div id="notifications-panel" className="bell-panel" hidden={!open} role="region" aria-label="Notifications">
        <div className="row">
          <strong>{unread === 0 ? 'All read' : `${unread} unread`}</strong>
          <button
            type="button"
            disabled={unread === 0 || marking.fetching}
            onClick={() => markRead(nodes.filter((n) => !n.readAt).map((n) => n.id))}
          >
            Mark all read
          </button>
        </div>
        {nodes.length === 0 ? (
          <Empty>No notifications yet.</Empty>
        ) : (
          <ul className="rows">
            {nodes.map((n) => (
              <li key={n.id} className={n.readAt ? 'read' : 'unread'}>
                <span>
                  <strong>{KIND_NAMES[n.kind]}</strong>
                  {n.assignment ? `: ${n.assignment.course.title}` : ''}
                  {n.assignment?.dueDate ? `, due ${formatDate(n.assignment.dueDate)}` : ''}
                </span>{' '}
                <small className="hint">{formatDate(n.createdAt)}</small>{' '}
                {!n.readAt && (
                  <button type="button" disabled={marking.fetching} onClick={() => markRead([n.id])}>
                    Mark read
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
          E-mail preferences
        </button>
      </div>
    </div>
  );
}

const KINDS = Object.keys(KIND_NAMES) as NotificationKind[];

/** Which notifications also come by e-mail (every kind always shows in the app). */
export function NotificationPreferences() {
  const [result] = useQuery({ query: MyNotificationPreferencesDocument });
  const [saving, save] = useMutation(UpdateNotificationPreferencesDocument);
  const [optOut, setOptOut] = useState<NotificationKind[] | undefined>();
  const [notice, setNotice] = useState<string>();
  const stored = result.data?.me.notificationPreferences?.emailOptOut;
  const current = optOut ?? stored ?? [];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const response = await save({ input: { emailOptOut: current } });
    if (!response.error) setNotice('Saved your e-mail preferences.');
  };

  return (
    <div className="page">
      <h1>Notification preferences</h1>
      <Section title="E-mail me about">
        <Loaded result={result} what="your preferences">
          <form onSubmit={submit} aria-label="E-mail preferences">
            <p className="hint">Every notification shows in the app; untick what you want no e-mail for.</p>
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
                <label htmlFor={`email-${kind}`}>{KIND_NAMES[kind]}</label>
              </div>
            ))}
            <div className="actions">
              <button type="submit" className="primary" disabled={saving.fetching}>
                Save preferences
              </button>
            </div>
            <Notice message={notice} />
          </form>
        </Loaded>
      </Section>
    </div>
  );
}
