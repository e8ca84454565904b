import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpsertProfilesDocument } from '../../src/generated/operations/graphql.js';
import { createProfileRefresher } from '../../src/users/profile-refresh.js';
import { attempt } from '../support/sql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * What a profile's name and email become, from every way they enter: `upsertProfiles` (a field left
 * out is kept, null clears it; an email must be one plain address, or the whole batch is refused with
 * BAD_USER_INPUT naming it), token claims (a bad address is dropped; the claims refresh the profile
 * again after another writer changed it) and direct writes to the table (the database refuses a bad
 * address).
 */

let server: TestServer;
let service: Actor;

beforeAll(async () => {
  server = await startTestServer();
  service = await server.actor('service');
}, setupTimeout(180_000));
afterAll(() => server?.stop());

type ProfileFields = { displayName?: string | null; email?: string | null };

const upsert = (profiles: (ProfileFields & { id: string })[], by = service) =>
  by.request(UpsertProfilesDocument, {
    profiles: profiles.map((profile) => ({ role: 'WORKER' as const, ...profile })),
  });

const stored = async (id: string) =>
  (
    await server.owner.query<{ display_name: string | null; email: string | null }>(
      'SELECT display_name, email FROM profiles WHERE id = $1',
      [id],
    )
  )[0];

describe('upsertProfiles: the address rule', () => {
  it.each([
    ['a list of two', 'ana@example.com, spy@evil.example'],
    ['a header injected after a line break', 'ana@example.com\r\nBcc: spy@evil.example'],
    ['a bare line feed', 'ana@example.com\nspy@evil.example'],
    ['a display name', 'Ana Lima <ana@example.com>'],
    ['angle brackets alone', '<ana@example.com>'],
    ['a semicolon', 'ana@example.com;spy@evil.example'],
    ['a group', 'team: ana@example.com;'],
    ['a space inside', 'ana lima@example.com'],
    ['a tab inside', 'ana@exam\tple.com'],
    ['a second @', 'ana@evil.example@example.com'],
    ['a comment', 'ana@example.com(spy@evil.example)'],
    ['a domain without a dot', 'ana@example'],
    ['a domain ending in a dot', 'ana@example.com.'],
    ['an empty local part', '@example.com'],
    ['255 characters', `${'a'.repeat(243)}@example.com`],
  ])('refuses %s, naming the field, and writes none of the batch', async (_shape, email) => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];

    const response = await upsert([
      { id: ids[0]!, email: 'first@example.com' },
      { id: ids[1]!, displayName: 'Second' },
      { id: ids[2]!, email },
    ]);

    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('profiles[2].email');
    expect(response.errors![0]!.message).toMatch(/^profiles\[2\]\.email: must /);
    expect(await server.owner.count('profiles', 'id = ANY($1::uuid[])', [ids])).toBe(0);
  });

  it.each([
    ['a plain address', 'ana@example.com', 'ana@example.com'],
    ['localhost', 'ops@localhost', 'ops@localhost'],
    ['254 characters', `${'a'.repeat(242)}@example.com`, `${'a'.repeat(242)}@example.com`],
    ['letters beyond ASCII', 'zoë@exämple.com', 'zoë@exämple.com'],
    ['plus and dots in the local part', 'ana.lima+safety@mail.example.com', 'ana.lima+safety@mail.example.com'],
    ['surrounding spaces, dropped', '  ana@example.com ', 'ana@example.com'],
  ])('accepts %s', async (_shape, email, expected) => {
    const id = randomUUID();

    await ok(upsert([{ id, email }]));

    expect((await stored(id))?.email).toBe(expected);
  });
});

describe('upsertProfiles: a field left out is kept, null clears it', () => {
  it('creates without the fields left out, keeps them on update, sets given values and clears nulls', async () => {
    const id = randomUUID();
    await ok(upsert([{ id }]));
    expect(await stored(id)).toEqual({ display_name: null, email: null });

    await ok(upsert([{ id, displayName: 'Ana Lima', email: 'ana@example.com' }]));
    expect(await stored(id)).toEqual({ display_name: 'Ana Lima', email: 'ana@example.com' });

    await ok(upsert([{ id }]));
    expect(await stored(id)).toEqual({ display_name: 'Ana Lima', email: 'ana@example.com' });

    await ok(upsert([{ id, email: 'ana.lima@example.com' }]));
    expect(await stored(id)).toEqual({ display_name: 'Ana Lima', email: 'ana.lima@example.com' });

    await ok(upsert([{ id, displayName: null }]));
    expect(await stored(id)).toEqual({ display_name: null, email: 'ana.lima@example.com' });

    await ok(upsert([{ id, email: null, displayName: 'Ana' }]));
    expect(await stored(id)).toEqual({ display_name: 'Ana', email: null });
  });

  it('treats each row of a batch on its own', async () => {
    const [kept, cleared, set] = [randomUUID(), randomUUID(), randomUUID()];
    await ok(
      upsert([
        { id: kept, displayName: 'Kept', email: 'kept@example.com' },
        { id: cleared, displayName: 'Cleared', email: 'cleared@example.com' },
      ]),
    );

    const written = await ok(
      upsert([{ id: kept }, { id: cleared, displayName: null, email: null }, { id: set, email: 'set@example.com' }]),
    );

    expect(written.upsertProfiles).toBe(3);
    expect(await stored(kept)).toEqual({ display_name: 'Kept', email: 'kept@example.com' });
    expect(await stored(cleared)).toEqual({ display_name: null, email: null });
    expect(await stored(set)).toEqual({ display_name: null, email: 'set@example.com' });
  });
});

