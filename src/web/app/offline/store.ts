/**
 * The app's IndexedDB: `reads`, the last answer of each GraphQL query per person (what the app shows with no
 * network), and `outbox`, the actions taken offline in the order they were taken (auto-increment `seq`).
 */
const DB_NAME = 'safety-training-offline';
const READS = 'reads';
const OUTBOX = 'outbox';

/** One action waiting for the network. `conflict`: the server refused it for good; kept until the worker has seen it. */
export interface OutboxEntry {
  seq?: number;
  /** `tenantId:userId`: only that person's session sends it. */
  owner: string;
  /** The Idempotency-Key: every replay of the entry is the same request to the server. */
  key: string;
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
  queuedAt: string;
  conflict?: { code: string; message: string };
}

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(READS);
      request.result.createObjectStore(OUTBOX, { keyPath: 'seq', autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB cannot be opened'));
  });
  return opened;
}

async function run<T>(store: string, mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>) {
  const db = await database();
  return new Promise<T>((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const request = work(transaction.objectStore(store));
    // Resolved once committed, so an entry written is on disk before the app says it is kept.
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
  });
}

export const readCached = (key: string) => run<unknown>(READS, 'readonly', (store) => store.get(key));
export const writeCached = (key: string, data: unknown) => run(READS, 'readwrite', (store) => store.put(data, key));
/** Forgets a person's cached reads (on signing out: the next person on this device must not see them). */
export const forgetCached = (owner: string) =>
  run(READS, 'readwrite', (store) => store.delete(IDBKeyRange.bound(`${owner}|`, `${owner}|\uffff`)));

export const addToOutbox = (entry: OutboxEntry) => run(OUTBOX, 'readwrite', (store) => store.add(entry));
export const putInOutbox = (entry: OutboxEntry) => run(OUTBOX, 'readwrite', (store) => store.put(entry));
export const removeFromOutbox = (seq: number) => run(OUTBOX, 'readwrite', (store) => store.delete(seq));
/** Entries waiting on this device, whoever's. */
export const outboxSize = () => run<number>(OUTBOX, 'readonly', (store) => store.count());
/** A person's entries, oldest first. */
export async function outboxOf(owner: string): Promise<OutboxEntry[]> {
  const all = await run<OutboxEntry[]>(OUTBOX, 'readonly', (store) => store.getAll());
  return all.filter((entry) => entry.owner === owner);
}
