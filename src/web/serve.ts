import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../core/auth.js';
import { runAsCaller } from '../core/caller/index.js';
import type { Config } from '../core/config.js';
import type { Database } from '../core/db.js';
import { GRAPHQL_PATH, json, type Route } from '../core/http.js';
import type { Role } from '../core/permissions.js';
import { webAppHeaders } from '../core/security-headers.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { mintDemoTokens, seedDemoTenant } from './demo-data.js';
import { DEMO_TENANT_ID } from './demo-tenant.js';

/** The package's root: the nearest folder above this file with a package.json (from src/web and dist/src/web alike). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above src/web');
    dir = parent;
  }
  return dir;
}

/** Where `npm run build:web` (and `npm run build`) writes the web app (git-ignored). */
export const WEB_DIST_DIR = path.join(packageRoot(), 'dist', 'web');

export const DEMO_USERS_PATH = '/dev/demo-users';
/** `npm run seed:demo` asks a running server on an embedded database to seed itself here (one process per folder). */
export const SEED_DEMO_PATH = '/dev/seed-demo';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const SERVICE_WORKER_FILES = new Set(['/sw.js', '/registerSW.js', '/manifest.webmanifest']);

/** Roles a person signs in as on the demo picker, in the order they are listed. */
const DEMO_ROLES: Role[] = ['admin', 'safety_officer', 'worker'];

export interface WebOptions {
  config: Config;
  /** The demo listing reads the demo tenant's profiles under RLS as its admin; the demo seed writes through it. */
  db: Database;
  distDir?: string;
}

/**
 * The web app's HTTP routes: the built app at `/` and, only with the development secret (tokens can
 * then be minted by anyone with the code anyway), the demo-user listing and the demo seed.
 */
export function webRoutes(options: WebOptions): Route[] {
  const serveApp = createWebHandler(options);
  const { config, db } = options;
  const development = config.auth.developmentSecret && config.auth.jwtSecret ? config.auth.jwtSecret : undefined;
  const routes: Route[] = [];
  if (development) {
    routes.push({
      path: SEED_DEMO_PATH,
      handle: async (req, res) => {
        if (req.method !== 'POST') return json(res, 405, { error: 'Use POST' });
        const self = `http://127.0.0.1:${req.socket.localPort}${GRAPHQL_PATH}`;
        const summary = await seedDemoTenant({ url: self, db }, await mintDemoTokens(development, '1h'));
        json(res, 200, { summary });
      },
    });
  }
  routes.push({
    path: '/',
    handle: (req, res, url) => {
      if (!serveApp(req, res, url)) json(res, 404, { error: 'Not found. GraphQL is at /graphql' });
    },
  });
  return routes;
}

/**
 * Serves the web app (its built files, and `index.html` for every client route) and, only with
 * the development secret, the demo-user listing. Returns false for anything it does not serve,
 * so the caller answers 404.
 */
function createWebHandler(options: WebOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const distDir = path.resolve(options.distDir ?? WEB_DIST_DIR);
  const { config } = options;
  const prisma = options.db.prisma;

  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname === DEMO_USERS_PATH) {
      // A listing of sign-in tokens exists only while tokens can be minted by anyone with the code.
      if (!config.auth.developmentSecret || !config.auth.jwtSecret) return false;
      void demoUsers(prisma, config.auth.jwtSecret).then(
        (users) =>
          send(req, res, 200, 'application/json; charset=utf-8', JSON.stringify({ tenantId: DEMO_TENANT_ID, users })),
        () => send(req, res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'database unavailable' })),
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
    const index = path.join(distDir, 'index.html');
    // The page names the current build's assets: under any of its addresses (`/index.html` too), a
    // browser must ask again before reusing it.
    if (url.pathname !== '/' && file !== index && isFile(file)) {
      // Vite names bundled assets by content hash, so they never change under the same name.
      const immutable = url.pathname.startsWith('/assets/');
      // The service worker is checked for a new build on every visit (it decides what the app runs offline).
      const cache = SERVICE_WORKER_FILES.has(url.pathname) ? 'no-cache' : 'public, max-age=3600';
      serveFile(req, res, file, immutable ? 'public, max-age=31536000, immutable' : cache);
      return true;
    }
    // A client route (no file extension) gets the app's page; a missing file is a 404.
    if (path.extname(url.pathname) !== '' && file !== index) return false;
    if (!isFile(index)) {
      send(req, res, 503, 'text/plain; charset=utf-8', 'The web app is not built yet: run `npm run build:web`.\n');
      return true;
    }
    serveFile(req, res, index, 'no-cache');
    return true;
  };
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

// Every answer of the web app carries its security headers (CSP, no framing, no Referer, nosniff).
function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...webAppHeaders(req.headers.host), 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl: string): void {
  res.writeHead(200, {
    ...webAppHeaders(req.headers.host),
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': cacheControl,
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
  const profiles = await runAsCaller(
    prisma,
    { tenantId: DEMO_TENANT_ID, userId: DEMO_TENANT_ID, role: 'admin' },
    (tx) =>
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
