import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

// A dashboard served from another origin calls the API from the browser: CORS lets exactly the origins
// listed in CORS_ORIGINS in, and refuses the others (default: none).
const DASHBOARD = 'https://dashboard.example.com';
const STRANGER = 'https://evil.example.net';

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

const query = (url: string, origin: string) =>
  fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ health }' }),
  });

describe('CORS with CORS_ORIGINS set', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: `${DASHBOARD}, http://localhost:5173` });
  });
  afterAll(() => server?.stop());

  it('answers a listed origin’s preflight with 204 and what it may send', async () => {
    const response = await preflight(server.url, DASHBOARD);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('names the listed origin on the actual request, never *', async () => {
    const response = await query(server.url, 'http://localhost:5173');
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('refuses another origin’s preflight with 403 FORBIDDEN and gives its requests no CORS header', async () => {
    const refused = await preflight(server.url, STRANGER);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const body = (await refused.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('FORBIDDEN');

    const response = await query(server.url, STRANGER);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('lets no origin in', async () => {
    const refused = await preflight(server.url, DASHBOARD);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
