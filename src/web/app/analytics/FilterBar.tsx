import { useState } from 'react';
import { useQuery } from 'urql';
import { WebAnalyticsPlacesDocument } from '../../../generated/operations/graphql';
import { useTranslation } from '../i18n';
import { ErrorMessage, InputField, SelectField } from '../ui';
import { anyFilter, equipmentName, exportQuery, NO_FILTERS, zoneName, type Filters } from './filters';
import { errorText, type ApiErrorLike } from '../errors/translate';

/**
 * The date range and the course, zone and equipment the breakdowns (and the exports) are narrowed to,
 * and the buttons that download the auditors' training records for them.
 */
export function FilterBar({
  filters,
  courses,
  token,
  onChange,
}: {
  filters: Filters;
  courses: { id: string; title: string }[];
  token: string;
  onChange: (next: Filters) => void;
}) {
  const { t } = useTranslation();
  const [places] = useQuery({ query: WebAnalyticsPlacesDocument });
  const zones = places.data?.trainingAnalytics.byZone.map((row) => row.zoneId) ?? [];
  const equipment = places.data?.trainingAnalytics.byEquipment.map((row) => row.equipmentId) ?? [];
  const change = (name: keyof Filters) => (value: string) => onChange({ ...filters, [name]: value });
  const rangeError =
    filters.from && filters.to && filters.from > filters.to ? t('analytics.rangeBackwards') : undefined;

  return (
    <form
      className="panel filter-bar"
      role="search"
      aria-label={t('analytics.filters')}
      onSubmit={(e) => e.preventDefault()}
    >
      <div className="filters">
        <InputField label={t('analytics.from')} type="date" value={filters.from} onChange={change('from')} />
        <InputField
          label={t('analytics.to')}
          type="date"
          value={filters.to}
          onChange={change('to')}
          error={rangeError}
        />
        <SelectField
          label={t('analytics.course')}
          value={filters.courseId}
          onChange={change('courseId')}
          none={t('analytics.allCourses')}
          options={courses.map((c) => ({ value: c.id, name: c.title }))}
        />
        <SelectField
          label={t('analytics.zone')}
          value={filters.zoneId}
          onChange={change('zoneId')}
          none={t('analytics.allZones')}
          options={zones.map((id) => ({ value: id, name: zoneName(id) }))}
        />
        <SelectField
          label={t('analytics.equipment')}
          value={filters.equipmentId}
          onChange={change('equipmentId')}
          none={t('analytics.allEquipment')}
          options={equipment.map((id) => ({ value: id, name: equipmentName(id) }))}
        />
      </div>
      <div className="actions">
        <button type="button" disabled={!anyFilter(filters)} onClick={() => onChange(NO_FILTERS)}>
          {t('analytics.clearFilters')}
        </button>
        <ExportButton format="csv" label={t('analytics.exportCsv')} filters={filters} token={token} />
        <ExportButton format="xlsx" label={t('analytics.exportExcel')} filters={filters} token={token} />
      </div>
    </form>
  );
}

/** Downloads the training records for the filters (the export needs the token, so a plain link cannot). */
function ExportButton({
  format,
  label,
  filters,
  token,
}: {
  format: 'csv' | 'xlsx';
  label: string;
  filters: Filters;
  token: string;
}) {
  const { t } = useTranslation();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const download = async () => {
    setState({ busy: true });
    try {
      const response = await fetch(`/exports/training-records.${format}${exportQuery(filters)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { errors?: ApiErrorLike[] };
        const refusal = body.errors?.[0];
        throw new Error(refusal ? errorText(refusal) : t('analytics.exportFailed', { status: response.status }));
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = name ?? `training-records.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false });
    } catch (error) {
      setState({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <>
      <button type="button" onClick={download} disabled={state.busy}>
        {state.busy ? t('analytics.exporting') : label}
      </button>
      {state.error && <ErrorMessage error={state.error} />}
    </>
  );
}
