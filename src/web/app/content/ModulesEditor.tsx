import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  WebAddCourseModuleDocument,
  WebCourseModulesDocument,
  WebImportCmi5PackageDocument,
  WebRemoveCourseModuleDocument,
  WebUpdateCourseModuleDocument,
  type ModuleKind,
  type WebCourseModulesQuery,
} from '../../../generated/operations/graphql';
import { useTranslation } from '../i18n';
import { ConfirmButton, DataTable, Empty, FormError, InputField, Loaded, Notice, Section } from '../ui';
import { uploadContent } from './upload';
import './content.css';
import { combinedErrorText } from '../errors/translate';

type Module = NonNullable<WebCourseModulesQuery['trainingCourse']>['modules'][number];
/** A file chooser that uploads what is chosen, shows how much is sent and the server's refusal. */
function FileUpload({
  label,
  accept,
  onUploaded,
}: {
  label: string;
  accept: string;
  onUploaded: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [share, setShare] = useState<number>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const choose = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    setDone(undefined);
    setShare(0);
    try {
      const uploaded = await uploadContent(file, setShare);
      setDone(
        t('content.uploaded', { name: file.name, type: uploaded.contentType, size: Math.ceil(uploaded.size / 1024) }),
      );
      onUploaded(uploaded.id);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setShare(undefined);
    }
  };
  return (
    <div className="field">
      <label>
        {label}
        <input type="file" accept={accept} onChange={(event) => void choose(event.target.files?.[0])} />
      </label>
      {share !== undefined && (
        <progress className="upload-progress" aria-label={t('content.uploadProgress')} value={share} max={1}>
          {Math.round(share * 100)}%
        </progress>
      )}
      <FormError message={error} />
      <Notice message={done} />
    </div>
  );
}

