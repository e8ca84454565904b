import { useState } from 'react';
import { useMutation } from 'urql';
import { WebAutoAssignDocument, type WebAutoAssignMutation } from '../../generated/operations/graphql';
import { formatNumber, useTranslation } from './i18n';
import { Empty, ErrorMessage, Field, formatDate, personName, riskReason, Section } from './ui';
import { formErrors } from './form-errors';

type Result = WebAutoAssignMutation['autoAssignTraining'];

/** Risk-based auto-assignment: preview who would get which course and why, then run it. */
export function AutoAssign() {
  const [running, run] = useMutation(WebAutoAssignDocument);
  const [minRiskScore, setMinRiskScore] = useState('0');
  const [result, setResult] = useState<Result>();
  const { t } = useTranslation();
  const errors = formErrors(running.error, ['minRiskScore'], { minRiskScore: t('autoAssign.minRiskScore') });

  const go = async (dryRun: boolean) => {
    setResult(undefined);
    const response = await run({
      dryRun,
      minRiskScore: minRiskScore.trim() === '' ? null : Number(minRiskScore),
    });
    if (response.data) setResult(response.data.autoAssignTraining);
  };

  return (
    <Section title={t('autoAssign.title')}>
      <p>{t('autoAssign.intro')}</p>
      <div className="filters">
        <Field label={t('autoAssign.minRiskScore')} error={errors.fields.minRiskScore}>
          {(p) => <input {...p} type="number" value={minRiskScore} onChange={(e) => setMinRiskScore(e.target.value)} />}
        </Field>
      </div>
      <div className="actions">
        <button type="button" onClick={() => go(true)} disabled={running.fetching}>
          {t('autoAssign.preview')}
        </button>
        <button type="button" className="primary" onClick={() => go(false)} disabled={running.fetching}>
          {t('autoAssign.assign')}
        </button>
      </div>
      {running.fetching && (
        <p role="status" className="state">
          {t('autoAssign.working')}
        </p>
      )}
      {errors.form && <ErrorMessage error={errors.form} />}
      {result && (
        <div className="auto-assign-result" role="status">
          <p>
            {t(result.dryRun ? 'autoAssign.wouldCreate' : 'autoAssign.created', {
              n: formatNumber(result.dryRun ? result.assignments.length : result.assignmentsCreated),
              courses: formatNumber(result.coursesChecked),
              scores: formatNumber(result.scoresChecked),
            })}
          </p>
          {result.assignments.length === 0 ? (
            <Empty>{t('autoAssign.nobody')}</Empty>
          ) : (
            <ul className="rows" aria-label={t(result.dryRun ? 'autoAssign.wouldBeAssigned' : 'autoAssign.assigned')}>
              {result.assignments.map((a) => (
                <li key={`${a.user.id}-${a.course.id}`}>
                  <strong>{personName(a.user)}</strong> — {a.course.title}
                  {a.trigger ? `: ${riskReason(a.trigger)}` : ''}
                  {a.dueDate ? t('analytics.due', { date: formatDate(a.dueDate) }) : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}
