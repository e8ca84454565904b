import { useQuery } from 'urql';
import { WebAssignmentsDocument } from '../../../generated/operations/graphql';
import { formatNumber, useTranslation } from '../i18n';
import { Empty, formatDate, Loaded, personName, Section, STATUS_NAMES } from '../ui';
import { assignmentFilter, type DrillDown, type Filters } from './filters';

/** How many of the people behind a figure are listed. */
const SHOWN = 50;

/** The people behind a tile or a row: their assignments under the screen's filters and the figure's own. */
export function DrillDownList({
  filters,
  drill,
  onClose,
}: {
  filters: Filters;
  drill: DrillDown;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({
    query: WebAssignmentsDocument,
    variables: { filter: assignmentFilter(filters, drill), first: SHOWN },
    requestPolicy: 'cache-and-network',
  });
  const page = result.data?.trainingAssignments;
  return (
    <Section title={t('analytics.peopleTitle', { title: drill.title })} className="panel drill-down">
      <div className="row">
        <p className="state">
          {page
            ? t('analytics.assignmentCount', { count: page.totalCount }) +
              (page.totalCount > SHOWN ? t('analytics.newestShown', { shown: formatNumber(SHOWN) }) : '')
            : ''}
        </p>
        <button type="button" onClick={onClose} autoFocus>
          {t('analytics.close')}
        </button>
      </div>
      <Loaded result={result} what={t('analytics.thePeople')} retry={() => refetch({ requestPolicy: 'network-only' })}>
        {page &&
          (page.nodes.length === 0 ? (
            <Empty>{t('analytics.nobody')}</Empty>
          ) : (
            <ul className="rows" aria-label={t('analytics.peopleTitle', { title: drill.title })}>
              {page.nodes.map((a) => (
                <li key={a.id}>
                  <strong>{personName(a.user)}</strong> — {a.course.title}, {STATUS_NAMES[a.status].toLowerCase()}
                  {a.dueDate ? t('analytics.due', { date: formatDate(a.dueDate) }) : ''}
                </li>
              ))}
            </ul>
          ))}
      </Loaded>
    </Section>
  );
}
