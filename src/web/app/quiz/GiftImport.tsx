import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ImportQuestionsDocument } from '../../../generated/operations/graphql';
import { ErrorMessage, Field, Section } from '../ui';

/** Adds questions written in Moodle's GIFT format, pasted or from a file; reports each left-out question by line. */
export function GiftImport({ onImported }: { onImported: () => void }) {
  const [importing, importQuestions] = useMutation(ImportQuestionsDocument);
  const [text, setText] = useState('');
  const [fileError, setFileError] = useState<string>();
  const fileId = useId();
  const outcome = importing.data?.importQuestions;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await importQuestions({ format: 'GIFT', text });
    if (result.data?.importQuestions.imported) onImported();
  };

  return (
    <Section title="Import GIFT">
      <form onSubmit={submit} noValidate>
        <Field
          label="GIFT text"
          error={undefined}
          hint="One question per block, blank lines between them; a $CATEGORY: line tags the questions after it."
        >
          {(p) => (
            <textarea
              {...p}
              rows={10}
              spellCheck={false}
              className="gift-text"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
        <div className="field">
          <label htmlFor={fileId}>Or read a GIFT file</label>
          <input
            id={fileId}
            type="file"
            accept=".gift,.txt,text/plain"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              try {
                setText(await file.text());
                setFileError(undefined);
              } catch {
                setFileError(`${file.name} cannot be read.`);
              }
            }}
          />
          {fileError && <span className="field-error">{fileError}</span>}
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={importing.fetching || text.trim() === ''}>
            Import
          </button>
        </div>
      </form>
      {importing.error && <ErrorMessage error={importing.error} />}
      {outcome && (
        <div className="import-result" role="status">
          <p>
            Imported {outcome.imported} {outcome.imported === 1 ? 'question' : 'questions'}
            {outcome.errors.length ? `; ${outcome.errors.length} left out:` : '.'}
          </p>
          {outcome.errors.length > 0 && (
            <ul className="import-errors" aria-label="Questions left out">
              {outcome.errors.map((error) => (
                <li key={`${error.line}-${error.message}`}>
                  Line {error.line}: {error.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}
