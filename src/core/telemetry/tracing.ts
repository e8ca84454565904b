import { randomUUID } from 'node:crypto';
import {
  isValidSpanId,
  isValidTraceId,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT): a span per HTTP request, a child per GraphQL operation
 * and a grandchild per SQL statement, exported over OTLP/HTTP. Off, every helper here is one flag check.
 *
 * The sampler decides once per request, when its span starts; a request left out gets no `Trace` and costs
 * nothing more. A sampled request's `Trace` is handed down explicitly (HTTP → GraphQL → the caller's
 * transactions), never through a context manager: OpenTelemetry's (AsyncLocalStorage) turns on Node 20's
 * promise hooks for every promise of every request, sampled or not, which cost more than all the rest of the
 * telemetry (`BENCHMARKS.md`, "Telemetry on vs off").
 */
const tracer = trace.getTracer('safety-training-api');
let on = false;
/** The share of requests without a `traceparent` that are traced. */
let ratio = 1;

/** A sampled trace's span, for its children. */
export interface Trace {
  readonly span: Span;
  /** The span as OpenTelemetry's parent for children. */
  readonly context: Context;
}

export interface Tracing {
  /** Exports what is buffered and stops. */
  stop(): Promise<void>;
}

/** Starts exporting to `endpoint` (the collector's base URL; traces go to /v1/traces), keeping `sampleRatio`. */
export async function startTracing({
  endpoint,
  sampleRatio,
}: {
  endpoint: string;
  sampleRatio: number;
}): Promise<Tracing> {
  // The SDK and its exporter are loaded only when traces are on: some 15 MB of a process's memory otherwise.
  const [{ OTLPTraceExporter }, { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, AlwaysOnSampler }] =
    await Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/sdk-trace-node')]);
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    // A request that arrives with a traceparent follows its sampled flag; others were kept or left out by
    // `inRequestSpan` before any span exists (`sampleRatio` of them), so a root span here is always kept.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // The tracer and the W3C propagator; no context manager (see above).
  provider.register({ contextManager: null });
  ratio = sampleRatio;
  on = true;
  return {
    async stop() {
      on = false;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
    },
  };
}

/**
 * Runs `fn` for an HTTP request, in a server span when the request is sampled (continuing a `traceparent` it
 * carries): `fn` gets the request's `Trace` then, and ends the span with the response's status.
 */
export function inRequestSpan(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  fn: (end: (status: number) => void, trace?: Trace) => void,
): void {
  if (!on) return fn(noEnd);
  const parent = headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
  // A new trace (no valid traceparent) is kept for `ratio` of requests, decided before any span is made.
  if (parent === ROOT_CONTEXT && Math.random() >= ratio) return fn(noEnd);
  const span = tracer.startSpan(`${method} ${path}`, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) return fn(noEnd);
  span.setAttributes({ 'http.request.method': method, 'url.path': path });
  const request = { span, context: trace.setSpan(parent, span) };
  const end = (status: number) => {
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  fn(end, request);
}

const noEnd = () => {};

/**
 * Runs `fn` in a child span of `parent`, ended when its promise settles; with no parent (traces off, or the
 * request not sampled) just runs `fn`.
 */
export function inSpan<T>(
  parent: Trace | undefined,
  name: string,
  attributes: Attributes,
  fn: (trace?: Trace) => Promise<T>,
): Promise<T> {
  if (!parent) return fn();
  const span = tracer.startSpan(name, { attributes }, parent.context);
  const child = { span, context: trace.setSpan(parent.context, span) };
  let settled: Promise<T>;
  try {
    settled = fn(child);
  } catch (error) {
    settled = Promise.reject(error);
  }
  return settled.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
      throw error;
    },
  );
}

/** A SQL statement's span under `parent`: the statement's text (parameters are never recorded). */
export const sqlSpan = <T>(parent: Trace | undefined, sql: string, fn: () => Promise<T>): Promise<T> =>
  parent ? inSpan(parent, 'db.query', { 'db.system.name': 'postgresql', 'db.query.text': sql }, fn) : fn();

/**
 * Sampled requests in flight by request id, for the caller's Prisma transactions, which name their request only
 * in the settings they apply first (traced-adapter.ts). An id two requests in flight share (a client's
 * `X-Request-Id`) names neither.
 */
const requests = new Map<string, { trace: Trace | undefined; count: number }>();

/** Runs `fn` with `trace` found by `requestTrace(requestId)` until it settles. */
export async function whileRequestTraced<T>(requestId: string, trace: Trace | undefined, fn: () => Promise<T>) {
  if (!trace) return fn();
  const shared = requests.get(requestId);
  requests.set(requestId, shared ? { trace: undefined, count: shared.count + 1 } : { trace, count: 1 });
  try {
    return await fn();
  } finally {
    const entry = requests.get(requestId)!;
    if (--entry.count === 0) requests.delete(requestId);
  }
}

/** The trace of the sampled request in flight with this id, if any. */
export const requestTrace = (requestId: unknown): Trace | undefined =>
  typeof requestId === 'string' && requests.size ? requests.get(requestId)?.trace : undefined;

/** A sampled span's trace and span ids, for log lines. */
export function traceIdsOf(trace: Trace): { trace_id: string; span_id: string } {
  const spanContext = trace.span.spanContext();
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** A W3C `traceparent`: version, trace id, parent span id, flags (later versions may append fields). */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}(-.*)?$/;

/** The trace id a valid W3C `traceparent` header names, whether tracing is on or not. */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match || match[1] === 'ff' || (match[1] === '00' && match[4] !== undefined)) return undefined;
  return isValidTraceId(match[2]!) && isValidSpanId(match[3]!) ? match[2] : undefined;
}

/** A new W3C trace id (32 lowercase hex digits, random): a random UUID's digits, the cheapest random source here. */
export const newTraceId = (): string => randomUUID().replaceAll('-', '');
