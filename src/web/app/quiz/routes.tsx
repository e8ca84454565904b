import type { ReactNode } from 'react';
import { isManager, type Session } from '../session';
import { QuestionBank } from './QuestionBank';
import { TakeQuiz } from './TakeQuiz';

export const QUESTIONS_PATH = '/questions';
const ATTEMPT_PATH = /^\/quiz\/([0-9a-f-]{36})$/i;

export const attemptPath = (attemptId: string) => `/quiz/${attemptId}`;

/** Moves to a client route from anywhere: the app's router follows `popstate`. */
export function goTo(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

/** The quiz screens of a path (an attempt, the question bank); null for every other path. */
export function quizScreen(path: string, session: Session): ReactNode | null {
  const attempt = ATTEMPT_PATH.exec(path);
  if (attempt) return <TakeQuiz key={attempt[1]} attemptId={attempt[1]!} />;
  if (path !== QUESTIONS_PATH) return null;
  if (isManager(session)) return <QuestionBank />;
  return (
    <div className="panel">
      <p role="alert">
        The question bank is for administrators and safety officers. <a href="/">Go to your training</a>
      </p>
    </div>
  );
}
