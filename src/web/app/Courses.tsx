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
import { formatNumber, i18n, useTranslation } from './i18n';
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
/** The course's yes-or-no settings (each labelled by `courses.check.<name>`). */
const CHECKS = [
  'autoAssignEnabled',
  'required',
  'issuesCertificate',
  // What completing it takes; none: the assignee reports their result.
  'quiz',
  'content',
  'practicalEvaluation',
] as const;

/** The tenant's courses: search, filter, create and edit. */
export function Courses() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<CourseCategory | ''>('');
  const [editing, setEditing] = useState<CourseFieldsFragment | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState<string>();
  const { t } = useTranslation();
  const filter = { search: search.trim() || null, category: category || null };
  const [courses, refetch] = useQuery({
    query: TrainingCoursesDocument,
    variables: { filter, first: 100 },
    context: REFRESH_ON.Course,
  });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const nodes = courses.data?.trainingCourses.nodes ?? [];

  return (
    <Section title={t('courses.title')}>
      <div className="filters" role="search" aria-label={t('courses.title')}>
        <InputField label={t('courses.search')} type="search" value={search} onChange={setSearch} />
        <SelectField
          label={t('courses.category')}
          value={category}
          onChange={setCategory}
          none={t('courses.allCategories')}
          options={choices(CATEGORIES, categoryName)}
        />
      </div>
      <Loaded result={courses} what={t('courses.what')} retry={reload}>
        {nodes.length === 0 ? (
          <Empty>{search || category ? t('courses.noMatch') : t('courses.none')}</Empty>
        ) : (
          <ul className="rows">
            {nodes.map((course) => (
              <li key={course.id} className="row">
                <span>
                  <strong>{course.title}</strong> · {categoryName(course.category)}
                  {course.autoAssignEnabled && course.riskThreshold != null
                    ? ` · ${t('courses.autoAssignedAt', {
                        threshold: formatNumber(course.riskThreshold),
                        entity: enumName(course.entityType ?? 'GENERAL').toLowerCase(),
                      })}`
                    : ''}
                  {course.expiryMonths
                    ? ` · ${t('courses.validMonths', { months: formatNumber(course.expiryMonths) })}`
                    : ''}
                </span>
                <button
                  type="button"
                  aria-label={t('courses.editLabel', { title: course.title })}
                  onClick={() => {
                    setEditing(course);
                    setNotice(undefined);
                    setFormKey((k) => k + 1);
                  }}
                >
                  {t('courses.edit')}
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
/** The form's names for the fields, in the API's errors (read when shown, so a language switch applies). */
const errorLabels = () => ({
  title: i18n.t('courses.field.title'),
  description: i18n.t('courses.field.description'),
  category: i18n.t('courses.category'),
  contentUrl: i18n.t('courses.field.contentUrl'),
  durationMinutes: i18n.t('courses.field.duration'),
  difficultyLevel: i18n.t('courses.field.difficulty'),
  riskThreshold: i18n.t('courses.field.riskThreshold'),
  entityType: i18n.t('courses.field.entityType'),
  expiryMonths: i18n.t('courses.field.validity'),
});

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
  const { t } = useTranslation();
  const errors = formErrors(active.error, FIELDS, errorLabels());
  const set = (name: keyof typeof values) => (value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));
  /** A text or select field's value, its change and the API's error for it. */
  const bind = <Name extends Exclude<keyof typeof values, (typeof CHECKS)[number]>>(name: Name) => ({
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
    onSaved(t(course ? 'courses.saved' : 'courses.created', { title: values.title }));
  };

  return (
    <form className="sub-panel" onSubmit={submit} noValidate aria-labelledby="course-form-title">
      <h3 id="course-form-title">{course ? t('courses.editTitle', { title: course.title }) : t('courses.new')}</h3>
      <div className="form-grid">
        <InputField label={t('courses.field.title')} {...bind('title')} />
        <SelectField label={t('courses.category')} options={choices(CATEGORIES, categoryName)} {...bind('category')} />
        <Field label={t('courses.field.description')} error={errors.fields.description}>
          {(p) => (
            <textarea {...p} rows={2} value={values.description} onChange={(e) => set('description')(e.target.value)} />
          )}
        </Field>
        <InputField label={t('courses.field.contentUrl')} type="url" {...bind('contentUrl')} />
        <InputField label={t('courses.durationMinutes')} type="number" {...bind('durationMinutes')} />
        <SelectField
          label={t('courses.field.difficulty')}
          none={t('courses.notSet')}
          options={choices(DIFFICULTIES, enumName)}
          {...bind('difficultyLevel')}
        />
        <InputField label={t('courses.riskThresholdRange')} type="number" {...bind('riskThreshold')} />
        <SelectField
          label={t('courses.field.entityType')}
          none={t('courses.notSet')}
          options={choices(ENTITY_TYPES, enumName)}
          {...bind('entityType')}
        />
        <InputField label={t('courses.validFor')} type="number" {...bind('expiryMonths')} />
      </div>
      <div className="checks">
        {CHECKS.map((name) => (
          <div className="field checkbox" key={name}>
            <input
              id={`course-${name}`}
              type="checkbox"
              checked={values[name]}
              onChange={(e) => set(name)(e.target.checked)}
            />
            <label htmlFor={`course-${name}`}>{t(`courses.check.${name}`)}</label>
          </div>
        ))}
      </div>
      <FormError message={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={active.fetching}>
          {course ? t('courses.save') : t('courses.create')}
        </button>
        {course && (
          <button type="button" onClick={onCancel}>
            {t('courses.stopEditing')}
          </button>
        )}
      </div>
    </form>
  );
}
