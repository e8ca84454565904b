import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import { tooManySockets, tooManySubscriptions } from './errors.js';

/**
 * Per-connection caps of the WebSocket endpoint, so one client (or one leaked
 * token) cannot hold an unbounded share of the live-event hub: at most
 * `maxSubscriptionsPerSocket` subscriptions on one socket, at most
 * `maxSocketsPerToken` sockets per token on one instance.
 */
export interface SocketCaps {
  maxSubscriptionsPerSocket: number;
  maxSocketsPerToken: number;
}

/** WebSocket close code for a socket over the per-token cap: graphql-ws clients do not retry it. */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4429;

/** Open sockets by token (a hash of it: tokens are not kept in memory longer than their sockets need). */
export class TokenSockets {
  private readonly open = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /**
   * Counts `socket` against its token until it closes; when the token already
   * has `limit` open, closes it with 4429 and the coded reason and returns false.
   */
  admit(token: string, socket: WebSocket): boolean {
    const key = createHash('sha256').update(token).digest('base64url');
    const count = this.open.get(key) ?? 0;
    if (count >= this.limit) {
      socket.close(TOO_MANY_SOCKETS_CLOSE_CODE, tooManySockets(this.limit).message);
      return false;
    }
    this.open.set(key, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    });
    return true;
  }
}

/**
 * The error for a subscribe message over the socket's cap, or undefined.
 * `active` is graphql-ws' record of the socket's operations, which already
 * includes the one being started.
 */
export function subscriptionCapError(active: Record<string, unknown>, limit: number): GraphQLError[] | undefined {
  return Object.keys(active).length > limit ? [tooManySubscriptions(limit)] : undefined;
}
