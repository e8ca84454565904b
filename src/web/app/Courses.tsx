import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CreateTrainingCourseDocument,
  TrainingCoursesDocument,
  UpdateTrainingCourseDocument,
  type CourseCategory,
  type CourseEntityType,
  type CourseFieldsFragment,
  type DifficultyLevel,
} from '../../generated/operations/graphql';
import { categoryName, Empty, enumName, ErrorMessage, Field, formErrors, Loading, REFRESH_ON, Section } from './ui';

export const CATEGORIES: CourseCategory[] = [
  'SAFETY_FUNDAMENTALS',
  'HAZARD_AWARENESS',
  'EQUIPMENT_SAFETY',
  'EMERGENCY_RESPONSE',
  'COMPLIANCE',
  'RISK_MANAGEMENT',
  'OTHER',
];
const ENTITY_TYPES: CourseEntityType[] = ['GENERAL', 'WORKER', 'DRIVER', 'ZONE', 'EQUIPMENT'];
const DIFFICULTIES: DifficultyLevel[] = ['BEGINNER', 'INTERMEDIATE', 'ADVANCED'];

/** The tenant's courses: search, filter, create and edit. */
export function Courses() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<CourseCategory | ''>('');
  const [editing, setEditing] = useState<CourseFieldsFragment | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState<string>();
  const filter = { search: search.trim() || null, category: category || null };
  const [courses, refetch] = useQuery({
    query: TrainingCoursesDocument,
    variables: { filter, first: 100 },
    context: REFRESH_ON.Course,
  });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const nodes = courses.data?.trainingCourses.nodes ?? [];

  return (
    <Section title="Courses">
      <div className="filters" role="search" aria-label="Courses">
        <div className="field">
          <label htmlFor="course-search">Search courses</label>
          <input id="course-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="course-category">Category</label>
          <select
            id="course-category"
            value={category}
            onChange={(e) => setCategory(e.target.value as CourseCategory | '')}
          >
            <option value="">All categories</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {categoryName(c)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {courses.fetching && !courses.data ? (
        <Loading what="courses" />
      ) : courses.error && !courses.data ? (
        <ErrorMessage error={courses.error} retry={reload} />
      ) : nodes.length === 0 ? (
        <Empty>{search || category ? 'No course matches.' : 'No courses yet: create the first one below.'}</Empty>
      ) : (
        <ul className="rows">
          {nodes.map((course) => (
            <li key={course.id} className="row">
              <span>
                <strong>{course.title}</strong> · {categoryName(course.category)}
                {course.autoAssignEnabled && course.riskThreshold != null
                  ? ` · auto-assigned at risk ${course.riskThreshold} (${enumName(course.entityType ?? 'GENERAL').toLowerCase()})`
                  : ''}
                {course.expiryMonths ? ` · valid ${course.expiryMonths} months` : ''}
              </span>
              <button
                type="button"
                aria-label={`Edit ${course.title}`}
                onClick={() => {
                  setEditing(course);
                  setNotice(undefined);
                  setFormKey((k) => k + 1);
                }}
              >
                Edit
              </button>
            </li>
          ))}
        </ul>
      )}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <CourseForm
        key={formKey}
        course={editing}
        onSaved={(message) => {
          setNotice(message);
          setEditing(null);
          setFormKey((k) => k + 1);
          reload();
        }}
        onCancel={() => {
          setEditing(null);
          setFormKey((k) => k + 1);
        }}
      />
    </Section>
  );
}

const FIELDS = [
  'title',
  'description',
  'category',
  'contentUrl',
  'durationMinutes',
  'difficultyLevel',
  'riskThreshold',
  'entityType',
  'expiryMonths',
];

