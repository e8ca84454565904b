import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Child processes for benchmarks and tests: servers started from the repository
 * root with TypeScript loaded by tsx, their output kept for error messages.
 */

/** The repository root (children run from there, so `tsx` and `src/` resolve). */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The Dockerfile's `CMD ["node", …]` arguments after `node` (its flags, then the script), as the image runs the API. */
export function imageNodeCommand(): string[] {
  const match = /^CMD \["node", (.*)\]$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('the Dockerfile has no CMD ["node", …]');
  return JSON.parse(`[${match[1]}]`) as string[];
}

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Called with every stdout line (e.g. the soak server's memory samples). */
  onLine(listener: (line: string) => void): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released for a child or a server to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts `node <nodeArgs…>` from the repository root, TypeScript loaded by tsx unless `typescript` is
 * false (compiled JavaScript only, as production runs it).
 */
export function startChild(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv,
  { typescript = true }: { typescript?: boolean } = {},
): Child {
  const child = spawn(process.execPath, [...(typescript ? ['--import', 'tsx'] : []), ...nodeArgs], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    for (const listener of listeners) listener(line);
  });
  createInterface({ input: child.stderr! }).on('line', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never leave a server behind if the benchmark itself dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    name,
    pid: child.pid,
    process: child,
    tail: () => lines.join('\n'),
    onLine: (listener) => void listeners.push(listener),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200 (or the child dies, or `timeoutMs` passes). */
export async function waitReady(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready:\n${child.tail()}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms:\n${child.tail()}`);
}

/** Stops every child, whatever happens to the others. */
export async function stopAll(children: (Child | undefined)[]): Promise<void> {
  await Promise.allSettled(children.map((child) => child?.stop()));
}
