import type { IncomingHttpHeaders } from 'node:http';
import { invalid } from './errors.js';

/**
 * xAPI 1.0.3's Alternate Request Syntax (for clients that can only POST): `POST …?method=PUT` with a form body
 * carrying the headers, the other parameters and the body as `content`. Gone in 2.0.
 */
export interface PlainRequest {
  method: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
  body: Buffer;
}

const HEADERS = [
  'authorization',
  'x-experience-api-version',
  'content-type',
  'content-length',
  'if-match',
  'if-none-match',
];

export function unwrapAlternate(request: PlainRequest): PlainRequest {
  const method = request.params.get('method');
  if (method === null || request.method !== 'POST') return request;
  if ([...request.params.keys()].some((name) => name !== 'method')) {
    throw invalid('with the alternate request syntax every parameter goes in the form body');
  }
  if (!/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
    throw invalid('the alternate request syntax sends application/x-www-form-urlencoded');
  }
  const upper = method.toUpperCase();
  if (!['GET', 'HEAD', 'PUT', 'POST', 'DELETE'].includes(upper))
    throw invalid(`method=${method} is not an HTTP method`);
  const form = new URLSearchParams(request.body.toString('utf8'));
  const headers: IncomingHttpHeaders = { ...request.headers };
  delete headers['content-type'];
  const params = new URLSearchParams();
  let body = Buffer.alloc(0);
  for (const [name, value] of form) {
    const lower = name.toLowerCase();
    if (lower === 'content') body = Buffer.from(value);
    else if (HEADERS.includes(lower)) headers[lower] = value;
    else params.append(name, value);
  }
  return { method: upper, headers, params, body };
}
