import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ImportQuestionsDocument } from '../../../generated/operations/graphql';
import { formatNumber, i18n, useTranslation } from '../i18n';
import { ErrorMessage, Field, Section } from '../ui';

/** Adds questions written in Moodle's GIFT format, pasted or from a file; reports each left-out question by line. */
export function GiftImport({ onImported }: { onImported: () => void }) {
  const { t } = useTranslation();
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
    <Section title={t('giftImport.title')}>
      <form onSubmit={submit} noValidate>
        <Field label={t('giftImport.text')} error={undefined} hint={t('giftImport.hint')}>
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
          <label htmlFor={fileId}>{t('giftImport.file')}</label>
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
                setFileError(t('giftImport.unreadable', { name: file.name }));
              }
            }}
          />
          {fileError && <span className="field-error">{fileError}</span>}
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={importing.fetching || text.trim() === ''}>
            {t('giftImport.import')}
          </button>
        </div>
      </form>
      {importing.error && <ErrorMessage error={importing.error} />}
      {outcome && (
        <div className="import-result" role="status">
          <p>
            {i18n.t(outcome.imported === 1 ? 'giftImport.importedOne' : 'giftImport.imported', {
              n: formatNumber(outcome.imported),
            })}
            {outcome.errors.length
              ? t('giftImport.leftOut', { n: formatNumber(outcome.errors.length) })
              : t('giftImport.end')}
          </p>
          {outcome.errors.length > 0 && (
            <ul className="import-errors" aria-label={t('giftImport.leftOutLabel')}>
              {outcome.errors.map((error) => (
                <li key={`${error.line}-${error.message}`}>
                  {t('giftImport.line', { n: error.line, message: error.message })}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}
