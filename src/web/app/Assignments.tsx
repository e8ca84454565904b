import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CancelTrainingAssignmentDocument,
  RevokeCertificateDocument,
  TrainingCoursesDocument,
  WebAssignmentsDocument,
  WebAssignTrainingCourseDocument,
  type AssignmentRowFieldsFragment,
  type AssignmentStatus,
  type AssignmentType,
  type PersonFieldsFragment,
} from '../../generated/operations/graphql';
import { useTranslation } from './i18n';
import { PersonPicker } from './PersonPicker';
import { EvaluationForm } from './ResultForms';
import {
  choices,
  ConfirmButton,
  DataTable,
  Empty,
  enumName,
  ErrorMessage,
  formatDate,
  FormError,
  InputField,
  Loaded,
  Notice,
  personName,
  REFRESH_ON,
  Section,
  SelectField,
  STATUS_NAMES,
  type Choice,
} from './ui';
import { formErrors } from './form-errors';

const STATUSES: AssignmentStatus[] = ['OVERDUE', 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'];
const TYPES: AssignmentType[] = ['MANUAL', 'AUTO', 'RISK_BASED'];
const ACTIVE: AssignmentStatus[] = ['ASSIGNED', 'IN_PROGRESS', 'OVERDUE'];

/** The tenant's assignments: filter, assign a course to someone, record a practical evaluation, cancel. */
export function Assignments() {
  const [status, setStatus] = useState<AssignmentStatus | ''>('');
  const [courseId, setCourseId] = useState('');
  const [type, setType] = useState<AssignmentType | ''>('');
  const [notice, setNotice] = useState<string>();
  const { t } = useTranslation();
  const filter = { status: status || null, courseId: courseId || null, assignmentType: type || null };
  const [list, refetch] = useQuery({
    query: WebAssignmentsDocument,
    variables: { filter, first: 100 },
    context: REFRESH_ON.Assignment,
  });
  const [courses] = useQuery({
    query: TrainingCoursesDocument,
    variables: { first: 200 },
    context: REFRESH_ON.Course,
  });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const nodes = list.data?.trainingAssignments.nodes ?? [];
  const courseChoices = (courses.data?.trainingCourses.nodes ?? []).map((c) => ({ value: c.id, name: c.title }));

  return (
    <Section title={t('assignments.title')}>
      <div className="filters" role="search" aria-label={t('assignments.title')}>
        <SelectField
          label={t('assignments.status')}
          value={status}
          onChange={setStatus}
          none={t('assignments.anyStatus')}
          options={choices(STATUSES, (s) => STATUS_NAMES[s])}
        />
        <SelectField
          label={t('assignments.course')}
          value={courseId}
          onChange={setCourseId}
          none={t('assignments.anyCourse')}
          options={courseChoices}
        />
        <SelectField
          label={t('assignments.type')}
          value={type}
          onChange={setType}
          none={t('assignments.anyType')}
          options={choices(TYPES, enumName)}
        />
      </div>
      <Notice message={notice} />
      <Loaded result={list} what={t('assignments.what')} retry={reload}>
        {nodes.length === 0 ? (
          <Empty>{status || courseId || type ? t('assignments.noMatch') : t('assignments.none')}</Empty>
        ) : (
          <DataTable
            label={t('assignments.list')}
            columns={[
              t('assignments.person'),
              t('assignments.course'),
              t('assignments.status'),
              t('assignments.due'),
              t('assignments.type'),
            ]}
            actions
          >
            {nodes.map((a) => (
              <AssignmentRow
                key={a.id}
                assignment={a}
                onChanged={(message) => {
                  setNotice(message);
                  reload();
                }}
              />
            ))}
          </DataTable>
        )}
      </Loaded>
      <AssignForm
        courses={courseChoices}
        onAssigned={(message) => {
          setNotice(message);
          reload();
        }}
      />
    </Section>
  );
}

function AssignmentRow({
  assignment,
  onChanged,
}: {
  assignment: AssignmentRowFieldsFragment;
  /** Says what happened, naming the course and the person. */
  onChanged: (message: string) => void;
}) {
  const [cancelling, cancel] = useMutation(CancelTrainingAssignmentDocument);
  const { t } = useTranslation();
  const [revoking, revoke] = useMutation(RevokeCertificateDocument);
  const certificate = assignment.completion?.certificate;
  const [evaluating, setEvaluating] = useState(false);
  const active = ACTIVE.includes(assignment.status);
  const names = { course: assignment.course.title, person: personName(assignment.user) };
  const who = t('assignments.who', names);
  return (
    <>
      <tr>
        <th scope="row">{personName(assignment.user)}</th>
        <td>{assignment.course.title}</td>
        <td>
          {STATUS_NAMES[assignment.status]}
          {certificate &&
            certificate.status !== 'VALID' &&
            t('analytics.certificateStatus', { status: enumName(certificate.status).toLowerCase() })}
        </td>
        <td>{formatDate(assignment.dueDate)}</td>
        <td>{enumName(assignment.assignmentType)}</td>
        <td>
          {active && assignment.course.requirements.practicalEvaluation && !evaluating && (
            <button
              type="button"
              aria-label={t('assignments.recordEvaluationOf', { who })}
              onClick={() => setEvaluating(true)}
            >
              {t('assignments.recordEvaluation')}
            </button>
          )}
          {active && (
            <ConfirmButton
              label={t('assignments.cancel')}
              accessibleLabel={t('assignments.cancelOf', { who })}
              question={t('assignments.cancelQuestion', { who })}
              confirm={t('assignments.yesCancel')}
              keep={t('analytics.keepIt')}
              disabled={cancelling.fetching}
              onConfirm={async () => {
                // The reason is stored and audited: kept in one language whoever cancels.
                const result = await cancel({ assignmentId: assignment.id, reason: 'Cancelled in Training Analytics' });
                if (!result.error) onChanged(t('assignments.cancelled', names));
              }}
            />
          )}
          {certificate?.status === 'VALID' && (
            <ConfirmButton
              label={t('analytics.revokeCertificate')}
              accessibleLabel={t('analytics.revokeCertificateOf', { who })}
              question={t('analytics.revokeQuestion', { who })}
              confirm={t('analytics.yesRevoke')}
              keep={t('analytics.keepIt')}
              disabled={revoking.fetching}
              onConfirm={async () => {
                const result = await revoke({ code: certificate.code, reason: 'Revoked in Training Analytics' });
                if (!result.error) onChanged(t('assignments.revoked', names));
              }}
            />
          )}
          {cancelling.error && <ErrorMessage error={cancelling.error} />}
          {revoking.error && <ErrorMessage error={revoking.error} />}
        </td>
      </tr>
      {evaluating && (
        <tr>
          <td colSpan={6}>
            <EvaluationForm
              assignmentId={assignment.id}
              onDone={(passed) => {
                setEvaluating(false);
                onChanged(t(passed ? 'assignments.evaluationPassed' : 'assignments.evaluationFailed', names));
              }}
              onCancel={() => setEvaluating(false)}
            />
          </td>
        </tr>
      )}
    </>
  );
}

function AssignForm({ courses, onAssigned }: { courses: Choice<string>[]; onAssigned: (message: string) => void }) {
  const [assigning, assign] = useMutation(WebAssignTrainingCourseDocument);
  const [courseId, setCourseId] = useState('');
  const [person, setPerson] = useState<PersonFieldsFragment | null>(null);
  const [unpicked, setUnpicked] = useState(false);
  const [dueDate, setDueDate] = useState('');
  const [reason, setReason] = useState('');
  const { t } = useTranslation();
  const errors = formErrors(assigning.error, ['courseId', 'userId', 'dueDate', 'assignmentReason'], {
    courseId: t('assignments.course'),
    userId: t('assignments.person'),
    dueDate: t('assignments.dueDate'),
    assignmentReason: t('assignments.reason'),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setUnpicked(!person);
    if (!person) return;
    const result = await assign({
      input: {
        courseId: courseId || (courses[0]?.value ?? ''),
        userId: person.id,
        dueDate: dueDate || null,
        assignmentReason: reason.trim() || null,
      },
    });
    if (result.error || !result.data) return;
    const created = result.data.assignTrainingCourse;
    onAssigned(t('assignments.assigned', { course: created.course.title, person: personName(created.user) }));
    setPerson(null);
    setReason('');
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="assign-form-title">
      <h3 id="assign-form-title">{t('assignments.assignTitle')}</h3>
      <div className="form-grid">
        <SelectField
          label={t('assignments.courseToAssign')}
          error={errors.fields.courseId}
          value={courseId}
          onChange={setCourseId}
          options={courses}
        />
        <PersonPicker
          label={t('assignments.person')}
          error={unpicked ? t('assignments.pickPerson') : errors.fields.userId}
          value={person}
          onChange={(next) => {
            setPerson(next);
            if (next) setUnpicked(false);
          }}
        />
        <InputField
          label={t('assignments.dueDate')}
          error={errors.fields.dueDate}
          type="date"
          value={dueDate}
          onChange={setDueDate}
        />
        <InputField
          label={t('assignments.reason')}
          error={errors.fields.assignmentReason}
          value={reason}
          onChange={setReason}
        />
      </div>
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={assigning.fetching || courses.length === 0}>
          {t('assignments.assign')}
        </button>
      </div>
    </form>
  );
}
