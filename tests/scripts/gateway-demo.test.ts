import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startChild, stopAll, waitReady, type Child } from '../support/processes.js';

/**
 * `npm run gateway:demo` as a newcomer opens it: the page at the gateway's address is the API's own GraphiQL,
 * served from this machine (nothing from a CDN, so it works offline), and its errors carry no stack traces.
 */

let demo: Child | undefined;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  demo = startChild('gateway:demo', ['scripts/gateway-demo.ts', '--port', String(port)], {
    LOG_LEVEL: 'silent',
    // Apollo adds stack traces to errors outside production and test: run as a newcomer does.
    NODE_ENV: 'development',
  });
  await waitReady(demo, `http://127.0.0.1:${port}/healthz`, 240_000);
  url = `http://127.0.0.1:${port}/graphql`;
}, 300_000);
afterAll(() => stopAll([demo]));

describe('npm run gateway:demo', () => {
  it('serves GraphiQL from this machine to a browser, nothing from a CDN', async () => {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(html).toContain('<script src="/graphiql/assets/graphiql.min.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(new URL('/graphiql/assets/graphiql.min.js', url));
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });

  it('answers errors without stack traces: a query without a token, and one that does not validate', async () => {
    const ask = (query: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });

    const anonymous = await ask('{ people { name trainingAssignments(first: 1) { totalCount } } }');
    const anonymousText = await anonymous.text();
    expect(JSON.parse(anonymousText).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain(
      'UNAUTHENTICATED',
    );
    const invalid = await ask('{ people { nope } }');
    const invalidText = await invalid.text();
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalidText).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    for (const text of [anonymousText, invalidText]) {
      expect(text).not.toContain('stacktrace');
      expect(text).not.toMatch(/\n\s+at |\\n\s+at /);
    }
  });
});
