import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { QuestionsDocument, type QuestionFieldsFragment } from '../../../generated/operations/graphql';
import { Empty, enumName, InputField, Loaded, Notice, Section } from '../ui';
import { GiftImport } from './GiftImport';
import { QuestionForm } from './QuestionForm';
import './quiz.css';

const PAGE = 50;

/** The tenant's question bank (admins and safety officers): find, add, edit and import questions. */
export function QuestionBank() {
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
      <h1>Question bank</h1>
      <Section title="Questions">
        <div className="filters" role="search" aria-label="Questions">
          <InputField label="Tag" value={tag} onChange={setTag} autoComplete="off" />
          <InputField label="Search questions" type="search" value={search} onChange={setSearch} />
        </div>
        <Loaded result={questions} what="questions" retry={reload}>
          {page && page.nodes.length === 0 ? (
            <Empty>{tag || search ? 'No question matches.' : 'No questions yet: add one or import GIFT below.'}</Empty>
          ) : (
            page && (
              <>
                <p className="hint">
                  {page.totalCount} {page.totalCount === 1 ? 'question' : 'questions'}
                </p>
                <ul className="rows question-list">
                  {page.nodes.map((question) => (
                    <li key={question.id} className="row">
                      <span>
                        <strong>{question.text}</strong>
                        <br />
                        <small>
                          {enumName(question.kind)} · {question.points} pt
                          {question.tags.length ? ` · ${question.tags.join(', ')}` : ''}
                        </small>
                      </span>
                      <button
                        type="button"
                        aria-label={`Edit question: ${question.text}`}
                        onClick={() => {
                          resetForm();
                          setEditing(question);
                        }}
                      >
                        Edit
                      </button>
                    </li>
                  ))}
                </ul>
                {page.pageInfo.hasNextPage && (
                  <button type="button" onClick={() => setShown((n) => n + PAGE)}>
                    Show more
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
