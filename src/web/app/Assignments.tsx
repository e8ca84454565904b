import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CancelTrainingAssignmentDocument,
  TrainingCoursesDocument,
  WebAssignmentsDocument,
  WebAssignTrainingCourseDocument,
  type AssignmentRowFieldsFragment,
  type AssignmentStatus,
  type AssignmentType,
} from '../../generated/operations/graphql';
import {
  Empty,
  enumName,
  ErrorMessage,
  Field,
  formatDate,
  formErrors,
  Loading,
  personName,
  REFRESH_ON,
  Section,
  STATUS_NAMES,
} from './ui';

const STATUSES: AssignmentStatus[] = ['OVERDUE', 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'];
const TYPES: AssignmentType[] = ['MANUAL', 'AUTO', 'RISK_BASED'];
const ACTIVE: AssignmentStatus[] = ['ASSIGNED', 'IN_PROGRESS', 'OVERDUE'];

/** The tenant's assignments: filter, assign a course to someone, cancel. */
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
  // Everyone who has training, to pick from when assigning (a user id can be typed too).
  const [everyone] = useQuery({
    query: WebAssignmentsDocument,
    variables: { first: 500 },
    context: REFRESH_ON.Assignment,
  });
  const [courses] = useQuery({
    query: TrainingCoursesDocument,
    variables: { first: 200 },
    context: REFRESH_ON.Course,
  });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const nodes = list.data?.trainingAssignments.nodes ?? [];
  const courseOptions = courses.data?.trainingCourses.nodes ?? [];
  const people = useMemo(() => {
    const byId = new Map<string, AssignmentRowFieldsFragment['user']>();
    for (const a of everyone.data?.trainingAssignments.nodes ?? []) byId.set(a.user.id, a.user);
    return [...byId.values()].sort((a, b) => personName(a).localeCompare(personName(b)));
  }, [everyone.data]);

  return (
    <Section title="Assignments">
      <div className="filters" role="search" aria-label="Assignments">
        <div className="field">
          <label htmlFor="assignment-status">Status</label>
          <select
            id="assignment-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as AssignmentStatus | '')}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="assignment-course">Course</label>
          <select id="assignment-course" value={courseId} onChange={(e) => setCourseId(e.target.value)}>
            <option value="">Any course</option>
            {courseOptions.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="assignment-type">Type</label>
          <select id="assignment-type" value={type} onChange={(e) => setType(e.target.value as AssignmentType | '')}>
            <option value="">Any type</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {enumName(t)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {list.fetching && !list.data ? (
        <Loading what="assignments" />
      ) : list.error && !list.data ? (
        <ErrorMessage error={list.error} retry={reload} />
      ) : nodes.length === 0 ? (
        <Empty>{status || courseId || type ? 'No assignment matches.' : 'No assignments yet.'}</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Assignment list">
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Course</th>
                <th scope="col">Status</th>
                <th scope="col">Due</th>
                <th scope="col">Type</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((a) => (
                <AssignmentRow
                  key={a.id}
                  assignment={a}
                  onCancelled={() => {
                    setNotice(`Cancelled ${a.course.title} for ${personName(a.user)}.`);
                    reload();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AssignForm
        courses={courseOptions}
        people={people}
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
  onCancelled,
}: {
  assignment: AssignmentRowFieldsFragment;
  onCancelled: () => void;
}) {
  const [cancelling, cancel] = useMutation(CancelTrainingAssignmentDocument);
  return (
    <tr>
      <th scope="row">{personName(assignment.user)}</th>
      <td>{assignment.course.title}</td>
      <td>{STATUS_NAMES[assignment.status]}</td>
      <td>{formatDate(assignment.dueDate)}</td>
      <td>{enumName(assignment.assignmentType)}</td>
      <td>
        {ACTIVE.includes(assignment.status) && (
          <button
            type="button"
            aria-label={`Cancel ${assignment.course.title} for ${personName(assignment.user)}`}
            disabled={cancelling.fetching}
            onClick={async () => {
              const result = await cancel({ assignmentId: assignment.id, reason: 'Cancelled in Training Analytics' });
              if (!result.error) onCancelled();
            }}
          >
            Cancel
          </button>
        )}
        {cancelling.error && <ErrorMessage error={cancelling.error} />}
      </td>
    </tr>
  );
}

function AssignForm({
  courses,
  people,
  onAssigned,
}: {
  courses: { id: string; title: string }[];
  people: AssignmentRowFieldsFragment['user'][];
  onAssigned: (message: string) => void;
}) {
  const [assigning, assign] = useMutation(WebAssignTrainingCourseDocument);
  const [courseId, setCourseId] = useState('');
  const [userId, setUserId] = useState('');
  const [dueDate, setDueDate] = useState('');
  const [reason, setReason] = useState('');
  const errors = formErrors(assigning.error, ['courseId', 'userId', 'dueDate', 'assignmentReason']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await assign({
      input: {
        courseId: courseId || (courses[0]?.id ?? ''),
        userId: userId.trim(),
        dueDate: dueDate || null,
        assignmentReason: reason.trim() || null,
      },
    });
    if (result.error || !result.data) return;
    const created = result.data.assignTrainingCourse;
    onAssigned(`Assigned ${created.course.title} to ${personName(created.user)}.`);
    setUserId('');
    setReason('');
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="assign-form-title">
      <h3 id="assign-form-title">Assign a course</h3>
      <div className="form-grid">
        <Field label="Course to assign" error={errors.fields.courseId}>
          {(p) => (
            <select {...p} value={courseId} onChange={(e) => setCourseId(e.target.value)}>
              {courses.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Person (user id)" error={errors.fields.userId} hint="Pick someone or paste their user id.">
          {(p) => (
            <>
              <input
                {...p}
                list="assign-people"
                autoComplete="off"
                value={userId}
                onChange={(e) => setUserId(e.target.value)}
              />
              <datalist id="assign-people">
                {people.map((person) => (
                  <option key={person.id} value={person.id}>
                    {personName(person)}
                  </option>
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Due date" error={errors.fields.dueDate}>
          {(p) => <input {...p} type="date" value={dueDate} onChange={(e) => setDueDate(e.target.value)} />}
        </Field>
        <Field label="Reason" error={errors.fields.assignmentReason}>
          {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
      </div>
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={assigning.fetching || courses.length === 0}>
          Assign
        </button>
      </div>
    </form>
  );
}
