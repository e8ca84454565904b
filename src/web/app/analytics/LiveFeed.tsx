import { useEffect, useState } from 'react';
import { useSubscription } from 'urql';
import { WebAssignmentCreatedDocument, type AssignmentRowFieldsFragment } from '../../../generated/operations/graphql';
import { useTranslation } from '../i18n';
import { Empty, enumName, ErrorMessage, formatDate, personName, Section } from '../ui';

/** The tenant's new assignments as they are committed (graphql-ws). */
export function LiveFeed({ onArrival }: { onArrival: () => void }) {
  const [events, setEvents] = useState<AssignmentRowFieldsFragment[]>([]);
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: {} });
  const { t } = useTranslation();
  useEffect(() => {
    const created = live.data?.trainingAssignmentCreated;
    if (!created) return;
    setEvents((previous) =>
      previous.some((event) => event.id === created.id) ? previous : [created, ...previous].slice(0, 20),
    );
    onArrival();
  }, [live.data]);

  return (
    <Section title={t('liveFeed.title')}>
      {live.error && <ErrorMessage error={t('liveFeed.unavailable')} />}
      {events.length === 0 ? (
        <Empty>{t('liveFeed.empty')}</Empty>
      ) : (
        <ul className="rows" aria-live="polite">
          {events.map((a) => (
            <li key={a.id}>
              <strong>{personName(a.user)}</strong> — {a.course.title} ({enumName(a.assignmentType).toLowerCase()}
              {a.dueDate ? t('analytics.due', { date: formatDate(a.dueDate) }) : ''})
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
