import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { QuestionsDocument, type QuestionFieldsFragment } from '../../../generated/operations/graphql';
import { formatNumber, i18n, useTranslation } from '../i18n';
import { Empty, InputField, Loaded, Notice, Section } from '../ui';
import { GiftImport } from './GiftImport';
import { kindName, QuestionForm } from './QuestionForm';
import './quiz.css';

const PAGE = 50;

/** The tenant's question bank (admins and safety officers): find, add, edit and import questions. */
export function QuestionBank() {
  const { t } = useTranslation();
  const [tag, setTag] = useState('');
  const [search, setSearch] = useState('');
  const [shown, setShown] = useState(PAGE);
  const [editing, setEditing] = useState<QuestionFieldsFragment | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState<string>();
  const filter = { tag: tag.trim() || null, search: search.trim() || null };
  const [questions, refetch] = useQuery({
    query: QuestionsDocument,
    variables: { filter, first: shown },
    context: useMemo(() => ({ additionalTypenames: ['Question'] }), []),
  });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const page = questions.data?.questions;
  const resetForm = (message?: string) => {
    setNotice(message);
    setEditing(null);
    setFormKey((k) => k + 1);
  };

  return (
    <div className="page">
      <h1>{t('app.questionBank')}</h1>
      <Section title={t('questionBank.questions')}>
        <div className="filters" role="search" aria-label={t('questionBank.questions')}>
          <InputField label={t('questionBank.tag')} value={tag} onChange={setTag} autoComplete="off" />
          <InputField label={t('questionBank.search')} type="search" value={search} onChange={setSearch} />
        </div>
        <Loaded result={questions} what={t('questionBank.what')} retry={reload}>
          {page && page.nodes.length === 0 ? (
            <Empty>{tag || search ? t('questionBank.noMatch') : t('questionBank.none')}</Empty>
          ) : (
            page && (
              <>
                <p className="hint">
                  {i18n.t(page.totalCount === 1 ? 'questionBank.countOne' : 'questionBank.count', {
                    n: formatNumber(page.totalCount),
                  })}
                </p>
                <ul className="rows question-list">
                  {page.nodes.map((question) => (
                    <li key={question.id} className="row">
                      <span>
                        <strong>{question.text}</strong>
                        <br />
                        <small>
                          {kindName(question.kind)} · {t('questionBank.points', { n: formatNumber(question.points) })}
                          {question.tags.length ? ` · ${question.tags.join(', ')}` : ''}
                        </small>
                      </span>
                      <button
                        type="button"
                        aria-label={t('questionBank.editLabel', { text: question.text })}
                        onClick={() => {
                          resetForm();
                          setEditing(question);
                        }}
                      >
                        {t('questionBank.edit')}
                      </button>
                    </li>
                  ))}
                </ul>
                {page.pageInfo.hasNextPage && (
                  <button type="button" onClick={() => setShown((n) => n + PAGE)}>
                    {t('questionBank.showMore')}
                  </button>
                )}
              </>
            )
          )}
        </Loaded>
        <Notice message={notice} />
        <QuestionForm
          key={`${formKey}-${editing?.id ?? 'new'}`}
          question={editing}
          onSaved={(message) => {
            resetForm(message);
            reload();
          }}
          onCancel={() => resetForm()}
        />
      </Section>
      <GiftImport onImported={reload} />
    </div>
  );
}
