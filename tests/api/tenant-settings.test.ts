import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { pngImage } from '../support/images.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The tenant's name and logo (admins set them, everyone reads them, audited, the logo served publicly by its
 * hash) and the user's language (the token's `locale` claim, updateMyProfile). Refused input writes nothing.
 */

let server: TestServer;
let admin: Actor;
let worker: Actor;

const SETTINGS = '{ tenantSettings { name logoUrl updatedAt } }';
const UPDATE = `mutation($input: TenantSettingsInput!) { updateTenantSettings(input: $input) { name logoUrl } }`;
const MY_LOCALE = '{ me { id locale } }';
const SET_LOCALE = `mutation($input: MyProfileInput!) { updateMyProfile(input: $input) { id locale } }`;

type Settings = { tenantSettings: { name: string; logoUrl: string | null; updatedAt: string | null } };
type Updated = { updateTenantSettings: { name: string; logoUrl: string | null } };
type Me = { me: { id: string; locale: string | null } };
type LocaleSet = { updateMyProfile: { id: string; locale: string | null } };

const row = async (tenantId: string) =>
  (
    await server.owner.query('SELECT name, logo_type, logo_sha256 FROM tenant_settings WHERE tenant_id = $1', [
      tenantId,
    ])
  )[0];

beforeAll(async () => {
  server = await startTestServer({ PUBLIC_URL: 'https://training.example.com' });
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId });
}, setupTimeout(120_000));
afterAll(() => server.stop());

describe('tenantSettings', () => {
  it('reads the product name and no logo until an admin sets them', async () => {
    const data = await ok(worker.request<Settings, never>(SETTINGS));
    expect(data.tenantSettings).toEqual({ name: 'Safety Training', logoUrl: null, updatedAt: null });
  });

  it('lets an admin set the name and a PNG logo, which everyone in the tenant then reads, audited', async () => {
    const logo = pngImage(32);
    const sha256 = createHash('sha256').update(logo).digest('hex');
    const input = { name: 'Acme Łódź Sp. z o.o.', logo: `data:image/png;base64,${logo.toString('base64')}` };
    const updated = await ok(admin.request<Updated, { input: typeof input }>(UPDATE, { input }));
    const logoUrl = `https://training.example.com/branding/logo/${sha256}`;
    expect(updated.updateTenantSettings).toEqual({ name: 'Acme Łódź Sp. z o.o.', logoUrl });
    expect((await ok(worker.request<Settings, never>(SETTINGS))).tenantSettings).toMatchObject({
      name: 'Acme Łódź Sp. z o.o.',
      logoUrl,
    });
    // Served publicly, by its hash, for good.
    const response = await fetch(new URL(`/branding/logo/${sha256}`, server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await response.arrayBuffer()).equals(logo)).toBe(true);
    const [audit] = await server.owner.query<{ actor_id: string; changes: { after: Record<string, unknown> } }>(
      `SELECT actor_id::text, changes FROM audit_events WHERE entity_type = 'tenant_settings' AND tenant_id = $1`,
      [admin.tenantId],
    );
    expect(audit!.actor_id).toBe(admin.userId);
    expect(audit!.changes.after).toMatchObject({
      name: 'Acme Łódź Sp. z o.o.',
      logo: '[redacted]',
      logo_sha256: sha256,
    });

    // Absent fields are kept; a null logo removes it.
    await ok(admin.request<Updated, { input: { logo: null } }>(UPDATE, { input: { logo: null } }));
    expect(await row(admin.tenantId)).toEqual({ name: 'Acme Łódź Sp. z o.o.', logo_type: null, logo_sha256: null });
    expect((await fetch(new URL(`/branding/logo/${sha256}`, server.url))).status).toBe(404);
  });

  it('refuses everyone but admins, and bad names and logos, writing nothing', async () => {
    const other = await server.actor('admin');
    const before = await row(admin.tenantId);
    const officer = await server.actor('safety_officer', { tenantId: admin.tenantId });
    for (const actor of [worker, officer]) {
      expect(errorCode(await actor.request(UPDATE, { input: { name: 'Mine now' } }))).toBe('FORBIDDEN');
    }
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const huge = Buffer.concat([pngImage(4), randomBytes(300 * 1024)]);
    const refused: [Record<string, unknown>, string, RegExp][] = [
      [{ name: '' }, 'input.name', /must not be empty/],
      [{ name: 'x'.repeat(121) }, 'input.name', /at most 120/],
      [{ logo: gif.toString('base64') }, 'input.logo', /PNG or JPEG image \(its bytes are image\/gif\)/],
      [{ logo: 'not base64 at all!' }, 'input.logo', /base64/],
      [{ logo: huge.toString('base64') }, 'input.logo', /at most 256 KiB/],
      [
        { logo: `data:image/png;base64,${Buffer.from('<svg onload="x"/>').toString('base64')}` },
        'input.logo',
        /PNG or JPEG/,
      ],
    ];
    for (const [input, field, message] of refused) {
      const response = await other.request(UPDATE, { input });
      expect(errorCode(response), JSON.stringify(input).slice(0, 60)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe(field);
      expect(response.errors![0]!.message).toMatch(message);
    }
    expect(await row(admin.tenantId)).toEqual(before);
    expect(await row(other.tenantId)).toBeUndefined();
    // One tenant never reads another's.
    expect((await ok(other.request<Settings, never>(SETTINGS))).tenantSettings.name).toBe('Safety Training');
  });
});

describe('the user language', () => {
  it('comes from the token claim while the profile has none, then from updateMyProfile, which the claim does not undo', async () => {
    const polish = await server.actor('worker', { tenantId: admin.tenantId, locale: 'pl-PL' });
    expect((await ok(polish.request<Me, never>(MY_LOCALE))).me.locale).toBe('pl-PL');
    const changed = await ok(
      polish.request<LocaleSet, { input: { locale: string } }>(SET_LOCALE, { input: { locale: 'vi' } }),
    );
    expect(changed.updateMyProfile.locale).toBe('vi');
    // The same token again (and after the refresher's memory is gone): the user's choice stays.
    const again = await server.actor('worker', { tenantId: admin.tenantId, userId: polish.userId, locale: 'es' });
    expect((await ok(again.request<Me, never>(MY_LOCALE))).me.locale).toBe('vi');
    // Canonical BCP-47 (es-mx → es-MX); null goes back to English.
    const mx = await ok(
      polish.request<LocaleSet, { input: { locale: string } }>(SET_LOCALE, { input: { locale: 'es-mx' } }),
    );
    expect(mx.updateMyProfile.locale).toBe('es-MX');
    const cleared = await ok(
      polish.request<LocaleSet, { input: { locale: null } }>(SET_LOCALE, { input: { locale: null } }),
    );
    expect(cleared.updateMyProfile.locale).toBeNull();
  });

  it('ignores a claim of a language the product does not speak, and refuses one in updateMyProfile, writing nothing', async () => {
    const german = await server.actor('worker', { tenantId: admin.tenantId, locale: 'de-DE' });
    expect((await ok(german.request<Me, never>(MY_LOCALE))).me.locale).toBeNull();
    for (const locale of ['de', 'klingon!', '', 'x'.repeat(40), 'en_US']) {
      const response = await german.request(SET_LOCALE, { input: { locale } });
      expect(errorCode(response), locale).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe('input.locale');
      expect(response.errors![0]!.message).toContain('en, es, pl, vi');
    }
    const [profile] = await server.owner.query('SELECT locale FROM profiles WHERE tenant_id = $1 AND id = $2', [
      admin.tenantId,
      german.userId,
    ]);
    expect(profile).toEqual({ locale: null });
  });
});
