import http from 'node:http';
import type { GraphQLResponse } from './server.js';

/**
 * GraphQL over a real socket that the client may cut: halfway through sending the body (the server never gets
 * the request), or once the body is sent, after `delayMs` (the server may have done it, or be doing it, without
 * the client ever learning). Only an answer that arrived whole counts as answered.
 */

export type Cut = { at: 'never' } | { at: 'mid-body' } | { at: 'after-body'; delayMs: number };

export type Sent<Data> = { answered: true; response: GraphQLResponse<Data> } | { answered: false };

export function send<Data>(
  url: string,
  token: string,
  request: { query: string; variables?: Record<string, unknown> },
  cut: Cut,
  headers: Record<string, string> = {},
): Promise<Sent<Data>> {
  const body = Buffer.from(JSON.stringify(request));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (sent: Sent<Data>) => {
      if (settled) return;
      settled = true;
      resolve(sent);
    };
    const outgoing = http.request(url.replace('//localhost:', '//127.0.0.1:'), {
      method: 'POST',
      agent: false,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': body.length,
        authorization: `Bearer ${token}`,
      },
    });
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', () => settle({ answered: false }));
      incoming.on('end', () => {
        if (!incoming.complete) return settle({ answered: false });
        const parsed = JSON.parse(Buffer.concat(chunks).toString()) as Omit<GraphQLResponse<Data>, 'status'>;
        settle({ answered: true, response: { status: incoming.statusCode!, ...parsed } });
      });
    });
    outgoing.on('error', () => settle({ answered: false }));
    const cutNow = () => {
      outgoing.destroy();
      settle({ answered: false });
    };
    if (cut.at === 'mid-body') {
      outgoing.write(body.subarray(0, body.length >> 1), cutNow);
    } else {
      outgoing.end(body);
      if (cut.at === 'after-body') setTimeout(cutNow, cut.delayMs);
    }
  });
}
