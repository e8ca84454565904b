import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  createLaunchToken,
  onStatementsStored,
  putDocument,
  storeStatements,
  XapiError,
} from '../../src/xapi/index.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { CREATE_CREDENTIAL, credentialOf, lrsClient, statement } from '../support/xapi.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Who may use the LRS: credentials (admins create them; the secret is shown once and kept hashed), refusals of bad
 * credentials, and cmi5 launch tokens; the API other domains use inside their own transaction.
 */

let server: TestServer;
let admin: Actor;
const seen: { tenantId: string; ids: string[] }[] = [];

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
  onStatementsStored(async ({ tenantId, statements }) => {
    seen.push({ tenantId, ids: statements.map((s) => s.id) });
  });
}, setupTimeout(60_000));
afterAll(() => server?.stop());

describe('createLrsCredential', () => {
  it('gives an admin a credential whose secret is kept only as a hash', async () => {
    const { createLrsCredential } = await ok(
      admin.request<{ createLrsCredential: { username: string; secret: string; endpoint: string } }, { name: string }>(
        CREATE_CREDENTIAL,
        { name: 'authoring tool' },
      ),
    );
    expect(createLrsCredential.endpoint).toMatch(/\/xapi\/$/);
    const [row] = await server.owner.query<{ secret_hash: Uint8Array }>(
      'SELECT secret_hash FROM lrs_credentials WHERE id = $1',
      [createLrsCredential.username],
    );
    expect(Buffer.from(row!.secret_hash).toString()).not.toContain(createLrsCredential.secret);
  });

  it.each(['safety_officer', 'worker', 'service'] as const)(
    'refuses a %s (FORBIDDEN) and writes nothing',
    async (role) => {
      const caller = await server.actor(role, { tenantId: admin.tenantId });
      const before = await server.owner.count('lrs_credentials');
      expect(errorCode(await caller.request(CREATE_CREDENTIAL, { name: 'x' }))).toBe('FORBIDDEN');
      expect(await server.owner.count('lrs_credentials')).toBe(before);
    },
  );

  it('refuses an empty name (BAD_USER_INPUT)', async () => {
    expect(errorCode(await admin.request(CREATE_CREDENTIAL, { name: '' }))).toBe('BAD_USER_INPUT');
  });
});

describe('authentication', () => {
  it('answers 401 to no credential, a wrong secret and an unknown id; 400 without the version header', async () => {
    const lrs = await credentialOf(server, admin);
    expect((await lrs.send('statements', { authorization: null })).status).toBe(401);
    expect((await lrsClient(server, lrs.username, 'wrong').send('statements')).status).toBe(401);
    expect((await lrsClient(server, randomUUID(), lrs.secret).send('statements')).status).toBe(401);
    expect((await lrs.send('statements', { headers: { 'x-experience-api-version': '0.9' } })).status).toBe(400);
    expect((await lrs.send('statements')).status).toBe(200);
  });
});

describe('cmi5 launch tokens and the API for other domains', () => {
  const caller = () => ({ tenantId: admin.tenantId, userId: admin.userId, role: 'worker' as const });
  const actor = { objectType: 'Agent', account: { homePage: 'https://training.example.com', name: 'w1' } };

  it('a launch token is fetched once, then authenticates the AU for its tenant', async () => {
    const registration = randomUUID();
    const { fetchPath } = await runAsCaller(server.db.prisma, caller(), (tx) =>
      createLaunchToken(tx, admin.tenantId, { actor, registration, activityId: 'https://example.com/au/1' }),
    );
    const origin = new URL(server.url).origin;
    const first = (await (await fetch(`${origin}${fetchPath}`, { method: 'POST' })).json()) as Record<string, string>;
    const again = (await (await fetch(`${origin}${fetchPath}`, { method: 'POST' })).json()) as Record<string, string>;
    expect(again['error-code']).toBe('1');
    const token = first['auth-token']!;
    const s = { ...statement(), actor, context: { registration } };
    const response = await fetch(`${origin}/xapi/statements`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${token}`,
        'x-experience-api-version': '1.0.3',
        'content-type': 'application/json',
      },
      body: JSON.stringify(s),
    });
    expect(response.status).toBe(200);
    expect(seen.at(-1)).toEqual({ tenantId: admin.tenantId, ids: [s.id] });
  });

  it("refuses (403, nothing stored) a launch token's statement of another actor, registration or an LMS verb", async () => {
    const registration = randomUUID();
    const { fetchPath } = await runAsCaller(server.db.prisma, caller(), (tx) =>
      createLaunchToken(tx, admin.tenantId, { actor, registration, activityId: 'https://example.com/au/2' }),
    );
    const origin = new URL(server.url).origin;
    const fetched = (await (await fetch(`${origin}${fetchPath}`, { method: 'POST' })).json()) as Record<string, string>;
    const post = (body: unknown) =>
      fetch(`${origin}/xapi/statements`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${fetched['auth-token']!}`,
          'x-experience-api-version': '2.0.0',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const other = { objectType: 'Agent', account: { homePage: 'https://training.example.com', name: 'w2' } };
    const waived = { id: 'https://w3id.org/xapi/adl/verbs/waived', display: { en: 'waived' } };
    const refusals: [unknown, RegExp][] = [
      [{ ...statement(), actor: other, context: { registration } }, /actor is its learner/],
      [{ ...statement(), actor, context: { registration: randomUUID() } }, /registration/],
      [{ ...statement(), actor }, /registration/],
      [{ ...statement(), actor, verb: waived, context: { registration } }, /written by the LMS/],
      [
        [
          { ...statement(), actor, context: { registration } },
          { ...statement(), actor: other },
        ],
        /statements\[1\]/,
      ],
    ];
    const before = await server.owner.count('xapi_statements');
    for (const [body, message] of refusals) {
      const response = await post(body);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
    expect(await server.owner.count('xapi_statements')).toBe(before);
    expect((await post({ ...statement(), actor, context: { registration } })).status).toBe(200);
  });

  it('storeStatements and putDocument work inside a caller transaction; an invalid statement throws XapiError 400', async () => {
    const s = statement();
    const authority = { objectType: 'Agent', account: { homePage: 'https://training.example.com', name: 'lms' } };
    const ids = await runAsCaller(server.db.prisma, caller(), async (tx) => {
      await putDocument(tx, admin.tenantId, {
        kind: 'state',
        activityId: 'https://example.com/au/1',
        agent: actor,
        registration: randomUUID(),
        documentId: 'LMS.LaunchData',
        content: JSON.stringify({ launchMode: 'Normal' }),
        contentType: 'application/json',
      });
      return storeStatements(tx, admin.tenantId, [s], authority, { publicUrl: server.url });
    });
    expect(ids).toEqual([s.id]);
    expect(seen.at(-1)).toEqual({ tenantId: admin.tenantId, ids: [s.id] });
    const refused = runAsCaller(server.db.prisma, caller(), (tx) =>
      storeStatements(tx, admin.tenantId, [{ actor }], authority, { publicUrl: server.url }),
    );
    await expect(refused).rejects.toBeInstanceOf(XapiError);
    await expect(refused).rejects.toMatchObject({ status: 400 });
  });
});
