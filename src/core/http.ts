import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderMap, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import {
  badHttpRequest,
  bodyTooLarge,
  errorResponse,
  headersTooLarge,
  internalError,
  malformedJson,
  originNotAllowed,
  type ApiError,
} from './errors.js';
import { GRAPHIQL_ASSETS_PATH, ideOffPage, type GraphiQL } from './graphiql/assets.js';
import { RequestLog, type Logger } from './logger.js';
import type { Metrics } from './telemetry/metrics.js';
import { inRequestSpan, type Trace } from './telemetry/tracing.js';

/** Largest request body accepted (bytes); larger requests get 413. */
export const MAX_BODY_BYTES = 1_000_000;
/**
 * Largest request head (request line and headers, the token included) Node parses (bytes); larger gets
 * 431 with a JSON body. Node's own default, set explicitly on the server (`createServer({ maxHeaderSize })`).
 */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * A body over the limit is read to its end and discarded before the 413 goes out, so the client, still
 * sending, is not reset and reads the answer — up to this many bytes in all, or for this long; beyond
 * either the 413 is sent and the connection closed.
 */
const MAX_DRAINED_BYTES = 32 * MAX_BODY_BYTES;
const MAX_DRAIN_MS = 10_000;
export const GRAPHQL_PATH = '/graphql';

/** An HTTP endpoint beside GraphQL; `path` is exact, or a prefix when it ends in `/`. */
/** An HTTP endpoint of a module: `path` is exact, or a prefix when it ends with `/`. */
export interface Route {
  path: string;
  /** `log`: the request's log lines (its trace id). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, log: RequestLog): void | Promise<void>;
}

/**
 * The modules' routes as one table, matched most specific first (an exact path, then the longest prefix), so
 * the order modules are listed in never decides which answers. A path claimed twice stops start-up.
 */
export function routeTable(routes: readonly Route[]): (pathname: string) => Route | undefined {
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.path)) throw new Error(`two routes claim ${route.path}`);
    seen.add(route.path);
  }
  const exact = new Map(routes.filter((r) => !r.path.endsWith('/')).map((r) => [r.path, r]));
  const prefixes = routes.filter((r) => r.path.endsWith('/')).sort((a, b) => b.path.length - a.path.length);
  return (pathname) => exact.get(pathname) ?? prefixes.find((r) => pathname.startsWith(r.path));
}

/**
 * Runs one GraphQL request (Apollo) as the caller the Authorization header names, logging to `log`; `trace` if
 * sampled.
 */
export type GraphQLExecutor = (
  request: HTTPGraphQLRequest,
  authorization: string | undefined,
  clientAddress: string,
  log: RequestLog,
  trace?: Trace,
) => Promise<HTTPGraphQLResponse>;

export interface HttpOptions {
  graphql: GraphQLExecutor;
  /** Resolves when the database answers (readiness probe). */
  databaseAnswers(): Promise<unknown>;
  /** The app's own routes, tried after health, readiness, GraphiQL and GraphQL. */
  routes: readonly Route[];
  /** Serves GraphiQL at /graphql to browsers when present; else browsers get a page saying it is off. */
  ide?: GraphiQL;
  /** Browser origins allowed to call GraphQL across origins (CORS); others are refused. */
  corsOrigins: readonly string[];
  /** Client addresses come from X-Forwarded-For (see `clientAddress`). */
  trustProxy: boolean;
  logger: Logger;
  /** Request durations by route, when metrics are on. */
  metrics?: Metrics;
}

/**
 * Who is asking, for per-address limits: the socket's peer, or behind a trusted proxy (TRUST_PROXY) the
 * address the proxy appended last to X-Forwarded-For (the entries before it are the client's to forge).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .at(-1);
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** What a cross-origin page may send: the token, JSON, the headers that let Apollo accept GET queries, a mutation's key. */
const CORS_ALLOWED_HEADERS =
  'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, idempotency-key';
/** How long a browser may reuse a preflight's answer (seconds). */
const CORS_MAX_AGE_SECONDS = 600;

/** Longest the readiness probe waits for the database. */
const READINESS_TIMEOUT_MS = 2_000;

/** The paths answered here before the modules' routes. */
const OWN_PATHS = new Set(['/healthz', '/readyz', GRAPHQL_PATH]);

