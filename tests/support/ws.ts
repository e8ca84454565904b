import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import type { HubOptions } from '../../src/core/live-events/index.js';
import { startApp, type App } from '../../src/app.js';
import { schema } from '../../src/schema.js';
import type { TestDatabase } from './database.js';
import { TEST_JWT_SECRET } from './server.js';
import { eventually } from './wait.js';

/**
 * graphql-ws clients for tests, as a worker's app would open them: the real
 * `graphql-ws` client over the `ws` package, the token in `connectionParams`.
 */

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface LiveClient {
  client: Client;
  /** The client's current socket, once open (tests pause or kill it to play a slow or vanished client). */
  socket(): WebSocket;
  /** Resolves with the first close of the socket. */
  closed: Promise<CloseInfo>;
  dispose(): Promise<void>;
}

export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** Connects at once (not lazily) and never retries, so a refusal shows up as the close. */
export function liveClient(httpUrl: string, token: string | null): LiveClient {
  let socket: WebSocket | undefined;
  let resolveClosed: (info: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
  });
  client.on('opened', (opened) => (socket = opened as WebSocket));
  client.on('closed', (event) => {
    const { code, reason } = event as { code: number; reason: string | Buffer };
    resolveClosed({ code, reason: String(reason) });
  });
  return {
    client,
    socket: () => {
      if (!socket) throw new Error('the socket is not open yet');
      return socket;
    },
    closed,
    dispose: async () => {
      await client.dispose();
    },
  };
}

export interface LiveSubscription<Data> {
  readonly results: FormattedExecutionResult<Data, unknown>[];
  /** The `data` of every result without errors, in order of arrival. */
  readonly data: Data[];
  readonly completed: boolean;
  readonly error: unknown;
  /** Waits until `done(this)` holds; fails after `timeoutMs` showing what did arrive. */
  until(done: (subscription: LiveSubscription<Data>) => boolean, timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

export function subscribe<Data, Variables extends Record<string, unknown>>(
  live: LiveClient,
  document: TypedDocumentNode<Data, Variables> | string,
  variables?: Variables,
): LiveSubscription<Data> {
  const results: FormattedExecutionResult<Data, unknown>[] = [];
  const subscription = {
    results,
    get data() {
      return results.filter((result) => !result.errors && result.data).map((result) => result.data as Data);
    },
    completed: false,
    error: undefined as unknown,
    async until(done: (s: LiveSubscription<Data>) => boolean, timeoutMs = 20_000) {
      await eventually(
        () => done(subscription),
        timeoutMs,
        () => `subscription results: ${JSON.stringify(results).slice(0, 2_000)}`,
      );
    },
    unsubscribe: () => {},
  };
  subscription.unsubscribe = live.client.subscribe<Data>(
    { query: typeof document === 'string' ? document : print(document), variables },
    {
      next: (result) => void results.push(result),
      error: (error) => {
        subscription.error = error;
        subscription.completed = true;
      },
      complete: () => void (subscription.completed = true),
    },
  );
  return subscription;
}

/** The errors a subscription the server refuses ends with (graphql-ws `error` message, or errors in its one result). */
export async function subscriptionErrors(
  live: LiveClient,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLFormattedError[]> {
  const subscription = subscribe(live, query, variables);
  await subscription.until((s) => s.completed || s.results.some((result) => result.errors));
  subscription.unsubscribe();
  const errors = subscription.error ?? subscription.results.flatMap((result) => result.errors ?? []);
  if (!Array.isArray(errors)) throw new Error(`expected errors, got ${JSON.stringify(errors)}`);
  return errors as GraphQLFormattedError[];
}

/** Waits until `app` holds exactly `count` subscriptions: the server has registered what the clients sent. */
export function subscribersReach(app: App, count: number, timeoutMs = 20_000): Promise<void> {
  return eventually(
    () => app.services.liveEvents.stats().subscribers === count,
    timeoutMs,
    () => `subscribers: ${app.services.liveEvents.stats().subscribers}, expected ${count}`,
  );
}

/**
 * Another API instance on the test database, with its own live-event limits.
 * On PostgreSQL it has its own pool and LISTEN session, as a second replica
 * behind a load balancer would. PGlite is one in-process database: the
 * instance shares it (and leaves closing it to its owner).
 */
export async function startInstance(db: TestDatabase, liveEvents: Partial<HubOptions> = {}): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, PORT: '0', LOG_LEVEL: 'silent' });
  const own = db.url ? await openDatabase({ url: db.url, poolMax: 10 }) : { ...db, close: async () => {} };
  return startApp({ config, logger: createLogger(config.logLevel), schema, db: own, host: '127.0.0.1', liveEvents });
}
