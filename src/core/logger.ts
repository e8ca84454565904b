import pino from 'pino';
import { newTraceId, traceIdOf, traceIdsOf, type Trace } from './telemetry/tracing.js';

export type Logger = pino.Logger;

/** Structured JSON logs; pipe through `pino-pretty` when reading them by eye. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'safety-training-api' },
      redact: ['req.headers.authorization'],
    },
    destination,
  );
}

/** Where a line with fields goes: the app's logger, or a request's. */
export interface LogLines {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * One request's log lines (an HTTP request, a GraphQL operation, a WebSocket connection or operation — or a unit
 * of background work: a scheduled job's run, an e-mail round), handed down explicitly: the app's logger bound to
 * the request's trace id — its sampled span's, else the one its `traceparent` names, else a new one — and to the
 * sampled span's id. The child logger (and a new trace id) is made by the first line: most requests write none.
 */
export class RequestLog implements LogLines {
  private bound: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    /** The request's sampled span, if any. */
    private readonly trace?: Trace,
    private readonly traceparent?: unknown,
  ) {}

  info(fields: object, message: string): void {
    this.lines().info(fields, message);
  }

  warn(fields: object, message: string): void {
    this.lines().warn(fields, message);
  }

  error(fields: object, message: string): void {
    this.lines().error(fields, message);
  }

  private lines(): Logger {
    return (this.bound ??= this.logger.child(
      this.trace ? traceIdsOf(this.trace) : { trace_id: traceIdOf(this.traceparent) ?? newTraceId() },
    ));
  }
}
