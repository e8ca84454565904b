import type { Client } from 'urql';
import { addToOutbox, outboxOf, putInOutbox, removeFromOutbox, type OutboxEntry } from './store';

/**
 * The outbox of actions a worker took offline, sent in the order taken when the network returns. Each entry
 * keeps its Idempotency-Key, so an entry whose answer was lost (the connection dropped after the server did it)
 * is sent again and answered with the first response: applied once. A refusal that will not change (the
 * assignment was cancelled meanwhile) becomes a conflict shown to the worker; an expired token stops the
 * sending and asks for sign-in, keeping every entry.
 */

/** The mutations a worker may make offline (a start, quiz answers and submits, a reported completion). */
export const QUEUEABLE = new Set([
  'StartTrainingAssignment',
  'SaveQuizAnswer',
  'SubmitQuizAttempt',
  'CompleteTrainingAssignment',
]);

/** Answers worth waiting out: the entry stays first in line and is sent again later. */
const RETRYABLE = new Set(['TRANSACTION_CONFLICT', 'INTERNAL_SERVER_ERROR', 'TOO_MANY_REQUESTS']);

export type FlushOutcome = 'sent' | 'offline' | 'retry' | 'sign-in';

const listeners = new Set<() => void>();
/** Runs `listener` whenever the outbox changes; returns the unsubscribe. */
export function onOutboxChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
const changed = () => listeners.forEach((listener) => listener());

export async function enqueue(entry: Omit<OutboxEntry, 'queuedAt' | 'seq'>): Promise<void> {
  await addToOutbox({ ...entry, queuedAt: new Date().toISOString() });
  changed();
}

export async function dismissConflict(entry: OutboxEntry): Promise<void> {
  await removeFromOutbox(entry.seq!);
  changed();
}

export { outboxOf };

let flushing: Promise<FlushOutcome> | undefined;

/**
 * Sends the person's waiting entries in order (one flush at a time in this tab), through the session's client:
 * a result names the types it changed, so the screens showing them read them again.
 */
export function flushOutbox(owner: string, client: Client): Promise<FlushOutcome> {
  flushing ??= sendAll(owner, client).finally(() => {
    flushing = undefined;
  });
  return flushing;
}

async function sendAll(owner: string, client: Client): Promise<FlushOutcome> {
  for (const entry of await outboxOf(owner)) {
    if (entry.conflict) continue;
    const outcome = await sendOne(entry, client);
    if (outcome !== 'sent') return outcome;
    changed();
  }
  return 'sent';
}

async function sendOne(entry: OutboxEntry, client: Client): Promise<FlushOutcome> {
  const result = await client
    .mutation(entry.query, entry.variables, { idempotencyKey: entry.key, fromOutbox: true })
    .toPromise();
  const error = result.error?.graphQLErrors[0];
  const code = error?.extensions?.code as string | undefined;
  const status = (result.error?.response as Response | undefined)?.status ?? 200;
  if (status === 401 || code === 'UNAUTHENTICATED') return 'sign-in';
  if (result.error?.networkError && !error) return status >= 500 || status === 429 ? 'retry' : 'offline';
  if (status >= 500 || status === 429 || (code && RETRYABLE.has(code))) return 'retry';
  if (error) await putInOutbox({ ...entry, conflict: { code: code ?? 'ERROR', message: error.message } });
  else await removeFromOutbox(entry.seq!);
  return 'sent';
}
