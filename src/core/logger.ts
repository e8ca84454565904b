import pino from 'pino';
import { traceIds } from './telemetry/tracing.js';

export type Logger = pino.Logger;

/** Structured JSON logs; pipe through `pino-pretty` when reading them by eye. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'safety-training-api' },
      redact: ['req.headers.authorization'],
      // Every line written inside a traced request carries its trace and span ids.
      mixin: () => traceIds() ?? {},
    },
    destination,
  );
}
