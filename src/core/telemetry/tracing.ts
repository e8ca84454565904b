import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT): a span per HTTP request, a child per GraphQL operation
 * and a grandchild per SQL statement, exported over OTLP/HTTP. Off, every helper here is one flag check.
 */
const tracer = trace.getTracer('safety-training-api');
let on = false;

export interface Tracing {
  /** Exports what is buffered and stops. */
  stop(): Promise<void>;
}

/** Starts exporting to `endpoint` (the collector's base URL; traces go to /v1/traces), keeping `sampleRatio`. */
export function startTracing({ endpoint, sampleRatio }: { endpoint: string; sampleRatio: number }): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    // A request that arrives with a sampled traceparent is traced; others keep `sampleRatio` of the traces.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  on = true;
  return {
    async stop() {
      on = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Runs `fn` in a server span for an HTTP request (continuing a `traceparent` it carries), ended by `fn`. */
export function inRequestSpan(
  method: string,
  path: string,
  headers: Record<string, unknown>,
  fn: (end: (status: number) => void) => void,
): void {
  if (!on) return fn(() => {});
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan(
    `${method} ${path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
    parent,
  );
  context.with(trace.setSpan(parent, span), () =>
    fn((status) => {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }),
  );
}

/** Runs `fn` in a span (a child of the active one), ended when its promise settles. */
export function inSpan<T>(
  name: string,
  attributes: Record<string, string>,
  fn: (span?: Span) => Promise<T>,
): Promise<T> {
  if (!on) return fn();
  return tracer.startActiveSpan(name, { attributes }, (span) =>
    fn(span).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.end();
        throw error;
      },
    ),
  );
}

/** A SQL statement's span: the statement's text (parameters are never recorded). */
export const sqlSpan = <T>(sql: string, fn: () => Promise<T>): Promise<T> =>
  on ? inSpan('db.query', { 'db.system.name': 'postgresql', 'db.query.text': sql }, fn) : fn();

/** The active trace and span ids, for log lines. */
export function traceIds(): { trace_id: string; span_id: string } | undefined {
  if (!on) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : undefined;
}
