import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { credentialOf, type LrsClient } from '../support/xapi.js';
import { setupTimeout } from '../support/citus.js';

/** State, activity profile and agent profile documents: ETag concurrency, merging, and tenant isolation. */

let server: TestServer;
let lrs: LrsClient;
let other: LrsClient;

beforeAll(async () => {
  server = await startTestServer();
  lrs = await credentialOf(server, await server.actor('admin'));
  other = await credentialOf(server, await server.actor('admin'));
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const agent = encodeURIComponent(JSON.stringify({ mbox: 'mailto:worker@example.com' }));
const activity = encodeURIComponent('https://example.com/au/1');
const RESOURCES = [
  ['state', () => `activities/state?activityId=${activity}&agent=${agent}&stateId=${randomUUID()}`],
  ['activity profile', () => `activities/profile?activityId=${activity}&profileId=${randomUUID()}`],
  ['agent profile', () => `agents/profile?agent=${agent}&profileId=${randomUUID()}`],
] as const;

describe.each(RESOURCES)('%s documents', (_name, path) => {
  it('PUT then GET gives the document back with its ETag; If-Match guards changes (412), PUT without it is a 409', async () => {
    const at = path();
    expect((await lrs.send(at, { method: 'PUT', body: { step: 1 }, headers: { 'if-none-match': '*' } })).status).toBe(
      204,
    );
    const got = await lrs.send(at);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ step: 1 });
    const etag = got.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);

    expect((await lrs.send(at, { method: 'PUT', body: { step: 2 } })).status).toBe(409);
    expect((await lrs.send(at, { method: 'PUT', body: { step: 2 }, headers: { 'if-match': '"stale"' } })).status).toBe(
      412,
    );
    expect((await lrs.send(at, { method: 'PUT', body: { step: 2 }, headers: { 'if-none-match': '*' } })).status).toBe(
      412,
    );
    expect(await (await lrs.send(at)).json()).toEqual({ step: 1 });
    expect((await lrs.send(at, { method: 'PUT', body: { step: 2 }, headers: { 'if-match': etag } })).status).toBe(204);
    expect(await (await lrs.send(at)).json()).toEqual({ step: 2 });
  });

  it('POST merges JSON objects one level deep; merging into a non-JSON document is a 400', async () => {
    const at = path();
    await lrs.send(at, { method: 'POST', body: { a: 1, nested: { x: 1 } } });
    expect((await lrs.send(at, { method: 'POST', body: { b: 2, nested: { y: 2 } } })).status).toBe(204);
    expect(await (await lrs.send(at)).json()).toEqual({ a: 1, b: 2, nested: { y: 2 } });
    const text = path();
    await lrs.send(text, { method: 'PUT', body: 'plain', headers: { 'content-type': 'text/plain' } });
    expect((await lrs.send(text, { method: 'POST', body: { a: 1 } })).status).toBe(400);
    expect(await (await lrs.send(text)).text()).toBe('plain');
  });

  it("another tenant's credential neither reads nor deletes the document", async () => {
    const at = path();
    await lrs.send(at, { method: 'PUT', body: { mine: true }, headers: { 'if-none-match': '*' } });
    expect((await other.send(at)).status).toBe(404);
    await other.send(at, { method: 'DELETE' });
    expect((await lrs.send(at)).status).toBe(200);
    expect((await lrs.send(at, { method: 'DELETE' })).status).toBe(204);
    expect((await lrs.send(at)).status).toBe(404);
  });
});

describe('listing and the other resources', () => {
  it('GET without stateId lists the ids; activities and agents answer their objects; about needs no credential', async () => {
    const registration = randomUUID();
    const base = `activities/state?activityId=${activity}&agent=${agent}&registration=${registration}`;
    await lrs.send(`${base}&stateId=a`, { method: 'PUT', body: { n: 1 } });
    await lrs.send(`${base}&stateId=b`, { method: 'PUT', body: { n: 2 } });
    expect(await (await lrs.send(base)).json()).toEqual(['a', 'b']);
    const person = await (await lrs.send(`agents?agent=${agent}`)).json();
    expect(person).toEqual({ objectType: 'Person', mbox: ['mailto:worker@example.com'] });
    const about = await lrs.send('about', { authorization: null, headers: {} });
    expect(await about.json()).toEqual({ version: ['1.0.3', '2.0.0'] });
  });
});
