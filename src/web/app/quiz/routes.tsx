import type { ReactNode } from 'react';
import { i18n } from '../i18n';
import { isManager, type Session } from '../session';
import { QuestionBank } from './QuestionBank';
import { ATTEMPT_PATH, QUESTIONS_PATH } from './navigation';
import { TakeQuiz } from './TakeQuiz';

/** The quiz screens of a path (an attempt, the question bank); null for every other path. */
export function quizScreen(path: string, session: Session): ReactNode | null {
  const attempt = ATTEMPT_PATH.exec(path);
  if (attempt) return <TakeQuiz key={attempt[1]} attemptId={attempt[1]!} />;
  if (path !== QUESTIONS_PATH) return null;
  if (isManager(session)) return <QuestionBank />;
  return (
    <div className="panel">
      <p role="alert">
        {i18n.t('questionBank.forbidden')} <a href="/">{i18n.t('app.goToTraining')}</a>
      </p>
    </div>
  );
}
