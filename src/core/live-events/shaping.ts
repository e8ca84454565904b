import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { messageTooLarge } from '../errors.js';
import { isClientError } from '../error-masking.js';
import type { LogLines } from '../logger.js';
import { Preshaped } from './preshaped.js';

/**
 * The app's error formatter (src/core/error-masking.ts): client errors pass, anything else is masked and logged
 * (to `log`, the request's, when given).
 */
export type FormatError = (formatted: GraphQLFormattedError, error: unknown, log?: LogLines) => GraphQLFormattedError;

/** What a delivery uses to turn rows into payloads; its work is charged to the tenant's budget (budget.ts). */
export interface Shaping {
  /** Runs the delivery's shaping (executing rows, `preshape`), its elapsed time charged to the tenant. */
  time<T>(work: () => Promise<T>): Promise<T>;
  /**
   * One row's response, serialized once for every subscriber of its selection.
   * Throws the cause when the result carries an unexpected error (most likely a
   * read that failed because the database went away mid-delivery): the delivery
   * is retried rather than a masked error sent in place of the row. A response
   * over `maxMessageBytes` is replaced by a MESSAGE_TOO_LARGE error for that
   * event only.
   */
  preshape(result: ExecutionResult): Preshaped;
  /**
   * A row's response without errors from the JSON text of its `data` (shaped elsewhere, e.g. by PostgreSQL,
   * exactly as JSON.stringify writes graphql-js's), with `preshape`'s size limit.
   */
  preshapeData(data: string): Preshaped;
}

export interface ShapingSettings {
  formatError: FormatError;
  maxMessageBytes: number;
  /** Counts each payload serialized (the hub's stats). */
  shaped(): void;
}

/** One delivery's shaping, with what it cost. */
export class ShapingMeter implements Shaping {
  shapingMs = 0;
  serializedBytes = 0;

  constructor(private readonly settings: ShapingSettings) {}

  async time<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.shapingMs += performance.now() - started;
    }
  }

  preshape(result: ExecutionResult): Preshaped {
    const { formatError } = this.settings;
    let body: unknown = result;
    if (result.errors?.length) {
      const unexpected = result.errors.find((error) => !isClientError(error.originalError ?? error));
      if (unexpected) throw unexpected.originalError ?? unexpected;
      body = { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
    }
    return this.serialized(JSON.stringify(body));
  }

  preshapeData(data: string): Preshaped {
    return this.serialized(`{"data":${data}}`);
  }

  private serialized(json: string): Preshaped {
    const { maxMessageBytes } = this.settings;
    let payload = Buffer.from(json);
    if (payload.length > maxMessageBytes) {
      const refusal = messageTooLarge(payload.length, maxMessageBytes);
      payload = Buffer.from(JSON.stringify({ data: null, errors: [refusal.toJSON()] }));
    }
    this.serializedBytes += payload.length;
    this.settings.shaped();
    return new Preshaped(payload);
  }
}
