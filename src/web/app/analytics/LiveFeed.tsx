import { useEffect, useState } from 'react';
import { useSubscription } from 'urql';
import { WebAssignmentCreatedDocument, type AssignmentRowFieldsFragment } from '../../../generated/operations/graphql';
import { Empty, enumName, ErrorMessage, formatDate, personName, Section } from '../ui';

/** The tenant's new assignments as they are committed (graphql-ws). */
export function LiveFeed({ onArrival }: { onArrival: () => void }) {
  const [events, setEvents] = useState<AssignmentRowFieldsFragment[]>([]);
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: {} });
  useEffect(() => {
    const created = live.data?.trainingAssignmentCreated;
    if (!created) return;
    setEvents((previous) =>
      previous.some((event) => event.id === created.id) ? previous : [created, ...previous].slice(0, 20),
    );
    onArrival();
  }, [live.data]);

  return (
    <Section title="Live feed">
      {live.error && <ErrorMessage error="Live updates are unavailable right now." />}
      {events.length === 0 ? (
        <Empty>New assignments of your organisation appear here as they are made.</Empty>
      ) : (
        <ul className="rows" aria-live="polite">
          {events.map((a) => (
            <li key={a.id}>
              <strong>{personName(a.user)}</strong> — {a.course.title} ({enumName(a.assignmentType).toLowerCase()}
              {a.dueDate ? `, due ${formatDate(a.dueDate)}` : ''})
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
