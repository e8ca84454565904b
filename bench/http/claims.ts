import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';

/**
 * The comparison servers (PostGraphile, bare pg) read the caller from the same
 * HS256 bearer token our API does, verified the same way (jose, HS256,
 * JWT_SECRET), so every target pays for token verification on every request.
 */
export interface Claims {
  sub: string;
  tenant_id: string;
  role: string;
}

const secret = new TextEncoder().encode(process.env.JWT_SECRET ?? '');

export async function claimsOf(req: IncomingMessage): Promise<Claims> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) throw new Error('no bearer token');
  const { payload } = await jwtVerify(match[1], secret, { algorithms: ['HS256'] });
  const { sub, tenant_id: tenantId, role } = payload as Record<string, unknown>;
  if (typeof sub !== 'string' || typeof tenantId !== 'string' || typeof role !== 'string') {
    throw new Error('bad claims');
  }
  return { sub, tenant_id: tenantId, role };
}
