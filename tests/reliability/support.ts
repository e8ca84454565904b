import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino from 'pino';
import { mintToken } from '../../src/core/auth.js';
import type { Role } from '../../src/core/permissions.js';
import type { Logger } from '../../src/core/logger.js';
import { TEST_JWT_SECRET } from '../support/server.js';

/** Helpers shared by the reliability tests: watching the process, capturing logs, timed requests. */

/** Records unhandled rejections and uncaught exceptions while the API runs in this process. */
export function watchProcess() {
  const failures: string[] = [];
  const onRejection = (reason: unknown) => failures.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (error: unknown) => failures.push(`uncaughtException: ${describe(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    failures,
    dispose() {
      process.removeListener('unhandledRejection', onRejection);
      process.removeListener('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}

/** A pino logger that keeps its JSON lines in memory (warn and above), for failure messages and log assertions. */
export function memoryLogger(level = 'warn'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level }, stream), lines: () => lines };
}

export interface Outcome<Data = unknown> {
  op: string;
  startedAt: number;
  ms: number;
  /** ok: data and no errors; error: a GraphQL error response; timeout/network: no response. */
  kind: 'ok' | 'error' | 'timeout' | 'network';
  status?: number;
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  failure?: string;
}

/** POSTs a GraphQL document; never throws: what happened is in the outcome. */
export async function timedRequest<Data>(
  url: string,
  op: string,
  document: TypedDocumentNode<Data, never> | TypedDocumentNode<Data, Record<string, unknown>> | string,
  variables: Record<string, unknown> | undefined,
  token: string | undefined,
  timeoutMs = 10_000,
): Promise<Outcome<Data>> {
  const startedAt = Date.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const query = typeof document === 'string' ? document : print(document);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as Pick<Outcome<Data>, 'data' | 'errors'>;
    const kind = body.errors?.length || response.status !== 200 ? 'error' : 'ok';
    return { op, startedAt, ms: Date.now() - startedAt, kind, status: response.status, ...body };
  } catch (error) {
    const name = (error as Error).name;
    const kind = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    return { op, startedAt, ms: Date.now() - startedAt, kind, failure: describe(error) };
  }
}

export interface TokenActor {
  role: Role;
  tenantId: string;
  userId: string;
  token: string;
}

export async function tokenFor(role: Role, tenantId: string = randomUUID(), userId: string = randomUUID()) {
  const token = await mintToken({ secret: TEST_JWT_SECRET, tenantId, userId, role });
  return { role, tenantId, userId, token } satisfies TokenActor;
}

/** GET a plain endpoint (health, readiness): its status, or 0 when there was no answer. */
export async function probe(url: string, timeoutMs = 5_000): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
