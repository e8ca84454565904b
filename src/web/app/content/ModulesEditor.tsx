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
import { ConfirmButton, DataTable, Empty, enumName, FormError, InputField, Loaded, Notice, Section } from '../ui';
import { uploadContent } from './upload';
import './content.css';

type Module = NonNullable<WebCourseModulesQuery['trainingCourse']>['modules'][number];
const KIND_NAMES: Record<ModuleKind, string> = {
  VIDEO: 'Video',
  DOCUMENT: 'Document',
  CMI5_AU: 'cmi5 AU',
  LINK: 'Link',
};

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
      setDone(`Uploaded ${file.name} (${uploaded.contentType}, ${Math.ceil(uploaded.size / 1024)} KB).`);
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
        <progress className="upload-progress" aria-label="Upload progress" value={share} max={1}>
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
    if (answer.error) return setFailure(answer.error.graphQLErrors.map((e) => e.message).join('; '));
    setNotice(`Imported the cmi5 package: the course has ${answer.data!.importCmi5Package.modules.length} modules.`);
    reload();
  };

  return (
    <Section title={`Content: ${courseTitle}`} className="panel module-editor">
      <Loaded result={result} what="the course's modules" retry={reload}>
        {modules.length === 0 ? (
          <Empty>No modules yet: add a video, a document or a link, or import a cmi5 package.</Empty>
        ) : (
          <DataTable label="Modules" columns={['Module', 'Kind', 'Required', 'Length']} actions>
            {modules.map((module) => (
              <tr key={module.id}>
                <th scope="row">
                  {module.title}
                  {module.cmi5?.block && <small> ({module.cmi5.block})</small>}
                </th>
                <td>{KIND_NAMES[module.kind]}</td>
                <td>{module.required ? 'Yes' : 'No'}</td>
                <td>{module.durationSeconds == null ? '—' : `${module.durationSeconds} s`}</td>
                <td className="actions">
                  <button type="button" aria-label={`Edit ${module.title}`} onClick={() => setEditing(module)}>
                    Edit
                  </button>
                  <ConfirmButton
                    label="Remove"
                    accessibleLabel={`Remove ${module.title}`}
                    question={`Remove ${module.title}?`}
                    confirm="Remove"
                    keep="Keep"
                    disabled={removing.fetching}
                    onConfirm={async () => {
                      const answer = await remove({ id: module.id });
                      if (!answer.error) setNotice(`Removed ${module.title}.`);
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
      <FormError message={failure ?? removing.error?.graphQLErrors.map((e) => e.message).join('; ')} />
      <ModuleForm
        key={editing?.id ?? 'new'}
        courseId={courseId}
        editing={editing}
        onSaved={(title) => {
          setNotice(editing ? `Saved ${title}.` : `Added ${title}.`);
          setEditing(null);
          reload();
        }}
        onCancel={() => setEditing(null)}
      />
      <h3>Import a cmi5 package</h3>
      <p className="hint">A zip holding cmi5.xml and its AUs (or cmi5.xml alone, for AUs hosted elsewhere).</p>
      {importing.fetching && <p role="status">Importing…</p>}
      <FileUpload label="cmi5 package" accept=".zip,.xml" onUploaded={(id) => void imported(id)} />
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
  const [title, setTitle] = useState(editing?.title ?? '');
  const [kind, setKind] = useState<ModuleKind>(editing?.kind ?? 'VIDEO');
  const [required, setRequired] = useState(editing?.required ?? true);
  const [url, setUrl] = useState(editing && !editing.contentId ? (editing.url ?? '') : '');
  const [contentId, setContentId] = useState(editing?.contentId ?? '');
  const [duration, setDuration] = useState(editing?.durationSeconds == null ? '' : String(editing.durationSeconds));
  const [added, add] = useMutation(WebAddCourseModuleDocument);
  const [updated, update] = useMutation(WebUpdateCourseModuleDocument);
  const error = (added.error ?? updated.error)?.graphQLErrors.map((e) => e.message).join('; ');

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
    <form onSubmit={(event) => void submit(event)} aria-label={editing ? `Edit ${editing.title}` : 'Add a module'}>
      <h3>{editing ? `Edit ${editing.title}` : 'Add a module'}</h3>
      <InputField label="Module title" value={title} onChange={setTitle} required />
      {!editing && (
        <div className="field">
          <label>
            Kind
            <select value={kind} onChange={(event) => setKind(event.target.value as ModuleKind)}>
              {(['VIDEO', 'DOCUMENT', 'LINK'] as const).map((value) => (
                <option key={value} value={value}>
                  {enumName(value)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <label className="check">
        <input type="checkbox" checked={required} onChange={(event) => setRequired(event.target.checked)} />
        Required
      </label>
      {kind !== 'LINK' && editing?.kind !== 'CMI5_AU' && (
        <FileUpload
          label="File (video, PDF or image)"
          accept={kind === 'VIDEO' ? 'video/*,audio/*' : 'application/pdf,image/*'}
          onUploaded={setContentId}
        />
      )}
      {!contentId && editing?.kind !== 'CMI5_AU' && (
        <InputField label="Or a URL" type="url" value={url} onChange={setUrl} />
      )}
      <InputField label="Length in seconds" type="number" min={0} value={duration} onChange={setDuration} />
      <FormError message={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={added.fetching || updated.fetching}>
          {editing ? 'Save module' : 'Add module'}
        </button>
        {editing && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
