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
import { ModulesEditor } from './content/ModulesEditor';
import { QuizEditor } from './quiz/QuizEditor';
import {
  categoryName,
  choices,
  Empty,
  enumName,
  Field,
  FormError,
  InputField,
  Loaded,
  Notice,
  REFRESH_ON,
  Section,
  SelectField,
} from './ui';
import { formErrors } from './form-errors';

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
const CATEGORY_CHOICES = choices(CATEGORIES, categoryName);
const ENTITY_TYPE_CHOICES = choices(ENTITY_TYPES, enumName);
const DIFFICULTY_CHOICES = choices(DIFFICULTIES, enumName);
/** The course's yes-or-no settings and their labels. */
const CHECKS = [
  ['autoAssignEnabled', 'Assign automatically by risk'],
  ['required', 'Required'],
  ['issuesCertificate', 'Issues a certificate'],
  // What completing it takes; none: the assignee reports their result.
  ['quiz', 'Requires a passed quiz'],
  ['content', 'Requires the course content'],
  ['practicalEvaluation', 'Requires a practical evaluation'],
] as const;

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
        <InputField label="Search courses" type="search" value={search} onChange={setSearch} />
        <SelectField
          label="Category"
          value={category}
          onChange={setCategory}
          none="All categories"
          options={CATEGORY_CHOICES}
        />
      </div>
      <Loaded result={courses} what="courses" retry={reload}>
        {nodes.length === 0 ? (
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
      </Loaded>
      <Notice message={notice} />
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
      {editing && <QuizEditor key={editing.id} courseId={editing.id} courseTitle={editing.title} />}
      {editing && <ModulesEditor key={`modules-${editing.id}`} courseId={editing.id} courseTitle={editing.title} />}
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
/** The form's names for the fields the API names otherwise. */
const LABELS = {
  contentUrl: 'Content URL',
  durationMinutes: 'Duration',
  difficultyLevel: 'Difficulty',
  entityType: 'Risk scores of',
  expiryMonths: 'Validity (months)',
};

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
    quiz: course?.requirements.quiz ?? false,
    content: course?.requirements.content ?? false,
    practicalEvaluation: course?.requirements.practicalEvaluation ?? false,
  });
  const active = course ? updating : creating;
  const errors = formErrors(active.error, FIELDS, LABELS);
  const set = (name: keyof typeof values) => (value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));
  /** A text or select field's value, its change and the API's error for it. */
  const bind = <Name extends Exclude<keyof typeof values, (typeof CHECKS)[number][0]>>(name: Name) => ({
    value: values[name],
    onChange: set(name),
    error: errors.fields[name],
  });
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
      requirements: { quiz: values.quiz, content: values.content, practicalEvaluation: values.practicalEvaluation },
    };
    const result = course ? await update({ id: course.id, input }) : await create({ input });
    if (result.error) return;
    onSaved(course ? `Saved “${values.title}”.` : `Created “${values.title}”.`);
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="course-form-title">
      <h3 id="course-form-title">{course ? `Edit “${course.title}”` : 'New course'}</h3>
      <div className="form-grid">
        <InputField label="Title" {...bind('title')} />
        <SelectField label="Category" options={CATEGORY_CHOICES} {...bind('category')} />
        <Field label="Description" error={errors.fields.description}>
          {(p) => (
            <textarea {...p} rows={2} value={values.description} onChange={(e) => set('description')(e.target.value)} />
          )}
        </Field>
        <InputField label="Content URL" type="url" {...bind('contentUrl')} />
        <InputField label="Duration (minutes)" type="number" {...bind('durationMinutes')} />
        <SelectField label="Difficulty" none="Not set" options={DIFFICULTY_CHOICES} {...bind('difficultyLevel')} />
        <InputField label="Risk threshold (0–100)" type="number" {...bind('riskThreshold')} />
        <SelectField label="Risk scores of" none="Not set" options={ENTITY_TYPE_CHOICES} {...bind('entityType')} />
        <InputField label="Valid for (months)" type="number" {...bind('expiryMonths')} />
      </div>
      <div className="checks">
        {CHECKS.map(([name, label]) => (
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
      <FormError message={errors.form} />
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
