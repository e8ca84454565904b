import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery, useSubscription, type UseQueryState } from 'urql';
import {
  StartTrainingAssignmentDocument,
  WebAssignmentCreatedDocument,
  WebMeDocument,
  WebMyAssignmentsDocument,
  type AssignmentRowFieldsFragment,
  type CompletionSource,
  type WebMeQuery,
} from '../../generated/operations/graphql';
import { ModulePanel } from './content/ModulePanel';
import { formatNumber, i18n, useTranslation } from './i18n';
import { CompleteForm } from './ResultForms';
import { QuizPanel, useMyQuizzes, type AssignmentQuiz } from './quiz/QuizCard';
import type { Session } from './session';
import {
  categoryName,
  Empty,
  enumName,
  ErrorMessage,
  formatDate,
  Loaded,
  Notice,
  percent,
  personName,
  REFRESH_ON,
  riskReason,
  Section,
  Tile,
} from './ui';

type Assignment = AssignmentRowFieldsFragment;

// The class names stay English (the stylesheet uses them) whatever the language of the titles.
const GROUPS = [
  { status: 'OVERDUE', className: 'overdue' },
  { status: 'ASSIGNED', className: 'to do' },
  { status: 'IN_PROGRESS', className: 'in progress' },
  { status: 'COMPLETED', className: 'completed' },
] as const;

/** The caller's own training: grouped assignments, start and complete, live arrivals, own progress. */
export function TrainingCenter({ session }: { session: Session }) {
  const { t } = useTranslation();
  const [me, refetchMe] = useQuery({ query: WebMeDocument });
  const [list, refetchList] = useQuery({
    query: WebMyAssignmentsDocument,
    variables: { first: 200 },
    context: REFRESH_ON.Assignment,
  });
  const [arrived, setArrived] = useState<Assignment[]>([]);

  // Every new assignment for the caller, pushed over graphql-ws as soon as it is committed.
  const [live] = useSubscription({ query: WebAssignmentCreatedDocument, variables: { userId: session.userId } });
  useEffect(() => {
    const created = live.data?.trainingAssignmentCreated;
    if (!created) return;
    setArrived((previous) => (previous.some((a) => a.id === created.id) ? previous : [created, ...previous]));
    refetchMe({ requestPolicy: 'network-only' });
  }, [live.data, refetchMe]);

  const assignments = useMemo(() => {
    const loaded = list.data?.myTrainingAssignments.nodes ?? [];
    const loadedIds = new Set(loaded.map((a) => a.id));
    return [...arrived.filter((a) => !loadedIds.has(a.id)), ...loaded];
  }, [list.data, arrived]);
  const newIds = useMemo(() => new Set(arrived.map((a) => a.id)), [arrived]);
  const quizzes = useMyQuizzes(assignments.map((a) => a.id).join());

  const refresh = () => {
    refetchList({ requestPolicy: 'network-only' });
    refetchMe({ requestPolicy: 'network-only' });
  };

  return (
    <div className="page">
      <h1>{t('app.trainingCenter')}</h1>
      <Progress result={me} />
      {live.error && (
        <p className="notice" role="status">
          {t('training.livePaused')}
        </p>
      )}
      <Loaded result={list} what={t('training.what')} retry={refresh}>
        {assignments.length === 0 && <Empty>{t('training.none')}</Empty>}
      </Loaded>
      <div className="groups" aria-live="polite">
        {(list.data || arrived.length > 0) &&
          GROUPS.map((group) => {
            const members = assignments.filter((a) => a.status === group.status);
            return (
              <Section
                key={group.status}
                title={t(`status.${group.status}`)}
                className={`group group-${group.className}`}
              >
                {members.length === 0 ? (
                  <Empty>{t(`training.empty.${group.status}`)}</Empty>
                ) : (
                  <ul className="cards">
                    {members.map((assignment) => (
                      <AssignmentCard
                        key={assignment.id}
                        assignment={assignment}
                        isNew={newIds.has(assignment.id)}
                        quiz={quizzes.get(assignment.id)}
                        onChanged={refresh}
                      />
                    ))}
                  </ul>
                )}
              </Section>
            );
          })}
      </div>
    </div>
  );
}

function Progress({ result }: { result: UseQueryState<WebMeQuery> }) {
  const { t } = useTranslation();
  const progress = result.data?.me.trainingProgress;
  return (
    <Section title={t('training.progress')} className="panel summary">
      <Loaded result={result} what={t('training.progressWhat')}>
        {progress && (
          <div className="tiles">
            <Tile label={t('training.assigned')} value={formatNumber(progress.totalAssignments)} />
            <Tile label={t('status.COMPLETED')} value={formatNumber(progress.completedCount)} />
            <Tile label={t('status.IN_PROGRESS')} value={formatNumber(progress.inProgressCount)} />
            <Tile label={t('status.OVERDUE')} value={formatNumber(progress.overdueCount)} />
            <Tile label={t('training.completionRate')} value={percent(progress.completionRate)} />
          </div>
        )}
      </Loaded>
    </Section>
  );
}

function why(assignment: Assignment): string {
  const trigger = assignment.trigger;
  if (trigger) return riskReason(trigger);
  if (assignment.assignmentReason) return assignment.assignmentReason;
  return assignment.assignmentType === 'MANUAL'
    ? i18n.t('training.assignedBy', { name: personName(assignment.assignedBy) })
    : enumName(assignment.assignmentType);
}

