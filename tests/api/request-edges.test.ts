import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../src/core/auth.js';
import { MAX_BODY_BYTES, MAX_HEADER_BYTES } from '../../src/core/http.js';
import { uuid } from '../support/sql.js';
import { startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { liveClient, wsUrl } from '../support/ws.js';

/**
 * Requests too large to serve are refused with a status and a JSON body the common clients (fetch/undici,
 * curl, ws) can read, never a reset connection or an empty answer; and the server keeps serving.
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
});
afterAll(() => server.stop());

interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

async function stillServing() {
  const response = await admin.request('{ trainingCourses(first: 1) { totalCount } }');
  expect(response.errors).toBeUndefined();
}

const oversizedQuery = (bytes: number) => JSON.stringify({ query: `{ health } # ${'x'.repeat(bytes)}` });

describe('a body over the limit is a readable 413', () => {
  it('fetch (undici) posting 10× the limit reads 413 and the JSON error', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: oversizedQuery(10 * MAX_BODY_BYTES),
    });

    expect(response.status).toBe(413);
    const body = (await response.json()) as ErrorBody;
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0]!.message).toContain(`${MAX_BODY_BYTES} bytes`);
    await stillServing();
  });

  it('fetch streaming 10× the limit without a Content-Length (chunked) reads 413 too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 10 * MAX_BODY_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });

    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    await stillServing();
  });

  it('curl posting 10× the limit from stdin reads 413 and the JSON error', async () => {
    const { status, body } = await curl(
      [
        '-s',
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data-binary',
        '@-',
        '-w',
        '\n%{http_code}',
        server.url,
      ],
      oversizedQuery(10 * MAX_BODY_BYTES),
    );

    expect(status).toBe(0);
    const [json, code] = body.split('\n');
    expect(code).toBe('413');
    expect((JSON.parse(json!) as ErrorBody).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    await stillServing();
  });
});

describe('headers over the limit (an oversized token) are a readable 431', () => {
  it('fetch reads 431 and a JSON error, and the server keeps serving', async () => {
    const token = await mintToken({
      secret: TEST_JWT_SECRET,
      userId: uuid(),
      tenantId: uuid(),
      role: 'admin',
      name: 'x'.repeat(MAX_HEADER_BYTES),
    });

    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ health }' }),
    });

    expect(response.status).toBe(431);
    const body = (await response.json()) as ErrorBody;
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0]!.message).toContain(`${MAX_HEADER_BYTES} bytes`);
    await stillServing();
  });

  it('a token just under the limit is still read (and refused or accepted on its merits)', async () => {
    const token = await mintToken({
      secret: TEST_JWT_SECRET,
      userId: uuid(),
      tenantId: uuid(),
      role: 'admin',
      name: 'x'.repeat(MAX_HEADER_BYTES / 2),
    });

    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ health }' }),
    });

    expect(response.status).toBe(200);
  });
});

describe('a WebSocket message over the limit', () => {
  it('closes the socket with 1009 (message too big), and the server keeps serving', async () => {
    const live = liveClient(server.url, admin.token);
    await new Promise<void>((resolve) => live.client.on('connected', () => resolve()));

    live
      .socket()
      .send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'x'.repeat(2 * MAX_BODY_BYTES) } }));

    expect((await live.closed).code).toBe(1009);
    await live.dispose();
    await stillServing();
  });

  it('an upgrade request with oversized headers gets the 431 JSON answer', async () => {
    const socket = new WebSocket(wsUrl(server.url), 'graphql-transport-ws', {
      headers: { 'x-padding': 'x'.repeat(MAX_HEADER_BYTES) },
    });
    const status = await new Promise<number>((resolve, reject) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('error', reject);
    });

    expect(status).toBe(431);
  });
});

function curl(args: string[], input: string): Promise<{ status: number | null; body: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let body = '';
    child.stdout.setEncoding('utf8').on('data', (data: string) => (body += data));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, body }));
    child.stdin.on('error', () => {}); // curl may stop reading once it has the answer
    child.stdin.end(input);
  });
}
