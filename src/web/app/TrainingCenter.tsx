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
import { i18n } from './i18n';
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

const GROUPS: { title: string; matches: (assignment: Assignment) => boolean; empty: string }[] = [
  { title: 'Overdue', matches: (a) => a.status === 'OVERDUE', empty: 'Nothing overdue.' },
  { title: 'To do', matches: (a) => a.status === 'ASSIGNED', empty: 'Nothing waiting to be started.' },
  { title: 'In progress', matches: (a) => a.status === 'IN_PROGRESS', empty: 'Nothing in progress.' },
  { title: 'Completed', matches: (a) => a.status === 'COMPLETED', empty: 'Nothing completed yet.' },
];

/** The caller's own training: grouped assignments, start and complete, live arrivals, own progress. */
export function TrainingCenter({ session }: { session: Session }) {
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
      <h1>Training Center</h1>
      <Progress result={me} />
      {live.error && (
        <p className="notice" role="status">
          Live updates are paused; new training shows when you reload.
        </p>
      )}
      <Loaded result={list} what="your training" retry={refresh}>
        {assignments.length === 0 && (
          <Empty>You have no training assigned. New assignments appear here as soon as they are made.</Empty>
        )}
      </Loaded>
      <div className="groups" aria-live="polite">
        {(list.data || arrived.length > 0) &&
          GROUPS.map((group) => {
            const members = assignments.filter(group.matches);
            return (
              <Section key={group.title} title={group.title} className={`group group-${group.title.toLowerCase()}`}>
                {members.length === 0 ? (
                  <Empty>{group.empty}</Empty>
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
  const progress = result.data?.me.trainingProgress;
  return (
    <Section title="Your progress" className="panel summary">
      <Loaded result={result} what="your progress">
        {progress && (
          <div className="tiles">
            <Tile label="Assigned" value={progress.totalAssignments} />
            <Tile label="Completed" value={progress.completedCount} />
            <Tile label="In progress" value={progress.inProgressCount} />
            <Tile label="Overdue" value={progress.overdueCount} />
            <Tile label="Completion rate" value={percent(progress.completionRate)} />
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
    ? `Assigned by ${personName(assignment.assignedBy)}`
    : enumName(assignment.assignmentType);
}

const SOURCE_NAMES: Record<CompletionSource, string> = {
  SELF_REPORT: 'Self-reported result',
  QUIZ: 'Quiz',
  CONTENT: 'Course content',
  PRACTICAL_EVALUATION: 'Practical evaluation',
  INTEGRATION: 'External training system',
};

/** What completing the course takes beyond a reported result, in words; empty: the assignee reports it. */
function requirementsText(requirements: Assignment['course']['requirements']): string {
  const parts = [
    requirements.quiz && 'pass the quiz',
    requirements.content && 'finish the course content',
    requirements.practicalEvaluation && 'pass a practical evaluation',
  ].filter((part): part is string => Boolean(part));
  if (parts.length === 0) return '';
  const text = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
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
        {isNew && <span className="badge">New</span>}
      </div>
      <dl className="facts">
        <div>
          <dt>Category</dt>
          <dd>{categoryName(assignment.course.category)}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd>{formatDate(assignment.dueDate)}</dd>
        </div>
        <div>
          <dt>Why</dt>
          <dd>{why(assignment)}</dd>
        </div>
        {toComplete && assignment.status !== 'COMPLETED' && assignment.status !== 'CANCELLED' && (
          <div>
            <dt>To complete</dt>
            <dd>{toComplete}</dd>
          </div>
        )}
        {assignment.status === 'COMPLETED' && completion && (
          <>
            <div>
              <dt>Completed by</dt>
              <dd>{SOURCE_NAMES[completion.source]}</dd>
            </div>
            <div>
              <dt>Score</dt>
              <dd>{completion.score ?? '—'}</dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{completion.expiresAt ? formatDate(completion.expiresAt) : 'Never'}</dd>
            </div>
            {completion.certificate && (
              <div>
                <dt>Certificate</dt>
                <dd>
                  <a href={completion.certificate.url} target="_blank" rel="noreferrer">
                    Certificate (PDF)
                  </a>
                  {completion.certificate.status !== 'VALID' && ` — ${enumName(completion.certificate.status)}`}
                </dd>
              </div>
            )}
          </>
        )}
        {assignment.status !== 'COMPLETED' && completion && !completion.passed && (
          <div>
            <dt>Last attempt</dt>
            <dd>Not passed (score {completion.score ?? '—'})</dd>
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
            Start
          </button>
        )}
        {completable && !completing && (
          <button type="button" className="primary" onClick={() => setCompleting(true)}>
            Complete
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
