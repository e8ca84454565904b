import { useState } from 'react';
import { useMutation } from 'urql';
import { WebAutoAssignDocument, type WebAutoAssignMutation } from '../../generated/operations/graphql';
import { Empty, ErrorMessage, Field, formatDate, personName, riskReason, Section } from './ui';
import { formErrors } from './form-errors';

type Result = WebAutoAssignMutation['autoAssignTraining'];

/** Risk-based auto-assignment: preview who would get which course and why, then run it. */
export function AutoAssign() {
  const [running, run] = useMutation(WebAutoAssignDocument);
  const [minRiskScore, setMinRiskScore] = useState('0');
  const [result, setResult] = useState<Result>();
  const errors = formErrors(running.error, ['minRiskScore']);

  const go = async (dryRun: boolean) => {
    setResult(undefined);
    const response = await run({
      dryRun,
      minRiskScore: minRiskScore.trim() === '' ? null : Number(minRiskScore),
    });
    if (response.data) setResult(response.data.autoAssignTraining);
  };

  return (
    <Section title="Auto-assign">
      <p>
        Courses set to assign automatically go to the people whose latest risk score reaches the course’s threshold.
        Preview first; nothing is written until you choose Assign.
      </p>
      <div className="filters">
        <Field label="Minimum risk score" error={errors.fields.minRiskScore}>
          {(p) => <input {...p} type="number" value={minRiskScore} onChange={(e) => setMinRiskScore(e.target.value)} />}
        </Field>
      </div>
      <div className="actions">
        <button type="button" onClick={() => go(true)} disabled={running.fetching}>
          Preview
        </button>
        <button type="button" className="primary" onClick={() => go(false)} disabled={running.fetching}>
          Assign
        </button>
      </div>
      {running.fetching && (
        <p role="status" className="state">
          Working…
        </p>
      )}
      {errors.form && <ErrorMessage error={errors.form} />}
      {result && (
        <div className="auto-assign-result" role="status">
          <p>
            {result.dryRun
              ? `Preview: ${result.assignments.length} assignment(s) would be created`
              : `Created ${result.assignmentsCreated} assignment(s)`}{' '}
            ({result.coursesChecked} course(s) and {result.scoresChecked} score(s) checked).
          </p>
          {result.assignments.length === 0 ? (
            <Empty>Nobody needs new training right now.</Empty>
          ) : (
            <ul className="rows" aria-label={result.dryRun ? 'Would be assigned' : 'Assigned'}>
              {result.assignments.map((a) => (
                <li key={`${a.user.id}-${a.course.id}`}>
                  <strong>{personName(a.user)}</strong> — {a.course.title}
                  {a.trigger ? `: ${riskReason(a.trigger)}` : ''}
                  {a.dueDate ? `, due ${formatDate(a.dueDate)}` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}
