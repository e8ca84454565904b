import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { WebAnalyticsDocument } from '../../../generated/operations/graphql';
import { Assignments } from '../Assignments';
import { AutoAssign } from '../AutoAssign';
import { Courses } from '../Courses';
import { ModuleStats } from '../content/ModuleStats';
import { QuestionStats } from '../quiz/QuestionStats';
import { useTranslation } from '../i18n';
import { Loaded } from '../ui';
import { Breakdowns } from './Breakdowns';
import { DrillDownList } from './DrillDown';
import { Figures } from './Figures';
import { FilterBar } from './FilterBar';
import { NO_FILTERS, type DrillDown, type Filters } from './filters';
import { LiveFeed } from './LiveFeed';

/** How often the figures refresh while the screen is open (starts and completions have no live event). */
const REFRESH_MS = 5_000;

/** The tenant's training for admins and safety officers. */
export function Analytics({ token }: { token: string }) {
  const [analytics, refetch] = useQuery({ query: WebAnalyticsDocument });
  const [version, setVersion] = useState(0);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [drill, setDrill] = useState<DrillDown | null>(null);
  const { t } = useTranslation();
  const refresh = () => {
    refetch({ requestPolicy: 'network-only' });
    setVersion((v) => v + 1);
  };

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refetch({ requestPolicy: 'network-only' });
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);

  const data = analytics.data?.trainingAnalytics;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('app.trainingAnalytics')}</h1>
        <button type="button" onClick={refresh} disabled={analytics.fetching}>
          {t('analytics.refresh')}
        </button>
      </div>
      <FilterBar
        filters={filters}
        courses={data?.byCourse.map((row) => row.course) ?? []}
        token={token}
        onChange={(next) => {
          setFilters(next);
          setDrill(null);
        }}
      />
      {drill && <DrillDownList filters={filters} drill={drill} onClose={() => setDrill(null)} />}
      <Breakdowns key={`breakdowns-${version}`} filters={filters} version={version} onDrill={setDrill} />
      <Loaded result={analytics} what={t('analytics.what')} retry={refresh}>
        {data && <Figures data={data} />}
      </Loaded>
      <QuestionStats key={`question-stats-${version}`} />
      <ModuleStats key={`module-stats-${version}`} />
      <LiveFeed onArrival={() => refetch({ requestPolicy: 'network-only' })} />
      <Courses key={`courses-${version}`} />
      <Assignments key={`assignments-${version}`} />
      <AutoAssign />
    </div>
  );
}
