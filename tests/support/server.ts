import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { expect } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import { loadConfig } from '../../src/config.js';
import type { Role } from '../../src/core/permissions.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { startApp, type App } from '../../src/app.js';
import { schema } from '../../src/schema.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { owner, type Owner } from './sql.js';

/**
 * A real API server for a test file: fresh database, real HTTP on a free port.
 * Tests talk to it exactly as a dashboard, an integration or a worker's app would.
 */
export const TEST_JWT_SECRET = 'test-secret-for-the-safety-training-api-0123456789';

export interface GraphQLResponse<Data> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}

export interface Actor {
  role: Role;
  tenantId: string;
  userId: string;
  token: string;
  /** Sends a typed document (or raw query text) with this actor's token. */
  request<Data, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Data, Variables> | string,
    variables?: Variables,
  ): Promise<GraphQLResponse<Data>>;
}

export interface TestServer {
  app: App;
  db: TestDatabase;
  /** SQL on the test database as its owner (no RLS): seeding, reading back, fingerprints. */
  owner: Owner;
  url: string;
  /** A caller with a fresh user id (or the given one) in `tenantId` (default: a fresh tenant). */
  actor(
    role: Role,
    options?: { tenantId?: string; userId?: string; name?: string; email?: string; locale?: string },
  ): Promise<Actor>;
  /** Sends a request with an arbitrary Authorization header (or none). */
  request<Data = unknown>(
    document: TypedDocumentNode<Data, never> | string,
    variables?: Record<string, unknown>,
    authorization?: string,
  ): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  /**
   * `serverUrl`: a PostgreSQL server to make the database on, whatever TEST_DATABASE_URL says (benchmarks);
   * `logger`: where the app logs (default: LOG_LEVEL, silent).
   */
  options: { onQuery?: (sql: string) => void; serverUrl?: string; logger?: Logger } = {},
): Promise<TestServer> {
  const db = await freshDatabase(options);
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, PORT: '0', LOG_LEVEL: 'silent', ...env });
  const logger = options.logger ?? createLogger(config.logLevel);
  const app = await startApp({ config, logger, schema, db, host: '127.0.0.1' });

  const send = async <Data>(
    document: TypedDocumentNode<Data, never> | TypedDocumentNode<Data, Record<string, unknown>> | string,
    variables: Record<string, unknown> | undefined,
    authorization: string | undefined,
  ): Promise<GraphQLResponse<Data>> => {
    const query = typeof document === 'string' ? document : print(document);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const response = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as Omit<GraphQLResponse<Data>, 'status'>;
    return { status: response.status, ...body };
  };

  return {
    app,
    db,
    owner: owner(db),
    url: app.url,
    async actor(role, options = {}) {
      const tenantId = options.tenantId ?? randomUUID();
      const userId = options.userId ?? randomUUID();
      const token = await mintToken({
        secret: TEST_JWT_SECRET,
        tenantId,
        userId,
        role,
        name: options.name,
        email: options.email,
        locale: options.locale,
      });
      return {
        role,
        tenantId,
        userId,
        token,
        request: (document, variables) =>
          send(document as TypedDocumentNode<never, Record<string, unknown>>, variables, `Bearer ${token}`),
      };
    },
    request: (document, variables, authorization) => send(document, variables, authorization),
    async stop() {
      try {
        await app.stop();
      } finally {
        await db.drop().catch(() => {});
      }
    },
  };
}

/** The response's data, failing loudly (with the errors) when it has any. */
export async function ok<Data>(response: Promise<GraphQLResponse<Data>>): Promise<Data> {
  const result = await response;
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!;
}

/** The single error's code, failing loudly when the response was not exactly one error. */
export function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  if (!response.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(response.data)}`);
  return response.errors[0]?.extensions?.code;
}

/** A calendar date `days` from today (UTC), as the API's Date scalar expects. */
export function dayFromToday(days: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
