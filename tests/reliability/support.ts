import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino from 'pino';
import { mintToken } from '../../src/core/auth.js';
import type { Role } from '../../src/core/permissions.js';
import type { Logger } from '../../src/core/logger.js';
import { freshDatabase, onPostgres } from '../support/database.js';
import { ROOT } from '../support/processes.js';
import { TEST_JWT_SECRET } from '../support/server.js';
import { eventually } from '../support/wait.js';

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

/** One JSON log line of the API process. */
export interface LogLine {
  level: number;
  msg: string;
  signal?: string;
}

export interface DatabaseTarget {
  name: string;
  database: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
}

/** Where a real API process keeps its data: an embedded database in `dataDir` always, PostgreSQL too on a server run. */
export function databaseTargets(dataDir: string): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [
    {
      name: 'embedded PGlite in a data folder',
      database: async () => ({ env: { PGLITE_DATA_DIR: path.join(dataDir, 'pglite') }, drop: async () => {} }),
    },
  ];
  if (onPostgres) {
    targets.push({
      name: 'PostgreSQL (DATABASE_URL)',
      database: async () => {
        const db = await freshDatabase({ migrated: false });
        return { env: { DATABASE_URL: db.url! }, drop: () => db.drop() };
      },
    });
  }
  return targets;
}

export interface ApiProcess {
  process: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The end of what it wrote, for failure messages. */
  output(): string;
  logLines(): LogLine[];
  /** Resolves once `/readyz` answers 200; fails if the process exits first. */
  ready(): Promise<void>;
  /** Resolves with how it exited; fails if it has not within `ms`. */
  exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The real entry point as production runs it (`nodeArgs`, e.g. `dist/src/main.js`), from the repository root,
 * with JSON logs at info level on `port` and the target's database settings.
 */
export function startApiProcess(nodeArgs: string[], port: number, targetEnv: Record<string, string>): ApiProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  Object.assign(env, targetEnv);
  const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => `\nstdout: ${stdout.slice(-2_000)}\nstderr: ${stderr.slice(-2_000)}`;
  const base = `http://127.0.0.1:${port}`;
  // Never leave a server behind if the test itself fails.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    process: child,
    base,
    exited,
    output,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
    ready: () =>
      eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`the API exited early with ${child.exitCode}${output()}`);
          return (await probe(`${base}/readyz`, 2_000)) === 200;
        },
        120_000,
        output,
      ),
    exitWithin: (ms) =>
      Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit ${ms / 1000} s after SIGTERM${output()}`)), ms),
        ),
      ]),
  };
}