describe('token claims and the profile they refresh', () => {
  it('restore the name and email upsertProfiles cleared, at the next request with them', async () => {
    const user = await server.actor('worker', {
      tenantId: service.tenantId,
      name: 'Wei Chen',
      email: 'wei@example.com',
    });
    await ok(user.request('{ me { id } }'));
    await ok(upsert([{ id: user.userId, displayName: null, email: null }]));
    expect(await stored(user.userId)).toEqual({ display_name: null, email: null });

    await ok(user.request('{ me { id } }'));

    expect(await stored(user.userId)).toEqual({ display_name: 'Wei Chen', email: 'wei@example.com' });
  });

  it('never store an address that breaks the rule: it is dropped and the stored one kept', async () => {
    // One tenant for every token: the same user id in a fresh tenant would be another profile.
    const [tenantId, userId] = [randomUUID(), randomUUID()];
    await ok((await server.actor('worker', { tenantId, userId, email: 'wei@example.com' })).request('{ me { id } }'));

    for (const email of ['wei@example.com, spy@evil.example', 'wei@example.com\r\nBcc: spy@evil.example']) {
      const user = await server.actor('worker', { tenantId, userId, email });
      await ok(user.request('{ me { id } }'));
      expect((await stored(userId))?.email).toBe('wei@example.com');
    }
  });

  it('are checked against the profile again after the recheck interval, writing only what differs', async () => {
    const identity = {
      tenantId: service.tenantId,
      userId: randomUUID(),
      role: 'worker' as const,
      name: 'Direct Writer',
      email: 'direct@example.com',
    };
    const updatedAt = async () =>
      (
        await server.owner.query<{ t: string }>('SELECT updated_at::text AS t FROM profiles WHERE id = $1', [
          identity.userId,
        ])
      )[0]?.t;
    const remembering = createProfileRefresher(server.db.prisma);
    const rechecking = createProfileRefresher(server.db.prisma, { recheckMs: 0 });
    await remembering.ensure(identity);
    await rechecking.ensure(identity);
    const written = await updatedAt();

    // Another writer (a direct integration, or another instance) clears them.
    await server.owner.query('UPDATE profiles SET display_name = NULL, email = NULL WHERE id = $1', [identity.userId]);
    await remembering.ensure(identity); // within its interval: no statement at all
    expect(await stored(identity.userId)).toEqual({ display_name: null, email: null });
    await rechecking.ensure(identity);
    expect(await stored(identity.userId)).toEqual({ display_name: 'Direct Writer', email: 'direct@example.com' });

    // Checked again with nothing different: no write.
    const restored = await updatedAt();
    expect(restored).not.toBe(written);
    await rechecking.ensure(identity);
    expect(await updatedAt()).toBe(restored);
  });
});

describe('direct writes to profiles (integrations, as training_app)', () => {
  const asIntegration = () => ({ tenantId: service.tenantId, userId: service.userId, role: 'service' as const });

  it.each([
    ['a list', 'ana@example.com, spy@evil.example'],
    ['a line break', 'ana@example.com\r\nBcc: spy@evil.example'],
    ['a display name', 'Ana <ana@example.com>'],
    ['no dot in the domain', 'ana@example'],
    ['255 characters', `${'a'.repeat(243)}@example.com`],
  ])('are refused an email with %s (check_violation)', async (_shape, email) => {
    const outcome = await attempt(server.db, asIntegration(), (tx) =>
      tx.$executeRawUnsafe(
        `INSERT INTO profiles (id, tenant_id, email, role) VALUES ($1::uuid, $2::uuid, $3, 'worker')`,
        randomUUID(),
        service.tenantId,
        email,
      ),
    );
    expect(outcome).toMatchObject({ ok: false, code: '23514' });
  });

  it('keep a row stored before the rule writable when its email is left as it is', async () => {
    const id = randomUUID();
    // Written before the rule held: the database's triggers, its check among them, are off for this transaction
    // (on every node of a distributed database too).
    await server.db.withConnection(async (c) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(
        `INSERT INTO profiles (id, tenant_id, email, role) VALUES ($1, $2, 'old, list@example.com', 'worker')`,
        [id, service.tenantId],
      );
      await c.query('COMMIT');
    });
    const rename = await attempt(server.db, asIntegration(), (tx) =>
      tx.$executeRawUnsafe(`UPDATE profiles SET display_name = 'Renamed', email = email WHERE id = $1::uuid`, id),
    );
    expect(rename).toMatchObject({ ok: true, value: 1 });
    const readdress = await attempt(server.db, asIntegration(), (tx) =>
      tx.$executeRawUnsafe(`UPDATE profiles SET email = 'still, a@example.com' WHERE id = $1::uuid`, id),
    );
    expect(readdress).toMatchObject({ ok: false, code: '23514' });
  });
});
