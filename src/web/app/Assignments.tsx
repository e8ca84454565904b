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
    <Section title="Assignments">
      <div className="filters" role="search" aria-label="Assignments">
        <SelectField
          label="Status"
          value={status}
          onChange={setStatus}
          none="Any status"
          options={choices(STATUSES, (s) => STATUS_NAMES[s])}
        />
        <SelectField label="Course" value={courseId} onChange={setCourseId} none="Any course" options={courseChoices} />
        <SelectField label="Type" value={type} onChange={setType} none="Any type" options={choices(TYPES, enumName)} />
      </div>
      <Notice message={notice} />
      <Loaded result={list} what="assignments" retry={reload}>
        {nodes.length === 0 ? (
          <Empty>{status || courseId || type ? 'No assignment matches.' : 'No assignments yet.'}</Empty>
        ) : (
          <DataTable label="Assignment list" columns={['Person', 'Course', 'Status', 'Due', 'Type']} actions>
            {nodes.map((a) => (
              <AssignmentRow
                key={a.id}
                assignment={a}
                onChanged={(what) => {
                  setNotice(`${what} ${a.course.title} for ${personName(a.user)}.`);
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
  /** Says what happened ("Cancelled", …), to be followed by course and person. */
  onChanged: (what: string) => void;
}) {
  const [cancelling, cancel] = useMutation(CancelTrainingAssignmentDocument);
  const { t } = useTranslation();
  const [revoking, revoke] = useMutation(RevokeCertificateDocument);
  const certificate = assignment.completion?.certificate;
  const [evaluating, setEvaluating] = useState(false);
  const active = ACTIVE.includes(assignment.status);
  const who = `${assignment.course.title} for ${personName(assignment.user)}`;
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
            <button type="button" aria-label={`Record evaluation of ${who}`} onClick={() => setEvaluating(true)}>
              Record evaluation
            </button>
          )}
          {active && (
            <ConfirmButton
              label="Cancel"
              accessibleLabel={`Cancel ${who}`}
              question={`Cancel ${who}?`}
              confirm="Yes, cancel it"
              keep="Keep it"
              disabled={cancelling.fetching}
              onConfirm={async () => {
                const result = await cancel({ assignmentId: assignment.id, reason: 'Cancelled in Training Analytics' });
                if (!result.error) onChanged('Cancelled');
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
                if (!result.error) onChanged(t('analytics.revoked'));
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
                onChanged(
                  passed ? 'Recorded a passed practical evaluation of' : 'Recorded a failed practical evaluation of',
                );
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
  const errors = formErrors(assigning.error, ['courseId', 'userId', 'dueDate', 'assignmentReason'], {
    courseId: 'Course',
    userId: 'Person',
    assignmentReason: 'Reason',
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
    onAssigned(`Assigned ${created.course.title} to ${personName(created.user)}.`);
    setPerson(null);
    setReason('');
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="assign-form-title">
      <h3 id="assign-form-title">Assign a course</h3>
      <div className="form-grid">
        <SelectField
          label="Course to assign"
          error={errors.fields.courseId}
          value={courseId}
          onChange={setCourseId}
          options={courses}
        />
        <PersonPicker
          label="Person"
          error={
            unpicked ? 'Pick a person: type part of their name, then choose them from the list' : errors.fields.userId
          }
          value={person}
          onChange={(next) => {
            setPerson(next);
            if (next) setUnpicked(false);
          }}
        />
        <InputField label="Due date" error={errors.fields.dueDate} type="date" value={dueDate} onChange={setDueDate} />
        <InputField label="Reason" error={errors.fields.assignmentReason} value={reason} onChange={setReason} />
      </div>
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={assigning.fetching || courses.length === 0}>
          Assign
        </button>
      </div>
    </form>
  );
}