/** Routes the server's HTTP requests: health, readiness, GraphiQL, GraphQL, the app's routes, else 404. */
export function serveHttp(server: Server, options: HttpOptions): void {
  const { ide, logger } = options;
  const findRoute = routeTable(options.routes);
  const handleGraphQL = graphqlHandler(options.graphql, options.trustProxy);
  server.on('clientError', answerUnparsableRequest);
  // The label of a request: a path the server declares (a route's own, not the URL asked for), so it stays bounded.
  const routeOf = (pathname: string) =>
    OWN_PATHS.has(pathname)
      ? pathname
      : pathname.startsWith(GRAPHIQL_ASSETS_PATH)
        ? GRAPHIQL_ASSETS_PATH
        : (findRoute(pathname)?.path ?? 'other');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname);
    const started = performance.now();
    inRequestSpan(req.method ?? 'GET', route, req.headers, (end, trace) => {
      res.once('close', () => {
        options.metrics?.httpRequest(route, req.method ?? '', res.statusCode, (performance.now() - started) / 1000);
        end(res.statusCode);
      });
      handle(req, res, url, new RequestLog(logger, trace, req.headers.traceparent), trace);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, log: RequestLog, trace?: Trace): void {
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') return void readiness(options.databaseAnswers, res);
    if (ide && url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) {
      return void (ide.asset(url.pathname, res) || json(res, 404, { error: 'Not found' }));
    }
    if (url.pathname === GRAPHQL_PATH) {
      if (!allowCrossOrigin(req, res, options.corsOrigins)) return;
      if (req.method === 'GET' && !url.search && (req.headers.accept ?? '').includes('text/html')) {
        return ide ? ide.page(res, req.headers.host) : ideOffPage(res);
      }
      return void handleGraphQL(req, res, url, log, trace);
    }
    const route = findRoute(url.pathname);
    if (route) {
      return void (async () => route.handle(req, res, url, log))().catch((error: unknown) => failed(res, error, log));
    }
    json(res, 404, { error: 'Not found. GraphQL is at /graphql' });
  }
}

/**
 * CORS for GraphQL. A listed origin gets its own name back (never `*`: tokens are per origin's user);
 * a preflight from any other origin is refused with 403, and its actual requests get no CORS headers, so
 * the browser withholds the answer. Returns false when the request has been answered (a preflight).
 */
function allowCrossOrigin(req: IncomingMessage, res: ServerResponse, corsOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && corsOrigins.includes(origin);
  if (corsOrigins.length) res.setHeader('vary', 'Origin');
  if (allowed) res.setHeader('access-control-allow-origin', origin);
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!preflight) return true;
  if (!allowed) {
    sendError(res, originNotAllowed(origin ?? 'null'));
    return false;
  }
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': CORS_ALLOWED_HEADERS,
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
  });
  res.end();
  return false;
}

/**
 * Requests Node's parser refuses before any handler runs (headers over MAX_HEADER_BYTES, a malformed request
 * line): Node would answer a bare 431 or 400 without a body; ours says why in JSON, like every other error.
 */
function answerUnparsableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = errorResponse(
    error.code === 'HPE_HEADER_OVERFLOW' ? headersTooLarge(MAX_HEADER_BYTES) : badHttpRequest(),
  );
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** A database that stops answering (frozen, partitioned) reads as unavailable within 2 s; the probe never hangs. */
async function readiness(databaseAnswers: () => Promise<unknown>, res: ServerResponse): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), READINESS_TIMEOUT_MS);
  });
  try {
    await Promise.race([databaseAnswers(), timeout]);
    json(res, 200, { status: 'ready' });
  } catch {
    json(res, 503, { status: 'database unavailable' });
  } finally {
    clearTimeout(timer);
  }
}

/** An unexpected failure outside GraphQL execution: logged, answered with a masked 500. */
function failed(res: ServerResponse, error: unknown, log: RequestLog): void {
  log.error({ err: error }, 'request failed outside GraphQL execution');
  if (!res.headersSent) sendError(res, internalError());
  else res.end();
}

function sendError(res: ServerResponse, error: ApiError): void {
  const { status, body } = errorResponse(error);
  json(res, status, body);
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

class PayloadTooLarge extends Error {}

/**
 * The request body as text, or PayloadTooLarge once it is over MAX_BODY_BYTES. An oversized body is still
 * read (and discarded) to its end before rejecting, so the 413 reaches a client that is still sending: a
 * server that answers and closes mid-upload makes fetch/undici and curl report a reset connection instead.
 * Draining stops at MAX_DRAINED_BYTES or MAX_DRAIN_MS (or at once when Content-Length already says more):
 * then the 413 is sent and the connection closed.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_DRAINED_BYTES) return reject(new PayloadTooLarge());
    let chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_BODY_BYTES;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.pause();
      reject(new PayloadTooLarge());
    };
    const overLimit = () => {
      tooLarge = true;
      chunks = [];
      timer = setTimeout(giveUp, MAX_DRAIN_MS);
      timer.unref();
    };
    if (tooLarge) overLimit();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > MAX_DRAINED_BYTES) giveUp();
        return;
      }
      if (size > MAX_BODY_BYTES) return overLimit();
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (tooLarge) reject(new PayloadTooLarge());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Node's HTTP request → Apollo's transport-neutral request, and back. */
function graphqlHandler(execute: GraphQLExecutor, trustProxy: boolean) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, log: RequestLog, trace?: Trace) => {
    try {
      const raw = req.method === 'POST' ? await readBody(req) : '';
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown = raw;
      if (raw && (headers.get('content-type') ?? '').includes('application/json')) {
        try {
          body = JSON.parse(raw);
        } catch {
          return sendError(res, malformedJson());
        }
      }
      const response = await execute(
        { method: req.method ?? 'GET', headers, search: url.search, body },
        req.headers.authorization,
        clientAddress(req, trustProxy),
        log,
        trace,
      );
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        res.setHeader('connection', 'close');
        return sendError(res, bodyTooLarge(MAX_BODY_BYTES));
      }
      failed(res, error, log);
    }
  };
}
