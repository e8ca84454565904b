import { createHash, randomUUID } from 'node:crypto';
import { ok, type Actor, type TestServer } from './server.js';

/** Talking to the LRS at /xapi as an xAPI client would: HTTP Basic, the version header, JSON. */

export interface LrsClient {
  username: string;
  secret: string;
  /** Sends a request to `/xapi/<path>` with this credential (or `authorization`), X-Experience-API-Version 2.0.0. */
  send(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; authorization?: string | null },
  ): Promise<Response>;
}

export const CREATE_CREDENTIAL = `mutation($name: String!) {
  createLrsCredential(name: $name) { id name username secret endpoint createdAt }
}`;

export function lrsClient(server: TestServer, username: string, secret: string): LrsClient {
  const origin = new URL(server.url).origin;
  const basic = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  return {
    username,
    secret,
    send(path, init = {}) {
      const headers: Record<string, string> = { 'x-experience-api-version': '2.0.0', ...init.headers };
      const authorization = init.authorization === undefined ? basic : init.authorization;
      if (authorization !== null) headers.authorization = authorization;
      let body: string | Buffer | undefined;
      if (init.body !== undefined) {
        body =
          typeof init.body === 'string' || Buffer.isBuffer(init.body)
            ? (init.body as string | Buffer)
            : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${origin}/xapi/${path}`, { method: init.method ?? 'GET', headers, body });
    },
  };
}

/** A new LRS credential of the admin's tenant, and a client using it. */
export async function credentialOf(server: TestServer, admin: Actor): Promise<LrsClient> {
  const { createLrsCredential } = await ok(
    admin.request<{ createLrsCredential: { username: string; secret: string } }, { name: string }>(CREATE_CREDENTIAL, {
      name: 'authoring tool',
    }),
  );
  return lrsClient(server, createLrsCredential.username, createLrsCredential.secret);
}

export const VERBS = {
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  experienced: 'http://adlnet.gov/expapi/verbs/experienced',
  voided: 'http://adlnet.gov/expapi/verbs/voided',
};

/** A valid statement: `who` did `verb` to an activity. */
export function statement(
  who = 'worker@example.com',
  verb = VERBS.completed,
  activity = 'https://example.com/course/1',
) {
  return {
    id: randomUUID(),
    actor: { objectType: 'Agent', mbox: `mailto:${who}` },
    verb: { id: verb, display: { 'en-US': 'did' } },
    object: { objectType: 'Activity', id: activity, definition: { name: { 'en-US': 'Course' } } },
  };
}

export const BOUNDARY = 'xapi-test-boundary';
export const MULTIPART = { 'content-type': `multipart/mixed; boundary=${BOUNDARY}` };

/** A multipart/mixed body: the statements as JSON, then each part (text/plain) with its X-Experience-API-Hash. */
export function multipart(statements: unknown, parts: Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(statements)}\r\n`),
    ...parts.map((part) =>
      Buffer.concat([
        Buffer.from(
          `--${BOUNDARY}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n` +
            `X-Experience-API-Hash: ${createHash('sha256').update(part).digest('hex')}\r\n\r\n`,
        ),
        part,
        Buffer.from('\r\n'),
      ]),
    ),
    Buffer.from(`--${BOUNDARY}--`),
  ]);
}

/** A statement declaring `content` as its attachment. */
export function withAttachment(content: Buffer, who?: string) {
  return {
    ...statement(who),
    attachments: [
      {
        usageType: 'https://example.com/attachment/scan',
        display: { en: 'Scan' },
        contentType: 'text/plain',
        length: content.length,
        sha2: createHash('sha256').update(content).digest('hex'),
      },
    ],
  };
}
