import type { CallerTransaction } from '../core/caller/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Json, XapiVersion } from './rules.js';

/** One authenticated LRS request, as the resource handlers see it. */
export interface XapiRequest {
  method: string;
  url: URL;
  params: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  version: XapiVersion;
  tenantId: string;
  /** The app's public URL. */
  publicUrl: string;
  /** Who the statements it stores are recorded as stored by. */
  authority: Json;
  /** Set when a launch token authenticated the request: the statements it may store are its learner's. */
  launch?: { actor: Json; registration: string };
  tx: CallerTransaction;
  /** A raw read in `tx` (GET and HEAD: straight to the read lane, no Prisma). */
  read: Reader;
}

export type Reader = <R>(statement: Prisma.Sql) => Promise<R[]>;

export interface XapiReply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string | Json | Json[] | string[];
}

export const header = (request: XapiRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};
