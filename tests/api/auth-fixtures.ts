import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import { mintToken } from '../../src/core/auth.js';
import { TrainingCoursesDocument } from '../../src/generated/operations/graphql.js';
import { startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';

/**
 * Shared by the auth-*.test.ts files (identity and errors: who may call at all, what a caller's token writes
 * into `profiles`, and what an error may tell a client): the file's server, and tokens to call it with.
 */

export let server: TestServer;
export let admin: Actor;

/** Starts the file's server and an admin of one tenant; call once at the top of a test file. */
export function useAuthServer(): void {
  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.actor('admin');
    await admin.request(TrainingCoursesDocument, {});
  });
  afterAll(() => server.stop());
}

export const profile = async (id: string) =>
  (await server.owner.query('SELECT * FROM profiles WHERE id = $1', [id]))[0];

export const token = (claims: { userId?: string; tenantId?: string; role?: string; name?: string; email?: string }) =>
  mintToken({
    secret: TEST_JWT_SECRET,
    userId: claims.userId ?? randomUUID(),
    tenantId: claims.tenantId ?? randomUUID(),
    role: (claims.role ?? 'admin') as 'admin',
    name: claims.name,
    email: claims.email,
  });

/** An HS256 token with exactly these claims (role admin unless given): no exp, iat or nbf unless listed. */
export const signed = (claims: Record<string, unknown>) =>
  new SignJWT({ role: 'admin', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
