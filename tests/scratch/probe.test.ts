import { afterAll, beforeAll, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.stop());
it('probe', async () => {
  let frags = 'fragment F16 on Query { __typename }';
  for (let i = 15; i >= 0; i--) frags += ` fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`;
  const fan = `query { ...F0 } ${frags}`;
  for (const q of [fan, `{ ${'me { id } '.repeat(1000)} }`, '{ health }']) {
    const t = performance.now();
    const post = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
    console.log('POST', post.status, (performance.now() - t).toFixed(1), (await post.text()).slice(0, 200));
    const get = await fetch(`${server.url}?query=${encodeURIComponent(q)}`, { headers: { 'apollo-require-preflight': 'true' } });
    console.log('GET', get.status, (await get.text()).slice(0, 200));
  }
  const admin = await server.actor('admin');
  for (const t of ['Profile', 'Query', 'Nope', 'Course']) {
    const r = await admin.request('query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: t, id: '3f1d2c4b-5a69-4e7d-8c1b-2a3b4c5d6e7f' }] });
    console.log(t, r.status, JSON.stringify(r.errors ?? r.data));
  }
});