/** An officer's view of a course's content: its modules, add, edit, remove, upload a file, import a cmi5 package. */
export function ModulesEditor({ courseId, courseTitle }: { courseId: string; courseTitle: string }) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: WebCourseModulesDocument, variables: { courseId } });
  const [removing, remove] = useMutation(WebRemoveCourseModuleDocument);
  const [importing, importPackage] = useMutation(WebImportCmi5PackageDocument);
  const [editing, setEditing] = useState<Module | null>(null);
  const [notice, setNotice] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const modules = result.data?.trainingCourse?.modules ?? [];
  const reload = () => refetch({ requestPolicy: 'network-only' });

  const imported = async (contentId: string) => {
    setFailure(undefined);
    const answer = await importPackage({ courseId, contentId });
    if (answer.error) return setFailure(combinedErrorText(answer.error));
    setNotice(t('content.imported', { count: answer.data!.importCmi5Package.modules.length }));
    reload();
  };

  return (
    <Section title={t('content.editorTitle', { title: courseTitle })} className="panel module-editor">
      <Loaded result={result} what={t('content.modulesWhat')} retry={reload}>
        {modules.length === 0 ? (
          <Empty>{t('content.noModules')}</Empty>
        ) : (
          <DataTable
            label={t('content.modules')}
            columns={(['module', 'kind', 'required', 'length'] as const).map((c) => t(`content.columns.${c}`))}
            actions
          >
            {modules.map((module) => (
              <tr key={module.id}>
                <th scope="row">
                  {module.title}
                  {module.cmi5?.block && <small> ({module.cmi5.block})</small>}
                </th>
                <td>{t(`content.kinds.${module.kind}`)}</td>
                <td>{t(module.required ? 'content.yes' : 'content.no')}</td>
                <td>
                  {module.durationSeconds == null ? '—' : t('content.seconds', { seconds: module.durationSeconds })}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    aria-label={t('content.editModule', { title: module.title })}
                    onClick={() => setEditing(module)}
                  >
                    {t('content.edit')}
                  </button>
                  <ConfirmButton
                    label={t('content.remove')}
                    accessibleLabel={t('content.removeModule', { title: module.title })}
                    question={t('content.removeQuestion', { title: module.title })}
                    confirm={t('content.remove')}
                    keep={t('content.keep')}
                    disabled={removing.fetching}
                    onConfirm={async () => {
                      const answer = await remove({ id: module.id });
                      if (!answer.error) setNotice(t('content.removed', { title: module.title }));
                      reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
      <Notice message={notice} />
      <FormError message={failure ?? (removing.error && combinedErrorText(removing.error))} />
      <ModuleForm
        key={editing?.id ?? 'new'}
        courseId={courseId}
        editing={editing}
        onSaved={(title) => {
          setNotice(t(editing ? 'content.saved' : 'content.added', { title }));
          setEditing(null);
          reload();
        }}
        onCancel={() => setEditing(null)}
      />
      <h3>{t('content.importTitle')}</h3>
      <p className="hint">{t('content.importHint')}</p>
      {importing.fetching && <p role="status">{t('content.importing')}</p>}
      <FileUpload label={t('content.package')} accept=".zip,.xml" onUploaded={(id) => void imported(id)} />
    </Section>
  );
}

function ModuleForm({
  courseId,
  editing,
  onSaved,
  onCancel,
}: {
  courseId: string;
  editing: Module | null;
  onSaved: (title: string) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [title, setTitle] = useState(editing?.title ?? '');
  const [kind, setKind] = useState<ModuleKind>(editing?.kind ?? 'VIDEO');
  const [required, setRequired] = useState(editing?.required ?? true);
  const [url, setUrl] = useState(editing && !editing.contentId ? (editing.url ?? '') : '');
  const [contentId, setContentId] = useState(editing?.contentId ?? '');
  const [duration, setDuration] = useState(editing?.durationSeconds == null ? '' : String(editing.durationSeconds));
  const [added, add] = useMutation(WebAddCourseModuleDocument);
  const [updated, update] = useMutation(WebUpdateCourseModuleDocument);
  const failed = added.error ?? updated.error;
  const error = failed && combinedErrorText(failed);

  const heading = editing ? t('content.editModule', { title: editing.title }) : t('content.addModule');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const common = {
      title,
      required,
      durationSeconds: duration === '' ? null : Number(duration),
      ...(contentId ? { contentId } : { url: url || null }),
    };
    const answer = editing
      ? await update({ id: editing.id, input: common })
      : await add({ courseId, input: { ...common, kind } });
    if (!answer.error) onSaved(title);
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-label={heading}>
      <h3>{heading}</h3>
      <InputField label={t('content.moduleTitle')} value={title} onChange={setTitle} required />
      {!editing && (
        <div className="field">
          <label>
            {t('content.kind')}
            <select value={kind} onChange={(event) => setKind(event.target.value as ModuleKind)}>
              {(['VIDEO', 'DOCUMENT', 'LINK'] as const).map((value) => (
                <option key={value} value={value}>
                  {t(`content.kinds.${value}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <label className="check">
        <input type="checkbox" checked={required} onChange={(event) => setRequired(event.target.checked)} />
        {t('content.required')}
      </label>
      {kind !== 'LINK' && editing?.kind !== 'CMI5_AU' && (
        <FileUpload
          label={t('content.file')}
          accept={kind === 'VIDEO' ? 'video/*,audio/*' : 'application/pdf,image/*'}
          onUploaded={setContentId}
        />
      )}
      {!contentId && editing?.kind !== 'CMI5_AU' && (
        <InputField label={t('content.orUrl')} type="url" value={url} onChange={setUrl} />
      )}
      <InputField label={t('content.lengthSeconds')} type="number" min={0} value={duration} onChange={setDuration} />
      <FormError message={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={added.fetching || updated.fetching}>
          {t(editing ? 'content.saveModule' : 'content.addModuleButton')}
        </button>
        {editing && (
          <button type="button" onClick={onCancel}>
            {t('content.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
