import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { SaveQuizAnswerDocument, type AnswerInput } from '../../../generated/operations/graphql';
import { i18n } from '../i18n';
import { combinedErrorText } from '../errors/translate';

/**
 * Where one question's answer stands: `saved` only once the server answered `true` for the latest answer given
 * (or it was read back from the server); `failed` when the server refused it (not retried: the same answer
 * would be refused again); `retrying` while the server is down; `queued` when there is no network and the answer
 * waits in the device's outbox (sent, in order, when the network returns).
 */
export type SaveStatus =
  | { state: 'saved' }
  | { state: 'queued' }
  | { state: 'unsaved' }
  | { state: 'saving' }
  | { state: 'retrying' }
  | { state: 'failed'; message: string };

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function codeOf(error: CombinedError | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Worth sending again: no answer from the server, or a failure of the server's own. */
const transient = (error: CombinedError | undefined) =>
  !error || Boolean(error.networkError) || codeOf(error) === 'INTERNAL_SERVER_ERROR' || !codeOf(error);

/**
 * Saves an attempt's answers: one request per question at a time (so an older answer can never land after a newer
 * one), the newest answer given while one is in flight sent next, failures of the network retried with backoff
 * until they succeed or a newer answer replaces them. `onClosed` runs when the server says the attempt is closed.
 */
export function useAnswerSaver(attemptId: string, saved: readonly string[], onClosed: () => void) {
  const client = useClient();
  const [statuses, setStatuses] = useState<Record<string, SaveStatus>>(() =>
    Object.fromEntries(saved.map((questionId) => [questionId, { state: 'saved' }])),
  );
  const latest = useRef(new Map<string, { answer: AnswerInput; revision: number }>());
  const sending = useRef(new Map<string, Promise<void>>());
  /** Questions with an answer being typed that `save` has not been given yet. */
  const typing = useRef(new Set<string>());
  const alive = useRef(true);
  const closedRef = useRef(onClosed);
  closedRef.current = onClosed;
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const setStatus = useCallback((questionId: string, status: SaveStatus) => {
    if (alive.current) setStatuses((previous) => ({ ...previous, [questionId]: status }));
  }, []);

  const isLatest = (questionId: string, revision: number) => latest.current.get(questionId)?.revision === revision;

  const send = useCallback(
    async (questionId: string) => {
      let delay = FIRST_RETRY_MS;
      while (alive.current) {
        const { answer, revision } = latest.current.get(questionId)!;
        setStatus(questionId, { state: 'saving' });
        const result = await client
          .mutation(SaveQuizAnswerDocument, { attemptId, questionId, answer }, { requestPolicy: 'network-only' })
          .toPromise();
        if (!alive.current) return;
        if (result.extensions?.queued) {
          if (!isLatest(questionId, revision)) continue;
          return setStatus(questionId, { state: 'queued' });
        }
        if (result.data?.saveQuizAnswer === true) {
          if (!isLatest(questionId, revision)) continue;
          return setStatus(questionId, typing.current.has(questionId) ? { state: 'unsaved' } : { state: 'saved' });
        }
        const code = codeOf(result.error);
        if (code === 'ATTEMPT_CLOSED') {
          setStatus(questionId, { state: 'failed', message: i18n.t('quizSave.closed') });
          return closedRef.current();
        }
        if (code === 'UNAUTHENTICATED') return setStatus(questionId, { state: 'unsaved' });
        if (!isLatest(questionId, revision)) continue;
        if (!transient(result.error)) {
          const message = result.error ? combinedErrorText(result.error) : i18n.t('quizSave.refused');
          return setStatus(questionId, { state: 'failed', message: i18n.t('quizSave.failed', { message }) });
        }
        setStatus(questionId, { state: 'retrying' });
        await sleep(delay);
        delay = Math.min(delay * 2, LONGEST_RETRY_MS);
      }
    },
    [attemptId, client, setStatus],
  );

  /** Records the answer given and sends it (after the request in flight for this question, if any). */
  const save = useCallback(
    (questionId: string, answer: AnswerInput) => {
      const revision = (latest.current.get(questionId)?.revision ?? 0) + 1;
      latest.current.set(questionId, { answer, revision });
      typing.current.delete(questionId);
      setStatus(questionId, { state: 'saving' });
      if (sending.current.has(questionId)) return;
      const done = send(questionId).finally(() => sending.current.delete(questionId));
      sending.current.set(questionId, done);
    },
    [send, setStatus],
  );

  /** Marks an answer being typed as not saved yet (it is saved when the typing pauses). */
  const touch = useCallback(
    (questionId: string) => {
      typing.current.add(questionId);
      setStatus(questionId, { state: 'unsaved' });
    },
    [setStatus],
  );

  /** Resolves once every answer given so far has had its last request answered. */
  const settled = useCallback(async () => {
    while (sending.current.size > 0) await Promise.all([...sending.current.values()]);
  }, []);

  return { statuses, save, touch, settled };
}
