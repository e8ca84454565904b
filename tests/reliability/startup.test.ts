import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../support/server.js';
import { freePort, ROOT, startChild, stopAll, waitReady, type Child } from '../support/processes.js';

// `npm start` with a setting it cannot start with says what is wrong in one line and exits 1: no stack trace.

interface Outcome {
  code: number | null;
  stderr: string;
}

function start(env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', NODE_ENV: 'development', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

function expectOneLine(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.code).toBe(1);
  const lines = outcome.stderr.trim().split('\n');
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^safety-training-api: cannot start: /);
  expect(lines[0]).toMatch(pattern);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

describe('start-up with a bad configuration', () => {
  let dataRoot: string;
  beforeAll(() => {
    dataRoot = mkdtempSync(path.join(tmpdir(), 'training-startup-'));
  });
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));
  const dataDir = (name: string) => path.join(dataRoot, name);

  it('PORT that is not a number', async () => {
    expectOneLine(
      await start({ PORT: 'abc', PGLITE_DATA_DIR: dataDir('a') }),
      /PORT must be an integer ≥ 0, got "abc"/,
    );
  });

  it('a cron expression that is not one', async () => {
    expectOneLine(
      await start({ PORT: '0', AUTO_ASSIGN_CRON: 'every hour', PGLITE_DATA_DIR: dataDir('b') }),
      /AUTO_ASSIGN_CRON is not a cron expression/,
    );
  });

  it('production without a secret', async () => {
    expectOneLine(
      await start({ NODE_ENV: 'production', JWT_SECRET: '', JWKS_URL: '', PORT: '0' }),
      /JWT_SECRET or JWKS_URL is required when NODE_ENV=production/,
    );
  });

  it('a CORS origin that is not an origin', async () => {
    expectOneLine(
      await start({ PORT: '0', CORS_ORIGINS: 'dashboard.example.com', PGLITE_DATA_DIR: dataDir('c') }),
      /CORS_ORIGINS: "dashboard.example.com" is not an origin/,
    );
  });

  it('a port another process listens on', async () => {
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      expectOneLine(
        await start({ PORT: String(port), PGLITE_DATA_DIR: dataDir('d') }),
        new RegExp(`port ${port} is already in use`),
      );
    } finally {
      taken.close();
    }
  });

  it.each([
    ['not-a-url', /DATABASE_URL must be a PostgreSQL URL like postgresql:\/\/.*got "not-a-url"/],
    ['mysql://root:hunter2@db/training', /DATABASE_URL must be a PostgreSQL URL .*got "mysql:\/\/…@db\/training"/],
  ])('DATABASE_URL=%s, which is no PostgreSQL URL (the password is not repeated)', async (url, says) => {
    const outcome = await start({ PORT: '0', DATABASE_URL: url });
    expectOneLine(outcome, says);
    expect(outcome.stderr).not.toContain('hunter2');
  });

  it('a PostgreSQL database that does not exist', async () => {
    expectOneLine(
      await start({ PORT: '0', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/no_such_training_database' }),
      /the database at DATABASE_URL cannot be used/,
    );
  });
});

describe('one embedded data folder, two processes', () => {
  let first: Child | undefined;
  let dataRoot: string;
  beforeAll(() => {
    dataRoot = mkdtempSync(path.join(tmpdir(), 'training-lock-'));
  });
  afterAll(async () => {
    await stopAll([first]);
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('refuses the second process while the first has the folder open, and lets it in once the first stops', async () => {
    const env = { JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', PGLITE_DATA_DIR: path.join(dataRoot, 'pglite') };
    const port = await freePort();
    first = startChild('first', ['src/main.ts'], { ...env, PORT: String(port) });
    await waitReady(first, `http://127.0.0.1:${port}/readyz`, 120_000);

    expectOneLine(
      await start({ ...env, PORT: '0' }),
      new RegExp(`embedded database .*pglite is open in process ${first.pid}`),
    );

    await first.stop();
    const secondPort = await freePort();
    const second = startChild('second', ['src/main.ts'], { ...env, PORT: String(secondPort) });
    try {
      await waitReady(second, `http://127.0.0.1:${secondPort}/readyz`, 120_000);
    } finally {
      await second.stop();
    }
  }, 300_000);
});
