import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; pipe through `pino-pretty` when reading them by eye. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'safety-training-api' }, redact: ['req.headers.authorization'] });
}