const sourceName = (source: CompletionSource) => i18n.t(`training.source.${source}`);

/** What completing the course takes beyond a reported result, in words; empty: the assignee reports it. */
function requirementsText(requirements: Assignment['course']['requirements']): string {
  const parts = [
    requirements.quiz && i18n.t('training.requirement.quiz'),
    requirements.content && i18n.t('training.requirement.content'),
    requirements.practicalEvaluation && i18n.t('training.requirement.practicalEvaluation'),
  ].filter((part): part is string => Boolean(part));
  if (parts.length === 0) return '';
  const text =
    parts.length === 1
      ? parts[0]!
      : i18n.t('training.requirement.list', { list: parts.slice(0, -1).join(', '), last: parts.at(-1)! });
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function AssignmentCard({
  assignment,
  isNew,
  quiz,
  onChanged,
}: {
  assignment: Assignment;
  isNew: boolean;
  quiz: AssignmentQuiz | undefined;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const [startMutation, start] = useMutation(StartTrainingAssignmentDocument);
  const [completing, setCompleting] = useState(false);
  // Started with no network: the start waits in the outbox.
  const [queued, setQueued] = useState(false);
  const titleId = `assignment-${assignment.id}`;
  const startable =
    !queued && (assignment.status === 'ASSIGNED' || (assignment.status === 'OVERDUE' && !assignment.startedAt));
  // Only a course without requirements takes a reported result; the others are completed by their evidence.
  const toComplete = requirementsText(assignment.course.requirements);
  const started = assignment.status === 'IN_PROGRESS' || (assignment.status === 'OVERDUE' && !!assignment.startedAt);
  const completable = !toComplete && started;
  const completion = assignment.completion;

  return (
    <li className={isNew ? 'card new' : 'card'} aria-labelledby={titleId}>
      <div className="card-head">
        <h3 id={titleId}>{assignment.course.title}</h3>
        {isNew && <span className="badge">{t('training.new')}</span>}
      </div>
      <dl className="facts">
        <div>
          <dt>{t('training.category')}</dt>
          <dd>{categoryName(assignment.course.category)}</dd>
        </div>
        <div>
          <dt>{t('training.due')}</dt>
          <dd>{formatDate(assignment.dueDate)}</dd>
        </div>
        <div>
          <dt>{t('training.why')}</dt>
          <dd>{why(assignment)}</dd>
        </div>
        {toComplete && assignment.status !== 'COMPLETED' && assignment.status !== 'CANCELLED' && (
          <div>
            <dt>{t('training.toComplete')}</dt>
            <dd>{toComplete}</dd>
          </div>
        )}
        {assignment.status === 'COMPLETED' && completion && (
          <>
            <div>
              <dt>{t('training.completedBy')}</dt>
              <dd>{sourceName(completion.source)}</dd>
            </div>
            <div>
              <dt>{t('training.score')}</dt>
              <dd>{completion.score == null ? '—' : formatNumber(completion.score)}</dd>
            </div>
            <div>
              <dt>{t('training.expires')}</dt>
              <dd>{completion.expiresAt ? formatDate(completion.expiresAt) : t('training.never')}</dd>
            </div>
            {completion.certificate && (
              <div>
                <dt>{t('training.certificate')}</dt>
                <dd>
                  <a href={completion.certificate.url} target="_blank" rel="noreferrer">
                    {t('training.certificatePdf')}
                  </a>
                  {completion.certificate.status !== 'VALID' && ` — ${enumName(completion.certificate.status)}`}
                </dd>
              </div>
            )}
          </>
        )}
        {assignment.status !== 'COMPLETED' && completion && !completion.passed && (
          <div>
            <dt>{t('training.lastAttempt')}</dt>
            <dd>
              {t('training.notPassedScore', {
                score: completion.score == null ? '—' : formatNumber(completion.score),
              })}
            </dd>
          </div>
        )}
      </dl>
      {quiz && <QuizPanel assignmentId={assignment.id} quiz={quiz} canTake={started} />}
      {(started || assignment.status === 'COMPLETED') && (
        <ModulePanel
          assignmentId={assignment.id}
          courseId={assignment.course.id}
          canLaunch={started}
          onChanged={onChanged}
        />
      )}
      {startMutation.error && <ErrorMessage error={startMutation.error} />}
      {queued && <Notice message={i18n.t('offline.queuedStart')} />}
      <div className="actions">
        {startable && (
          <button
            type="button"
            className="primary"
            disabled={startMutation.fetching}
            onClick={async () => {
              const result = await start({ assignmentId: assignment.id });
              if (result.extensions?.queued) setQueued(true);
              else if (!result.error) onChanged();
            }}
          >
            {t('training.start')}
          </button>
        )}
        {completable && !completing && (
          <button type="button" className="primary" onClick={() => setCompleting(true)}>
            {t('result.complete')}
          </button>
        )}
      </div>
      {completable && completing && (
        <CompleteForm
          assignmentId={assignment.id}
          onDone={() => {
            setCompleting(false);
            onChanged();
          }}
          onCancel={() => setCompleting(false)}
        />
      )}
    </li>
  );
}
