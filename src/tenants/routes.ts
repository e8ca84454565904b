import type { AppServices } from '../core/caller/index.js';
import { runAsAppRole } from '../core/caller/index.js';
import { json, type Route } from '../core/http.js';
import { PAGE_HEADERS } from '../core/security-headers.js';

/**
 * `GET /branding/logo/<sha256>`: a tenant's logo, public (e-mails and the verify page show it to people
 * without a token). Addressed by its content hash, so it is cached for good and knows nothing of the tenant;
 * read through the SECURITY DEFINER function tenant_logo(), which sees only the row with that hash.
 */
export function brandingRoutes(services: AppServices): Route[] {
  return [
    {
      path: '/branding/logo/',
      handle: async (req, res, url) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.setHeader('allow', 'GET, HEAD');
          return json(res, 405, { error: 'Use GET' });
        }
        const sha256 = /^\/branding\/logo\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
        const [row] = sha256
          ? await runAsAppRole(
              services.prisma,
              (tx) =>
                tx.$queryRaw<
                  { logo: Uint8Array; logo_type: string }[]
                >`SELECT logo, logo_type FROM tenant_logo(${sha256})`,
              { statementTimeoutMs: 5_000 },
            )
          : [];
        if (!row) return json(res, 404, { error: 'Not found' });
        res.writeHead(200, {
          ...PAGE_HEADERS,
          'content-type': row.logo_type,
          'content-length': String(row.logo.byteLength),
          'cache-control': 'public, max-age=31536000, immutable',
          'content-security-policy': "default-src 'none'",
        });
        res.end(req.method === 'HEAD' ? undefined : Buffer.from(row.logo));
      },
    },
  ];
}
