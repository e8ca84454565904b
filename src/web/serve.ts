import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { withTenant, type Role } from '../core/db.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** Where `npm run build:web` writes the web app (git-ignored). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The tenant `npm run seed:demo` fills (scripts/seed-demo.ts). */
export const DEMO_TENANT_ID = '7e0a1c2e-5afe-4000-8000-000000000001';
export const DEMO_USERS_PATH = '/dev/demo-users';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Roles a person signs in as on the demo picker, in the order they are listed. */
const DEMO_ROLES: Role[] = ['admin', 'safety_officer', 'worker'];

export interface WebOptions {
  config: Config;
  /** The owner client; the demo listing reads the demo tenant's profiles under RLS as its admin. */
  prisma: PrismaClient;
  distDir?: string;
}

/**
 * Serves the web app (its built files, and `index.html` for every client route) and, only with
 * the development secret, the demo-user listing. Returns false for anything it does not serve,
 * so the caller answers 404.
 */
export function createWebHandler(
  options: WebOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const distDir = path.resolve(options.distDir ?? WEB_DIST_DIR);
  const { config, prisma } = options;

  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname === DEMO_USERS_PATH) {
      // A listing of sign-in tokens exists only while tokens can be minted by anyone with the code.
      if (!config.auth.developmentSecret || !config.auth.jwtSecret) return false;
      void demoUsers(prisma, config.auth.jwtSecret).then(
        (users) =>
          send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ tenantId: DEMO_TENANT_ID, users })),
        () => send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'database unavailable' })),
      );
      return true;
    }

    let requested: string;
    try {
      requested = decodeURIComponent(url.pathname);
    } catch {
      return false;
    }
    const file = path.resolve(distDir, `.${requested}`);
    if (!file.startsWith(distDir + path.sep) && file !== distDir) return false;
    if (url.pathname !== '/' && isFile(file)) {
      // Vite names bundled assets by content hash, so they never change under the same name.
      const immutable = url.pathname.startsWith('/assets/');
      serveFile(req, res, file, immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
      return true;
    }
    // A client route (no file extension) gets the app's page; a missing file is a 404.
    if (path.extname(url.pathname) !== '') return false;
    const index = path.join(distDir, 'index.html');
    if (!isFile(index)) {
      send(res, 503, 'text/plain; charset=utf-8', 'The web app is not built yet: run `npm run build:web`.\n');
      return true;
    }
    serveFile(req, res, index, 'no-cache');
    return true;
  };
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl: string): void {
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}

export interface DemoUser {
  id: string;
  displayName: string | null;
  email: string | null;
  role: Role;
  token: string;
}

/** The demo tenant's people (after `npm run seed:demo`), each with a fresh token to sign in as them. */
async function demoUsers(prisma: PrismaClient, secret: string): Promise<DemoUser[]> {
  const profiles = await withTenant(prisma, { tenantId: DEMO_TENANT_ID, userId: DEMO_TENANT_ID, role: 'admin' }, (tx) =>
    tx.profile.findMany({
      where: { tenantId: DEMO_TENANT_ID, role: { in: DEMO_ROLES } },
      select: { id: true, displayName: true, email: true, role: true },
    }),
  );
  const ordered = profiles.sort(
    (a, b) =>
      DEMO_ROLES.indexOf(a.role as Role) - DEMO_ROLES.indexOf(b.role as Role) ||
      (a.displayName ?? a.id).localeCompare(b.displayName ?? b.id),
  );
  return Promise.all(
    ordered.map(async (profile) => ({
      ...profile,
      role: profile.role as Role,
      token: await mintToken({
        secret,
        tenantId: DEMO_TENANT_ID,
        userId: profile.id,
        role: profile.role as Role,
        name: profile.displayName ?? undefined,
        email: profile.email ?? undefined,
      }),
    })),
  );
}
