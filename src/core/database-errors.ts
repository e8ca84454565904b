import { DEADLOCK_DETECTED, FOREIGN_KEY_VIOLATION, SERIALIZATION_FAILURE, UNIQUE_VIOLATION } from './sqlstate.js';

/** PostgreSQL / Prisma error details we turn into client errors. */
interface DatabaseErrorShape {
  code?: string;
  meta?: { code?: string; driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } };
  cause?: unknown;
}

/**
 * A deadlock or serialization failure anywhere in the chain (a statement, a trigger it fired, the
 * commit): Prisma reports it as P2034 (TransactionWriteConflict), a raw query as P2010 with the
 * SQLSTATE in `meta.code`, the drivers with the SQLSTATE itself.
 */
export function isTransactionConflict(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const shape = current as DatabaseErrorShape;
    const codes = [shape.code, shape.meta?.code, shape.meta?.driverAdapterError?.cause?.originalCode];
    if (shape.code === 'P2034' || shape.meta?.driverAdapterError?.cause?.kind === 'TransactionWriteConflict')
      return true;
    if (codes.some((code) => code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE)) return true;
    current = shape.cause ?? (current as { originalError?: unknown }).originalError;
  }
  return false;
}

/** The SQLSTATE behind a Prisma or driver error, if any. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const shape = current as DatabaseErrorShape;
    const original = shape.meta?.driverAdapterError?.cause?.originalCode;
    if (original) return original;
    if (typeof shape.code === 'string' && /^[0-9A-Z]{5}$/.test(shape.code)) return shape.code;
    if (shape.code === 'P2002') return UNIQUE_VIOLATION;
    if (shape.code === 'P2003') return FOREIGN_KEY_VIOLATION;
    if (shape.code === 'P2025') return 'P2025';
    current = shape.cause;
  }
  return undefined;
}

/**
 * The session itself is gone: PostgreSQL ended it (terminated by an operator or a failover, shutting down: class
 * 57P0x), the connection failed (class 08), or the driver found the socket closed. Nothing more can run on it.
 */
export function isConnectionLost(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const shape = current as DatabaseErrorShape & { message?: unknown };
    const codes = [shape.code, shape.meta?.code, shape.meta?.driverAdapterError?.cause?.originalCode];
    if (codes.some((code) => typeof code === 'string' && /^(08...|57P0.)$/.test(code))) return true;
    if (shape.meta?.driverAdapterError?.cause?.kind === 'ConnectionClosed') return true;
    if (typeof shape.message === 'string' && LOST_CONNECTION_MESSAGES.some((text) => shape.message === text))
      return true;
    current = shape.cause ?? (current as { originalError?: unknown }).originalError;
  }
  return false;
}

/** What pg says when a statement meets a socket that closed under it, or was found closed before it was sent. */
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
];
