import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/core/auth.js';
import { TEST_JWT_SECRET } from '../support/server.js';

/**
 * `npm run token` as a newcomer runs it: a process, its exit code, stdout (the token only, so
 * `$(npm run -s token …)` works) and stderr (usage or one line saying what is wrong, never a stack).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TENANT = '11111111-1111-4111-8111-111111111111';
const USER = '22222222-2222-4222-8222-222222222222';

function token(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/token.ts', ...args],
      { cwd: root, env: { ...process.env, NODE_ENV: 'development', JWT_SECRET: TEST_JWT_SECRET, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

/** The one-line failure every bad invocation must produce. */
function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, says: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^token: /);
  expect(lines[0]).toMatch(says);
}

describe('npm run token', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const result = await token(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run -s token -- --role <role> --tenant <uuid> --user <uuid>/);
    expect(result.stdout).toContain('admin, safety_officer, worker, service');
    expect(result.stderr).toBe('');
  });

  it('without arguments prints the usage on stderr, mints nothing and exits 1', async () => {
    const result = await token([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage: /);
  });

  it('mints a token the server accepts, with the claims and lifetime asked for', async () => {
    const result = await token([
      '--role',
      'service',
      '--tenant',
      TENANT,
      '--user',
      USER,
      '--name',
      'Risk Engine',
      '--email',
      'risk@example.com',
      '--expires',
      '2h',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const minted = result.stdout.trim();
    expect(minted.split('\n')).toHaveLength(1);
    const verify = createTokenVerifier({
      jwtSecret: TEST_JWT_SECRET,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      developmentSecret: false,
    });
    expect(await verify(minted)).toEqual({
      userId: USER,
      tenantId: TENANT,
      role: 'service',
      name: 'Risk Engine',
      email: 'risk@example.com',
    });
    const { exp, iat } = decodeJwt(minted);
    expect(exp! - iat!).toBe(2 * 3600);
  });

  it.each([
    ['an unknown role', ['--role', 'boss', '--tenant', TENANT, '--user', USER], /--role must be one of .*"boss"/],
    ['a tenant that is not a UUID', ['--role', 'admin', '--tenant', 'acme', '--user', USER], /--tenant must be a UUID/],
    ['a user that is not a UUID', ['--role', 'admin', '--tenant', TENANT, '--user', '42'], /--user must be a UUID/],
    ['a missing tenant', ['--role', 'admin', '--user', USER], /--tenant is required/],
    ['an unknown option', ['--role', 'admin', '--tenant', TENANT, '--user', USER, '--admin'], /unknown option --admin/],
    ['a stray argument', ['admin'], /unexpected argument admin/],
    ['a role without its value', ['--role'], /--role/],
    [
      'an email that is two addresses',
      ['--role', 'admin', '--tenant', TENANT, '--user', USER, '--email', 'a@example.com,b@example.com'],
      /--email must be one address/,
    ],
    [
      'a lifetime without a unit',
      ['--role', 'admin', '--tenant', TENANT, '--user', USER, '--expires', 'soon'],
      /--expires must be a number and a unit/,
    ],
  ])('refuses %s with one line and exit code 1', async (_case, args, says) => {
    expectOneLineError(await token(args), says);
  });

  it.each([
    [
      ['--expires', '60d'],
      {},
      /--expires 60d is longer than the server accepts: at most 30 days \(JWT_MAX_LIFETIME_SECONDS=2592000\)/,
    ],
    [['--expires', '721h'], {}, /--expires 721h is longer .*at most 30 days/],
    [['--expires', '2h'], { JWT_MAX_LIFETIME_SECONDS: '3600' }, /at most 1 hour \(JWT_MAX_LIFETIME_SECONDS=3600\)/],
  ])('refuses --expires %j over the lifetime the server accepts, naming the limit', async (expires, env, says) => {
    expectOneLineError(await token(['--role', 'admin', '--tenant', TENANT, '--user', USER, ...expires], env), says);
  });

  it('mints the longest lifetime the server accepts (30d by default), and the server accepts it', async () => {
    const result = await token(['--role', 'admin', '--tenant', TENANT, '--user', USER, '--expires', '30d']);
    expect(result.code, result.stderr).toBe(0);
    const { exp, iat } = decodeJwt(result.stdout.trim());
    expect(exp! - iat!).toBe(30 * 86_400);
    const verify = createTokenVerifier({
      jwtSecret: TEST_JWT_SECRET,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      developmentSecret: false,
    });
    expect((await verify(result.stdout.trim())).role).toBe('admin');
  });

  it('refuses a production configuration without a secret with one line, not a stack trace', async () => {
    const result = await token(['--role', 'admin', '--tenant', TENANT, '--user', USER], {
      NODE_ENV: 'production',
      JWT_SECRET: '',
    });
    expectOneLineError(result, /JWT_SECRET/);
  });
});
