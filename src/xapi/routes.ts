import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  readAsCaller,
  runAsCaller,
  writeOnLane,
  type AppServices,
  type CallerTransaction,
} from '../core/caller/index.js';
import { isTransactionConflict, sqlState } from '../core/database-errors.js';
import type { Route } from '../core/http.js';
import { UNIQUE_VIOLATION } from '../core/sqlstate.js';
import { documentResource } from './documents.js';
import { invalid, unauthorized, XapiError } from './errors.js';
import { authenticateBasic, fetchAuthToken, FETCH_PATH, type LrsIdentity } from './launch.js';
import type { Reader, XapiReply, XapiRequest } from './request.js';
import { unwrapAlternate } from './alternate.js';
import { about, activityResource, agentResource } from './resources.js';
import type { Json, XapiVersion } from './rules.js';
import { statementResource } from './statements-resource.js';

/** The LRS at /xapi: authentication, the version header, the body, and one transaction per request. */

/** Largest body an LRS request may carry (statements with their attachments). */
export const MAX_XAPI_BODY_BYTES = 20 * 1024 * 1024;

const RESOURCES: Record<string, (request: XapiRequest) => Promise<XapiReply> | XapiReply> = {
  '/xapi/statements': statementResource,
  '/xapi/activities/state': (request) => documentResource(request, 'state'),
  '/xapi/activities/profile': (request) => documentResource(request, 'activityProfile'),
  '/xapi/agents/profile': (request) => documentResource(request, 'agentProfile'),
  '/xapi/activities': activityResource,
  '/xapi/agents': agentResource,
};

function version(header: string | string[] | undefined): XapiVersion {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) throw invalid('X-Experience-API-Version is required');
  if (/^1\.0(\.[0-3])?$/.test(value.trim())) return '1.0.3';
  if (/^2\.0(\.\d+)?$/.test(value.trim())) return '2.0.0';
  throw invalid(`X-Experience-API-Version ${value} is not supported: send 2.0.0 or 1.0.3`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_XAPI_BODY_BYTES) throw new XapiError(413, `The body is over ${MAX_XAPI_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(req: IncomingMessage, res: ServerResponse, versionHeader: string, reply: XapiReply): void {
  const headers: Record<string, string> = { 'x-experience-api-version': versionHeader, ...reply.headers };
  // Every answer to a GET of statements says how current it is, errors included.
  if ((req.method === 'GET' || req.method === 'HEAD') && /^\/xapi\/statements\/?(\?|$)/.test(req.url ?? '')) {
    headers['x-experience-api-consistent-through'] ??= new Date().toISOString();
  }
  let body: Buffer | undefined;
  if (reply.body !== undefined) {
    body =
      reply.body instanceof Uint8Array
        ? Buffer.from(reply.body)
        : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(body.length);
  }
  res.writeHead(reply.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

const authority = (identity: LrsIdentity, publicUrl: string): Json => ({
  objectType: 'Agent',
  name: identity.name,
  account: { homePage: `${publicUrl}/xapi`, name: identity.id },
});

/**
 * CORS for every origin: an AU runs in a sandboxed page of its package (an opaque origin) or on another host, and
 * the LRS is authenticated by the Authorization header alone, never by cookies, so no origin gains anything by it.
 */
const CORS_PREFLIGHT = {
  'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE',
  'access-control-allow-headers': 'Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match',
  'access-control-max-age': '600',
};

async function handle(services: AppServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader(
    'access-control-expose-headers',
    'ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through',
  );
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, CORS_PREFLIGHT);
    return void res.end();
  }
  // Answered when the request names no version this LRS speaks: the latest (1.0.3's suite expects 1.0.3 here).
  let versionHeader = '2.0.0';
  try {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/xapi/about') {
      if (method !== 'GET' && method !== 'HEAD') throw new XapiError(405, 'About answers GET');
      return send(req, res, versionHeader, about());
    }
    if (url.pathname.startsWith(FETCH_PATH)) {
      if (method !== 'POST') throw new XapiError(405, 'The fetch URL answers POST');
      const token = await fetchAuthToken(services.prisma, url.pathname.slice(FETCH_PATH.length));
      // cmi5: an error is answered with error-code 1 (already used) in the same JSON shape.
      const body = token
        ? { 'auth-token': token }
        : { 'error-code': '1', 'error-text': 'This fetch URL was already used or expired' };
      return send(req, res, versionHeader, { status: 200, body });
    }
    const resource = RESOURCES[path];
    if (!resource) throw new XapiError(404, `No LRS resource at ${url.pathname}`);
    if (!['GET', 'HEAD', 'PUT', 'POST', 'DELETE'].includes(method)) {
      throw new XapiError(405, `${method} is not allowed`);
    }
    const request = unwrapAlternate({
      method,
      headers: req.headers,
      params: url.searchParams,
      body: await readBody(req),
    });
    const identity = await authenticateBasic(services.prisma, request.headers.authorization);
    if (!identity) throw unauthorized();
    const xapiVersion = version(request.headers['x-experience-api-version']);
    versionHeader = xapiVersion;
    if (xapiVersion === '2.0.0' && request.method !== method) {
      throw invalid('xAPI 2.0 has no alternate request syntax');
    }
    const caller = { tenantId: identity.tenantId, userId: '', role: 'service' as const };
    const run = (tx: CallerTransaction, read: Reader) =>
      Promise.resolve(
        resource({
          ...request,
          url,
          version: xapiVersion,
          tenantId: identity.tenantId,
          publicUrl: services.config.publicUrl,
          authority: authority(identity, services.config.publicUrl),
          ...(identity.launch ? { launch: identity.launch } : {}),
          tx,
          read,
        }),
      );
    // Statements, the busiest resource, go to a lane on PostgreSQL: fewer round trips, and their SQL skips Prisma.
    const reading = request.method === 'GET' || request.method === 'HEAD';
    const reply =
      path === '/xapi/statements' && reading
        ? await readAsCaller(services, caller, run)
        : path === '/xapi/statements' && services.readLanes
          ? await writeOnLane(services.readLanes, caller, run)
          : await runAsCaller(services.prisma, caller, (tx) => run(tx, (statement) => tx.$queryRaw(statement)));
    send(req, res, versionHeader, reply);
  } catch (error) {
    if (error instanceof XapiError) {
      return send(req, res, versionHeader, { status: error.status, body: { error: error.message } });
    }
    if (sqlState(error) === UNIQUE_VIOLATION || isTransactionConflict(error)) {
      return send(req, res, versionHeader, {
        status: 409,
        body: { error: 'A concurrent request changed this: retry' },
      });
    }
    throw error;
  }
}

export const xapiRoutes = (services: AppServices): Route[] => [
  { path: '/xapi/', handle: (req, res, url) => handle(services, req, res, url) },
];