function CourseForm({
  course,
  onSaved,
  onCancel,
}: {
  course: CourseFieldsFragment | null;
  onSaved: (message: string) => void;
  onCancel: () => void;
}) {
  const [creating, create] = useMutation(CreateTrainingCourseDocument);
  const [updating, update] = useMutation(UpdateTrainingCourseDocument);
  const [values, setValues] = useState({
    title: course?.title ?? '',
    description: course?.description ?? '',
    category: course?.category ?? ('SAFETY_FUNDAMENTALS' as CourseCategory),
    contentUrl: course?.contentUrl ?? '',
    durationMinutes: course?.durationMinutes?.toString() ?? '',
    difficultyLevel: course?.difficultyLevel ?? '',
    riskThreshold: course?.riskThreshold?.toString() ?? '',
    entityType: course?.entityType ?? '',
    expiryMonths: course?.expiryMonths?.toString() ?? '',
    autoAssignEnabled: course?.autoAssignEnabled ?? false,
    required: course?.required ?? false,
    issuesCertificate: course?.issuesCertificate ?? false,
  });
  const active = course ? updating : creating;
  const errors = formErrors(active.error, FIELDS);
  const set = (name: keyof typeof values) => (value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  const number = (value: string) => (value.trim() === '' ? null : Number(value));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = {
      title: values.title,
      description: text(values.description),
      category: values.category,
      contentUrl: text(values.contentUrl),
      durationMinutes: number(values.durationMinutes),
      difficultyLevel: (values.difficultyLevel || null) as DifficultyLevel | null,
      riskThreshold: number(values.riskThreshold),
      entityType: (values.entityType || null) as CourseEntityType | null,
      expiryMonths: number(values.expiryMonths),
      autoAssignEnabled: values.autoAssignEnabled,
      required: values.required,
      issuesCertificate: values.issuesCertificate,
    };
    const result = course ? await update({ id: course.id, input }) : await create({ input });
    if (result.error) return;
    onSaved(course ? `Saved “${values.title}”.` : `Created “${values.title}”.`);
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="course-form-title">
      <h3 id="course-form-title">{course ? `Edit “${course.title}”` : 'New course'}</h3>
      <div className="form-grid">
        <Field label="Title" error={errors.fields.title}>
          {(p) => <input {...p} value={values.title} onChange={(e) => set('title')(e.target.value)} />}
        </Field>
        <Field label="Category" error={errors.fields.category}>
          {(p) => (
            <select {...p} value={values.category} onChange={(e) => set('category')(e.target.value)}>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {categoryName(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Description" error={errors.fields.description}>
          {(p) => (
            <textarea {...p} rows={2} value={values.description} onChange={(e) => set('description')(e.target.value)} />
          )}
        </Field>
        <Field label="Content URL" error={errors.fields.contentUrl}>
          {(p) => (
            <input {...p} type="url" value={values.contentUrl} onChange={(e) => set('contentUrl')(e.target.value)} />
          )}
        </Field>
        <Field label="Duration (minutes)" error={errors.fields.durationMinutes}>
          {(p) => (
            <input
              {...p}
              type="number"
              value={values.durationMinutes}
              onChange={(e) => set('durationMinutes')(e.target.value)}
            />
          )}
        </Field>
        <Field label="Difficulty" error={errors.fields.difficultyLevel}>
          {(p) => (
            <select {...p} value={values.difficultyLevel} onChange={(e) => set('difficultyLevel')(e.target.value)}>
              <option value="">Not set</option>
              {DIFFICULTIES.map((d) => (
                <option key={d} value={d}>
                  {enumName(d)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Risk threshold (0–100)" error={errors.fields.riskThreshold}>
          {(p) => (
            <input
              {...p}
              type="number"
              value={values.riskThreshold}
              onChange={(e) => set('riskThreshold')(e.target.value)}
            />
          )}
        </Field>
        <Field label="Risk scores of" error={errors.fields.entityType}>
          {(p) => (
            <select {...p} value={values.entityType} onChange={(e) => set('entityType')(e.target.value)}>
              <option value="">Not set</option>
              {ENTITY_TYPES.map((t) => (
                <option key={t} value={t}>
                  {enumName(t)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Valid for (months)" error={errors.fields.expiryMonths}>
          {(p) => (
            <input
              {...p}
              type="number"
              value={values.expiryMonths}
              onChange={(e) => set('expiryMonths')(e.target.value)}
            />
          )}
        </Field>
      </div>
      <div className="checks">
        {(
          [
            ['autoAssignEnabled', 'Assign automatically by risk'],
            ['required', 'Required'],
            ['issuesCertificate', 'Issues a certificate'],
          ] as const
        ).map(([name, label]) => (
          <div className="field checkbox" key={name}>
            <input
              id={`course-${name}`}
              type="checkbox"
              checked={values[name]}
              onChange={(e) => set(name)(e.target.checked)}
            />
            <label htmlFor={`course-${name}`}>{label}</label>
          </div>
        ))}
      </div>
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={active.fetching}>
          {course ? 'Save changes' : 'Create course'}
        </button>
        {course && (
          <button type="button" onClick={onCancel}>
            Stop editing
          </button>
        )}
      </div>
    </form>
  );
}
