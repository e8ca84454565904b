import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { credentialOf, statement, type LrsClient } from '../support/xapi.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Listing and revoking LRS credentials: admins only; a revoked credential is refused (401) from its very next
 * request, though it had just been verified and cached; the revocation is in the audit trail; another tenant's id
 * or an unknown one is NOT_FOUND and changes nothing.
 */

const LIST = `query { lrsCredentials { id name username secret endpoint createdAt revokedAt } }`;
const REVOKE = `mutation($id: ID!) { revokeLrsCredential(id: $id) { id name secret revokedAt } }`;

interface Listed {
  id: string;
  name: string;
  username: string;
  secret: string | null;
  revokedAt: string | null;
}

let server: TestServer;
let admin: Actor;
let otherAdmin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  otherAdmin = await server.actor('admin');
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const list = async (actor: Actor) =>
  (await ok(actor.request<{ lrsCredentials: Listed[] }, Record<string, never>>(LIST))).lrsCredentials;
const revoke = (actor: Actor, id: string) =>
  actor.request<{ revokeLrsCredential: Listed }, { id: string }>(REVOKE, { id });
const revokedAt = async (id: string) =>
  (
    await server.owner.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM lrs_credentials WHERE id = $1', [id])
  )[0]!.revoked_at;

describe('lrsCredentials', () => {
  it("lists the tenant's credentials, newest first, without secrets; none of another tenant's", async () => {
    const first = await credentialOf(server, admin);
    const second = await credentialOf(server, admin);
    const theirs = await credentialOf(server, otherAdmin);
    const listed = await list(admin);
    const ids = listed.map((credential) => credential.id);
    expect(ids.indexOf(second.username)).toBeLessThan(ids.indexOf(first.username));
    expect(ids).not.toContain(theirs.username);
    expect(listed.every((credential) => credential.secret === null && credential.username === credential.id)).toBe(
      true,
    );
    expect(listed.find((credential) => credential.id === first.username)).toMatchObject({ revokedAt: null });
  });

  it.each(['safety_officer', 'worker', 'service'] as const)('refuses a %s (FORBIDDEN)', async (role) => {
    const caller = await server.actor(role, { tenantId: admin.tenantId });
    expect(errorCode(await caller.request(LIST))).toBe('FORBIDDEN');
  });
});

describe('revokeLrsCredential', () => {
  let lrs: LrsClient;

  beforeAll(async () => {
    lrs = await credentialOf(server, admin);
  });

  it('refuses the credential with 401 from the next request on, and audits the revocation', async () => {
    // Verified (and cached) just before.
    expect((await lrs.send('statements', { method: 'POST', body: [statement()] })).status).toBe(200);
    const { revokeLrsCredential } = await ok(revoke(admin, lrs.username));
    expect(revokeLrsCredential).toMatchObject({ id: lrs.username, secret: null });
    expect(revokeLrsCredential.revokedAt).toEqual(expect.any(String));

    const before = await server.owner.count('xapi_statements', 'tenant_id = $1', [admin.tenantId]);
    expect((await lrs.send('statements', { method: 'POST', body: [statement()] })).status).toBe(401);
    expect((await lrs.send('statements')).status).toBe(401);
    expect(await server.owner.count('xapi_statements', 'tenant_id = $1', [admin.tenantId])).toBe(before);
    expect((await list(admin)).find((credential) => credential.id === lrs.username)?.revokedAt).toBe(
      revokeLrsCredential.revokedAt,
    );

    const [event] = await server.owner.query<{ action: string; actor_id: string; changes: { after: object } }>(
      `SELECT action, actor_id, changes FROM audit_events WHERE entity_id = $1 AND action = 'update'`,
      [lrs.username],
    );
    expect(event).toMatchObject({ actor_id: admin.userId, changes: { after: { revoked_at: expect.any(String) } } });
    expect(JSON.stringify(event!.changes)).not.toContain('secret');
  });

  it('revoking it again is CONFLICT and changes nothing', async () => {
    const at = await revokedAt(lrs.username);
    expect(errorCode(await revoke(admin, lrs.username))).toBe('CONFLICT');
    expect(await revokedAt(lrs.username)).toEqual(at);
  });

  it("another tenant's credential, an unknown id: NOT_FOUND, nothing changed, theirs still works", async () => {
    const theirs = await credentialOf(server, otherAdmin);
    const events = await server.owner.count('audit_events');
    expect(errorCode(await revoke(admin, theirs.username))).toBe('NOT_FOUND');
    expect(errorCode(await revoke(admin, randomUUID()))).toBe('NOT_FOUND');
    expect(await revokedAt(theirs.username)).toBeNull();
    expect(await server.owner.count('audit_events')).toBe(events);
    expect((await theirs.send('statements')).status).toBe(200);
  });

  it('refuses a malformed id (BAD_USER_INPUT) and a non-admin (FORBIDDEN), revoking nothing', async () => {
    const mine = await credentialOf(server, admin);
    expect(errorCode(await revoke(admin, 'not-a-uuid'))).toBe('BAD_USER_INPUT');
    const officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
    expect(errorCode(await revoke(officer, mine.username))).toBe('FORBIDDEN');
    expect(await revokedAt(mine.username)).toBeNull();
    expect((await mine.send('statements')).status).toBe(200);
  });
});
