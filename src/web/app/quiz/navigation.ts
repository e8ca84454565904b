/** The quiz screens' addresses, and moving between client routes from anywhere (the app's router follows `popstate`). */

export const QUESTIONS_PATH = '/questions';
export const ATTEMPT_PATH = /^\/quiz\/([0-9a-f-]{36})$/i;

export const attemptPath = (attemptId: string) => `/quiz/${attemptId}`;

export function goTo(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}
