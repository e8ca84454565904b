import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../core/caller/index.js';
import { errorResponse, tooManyRequests } from '../core/errors.js';
import { clientAddress, json, type Route } from '../core/http.js';
import { certificateVerifyPath } from '../completions/certificate-code.js';
import { PAGE_HEADERS, sha256Source } from '../core/security-headers.js';
import { lookupCertificate, type PublicCertificate } from './certificates-sql.js';
import { evidenceSummary } from './evidence-text.js';
import { certificatePdf } from './pdf.js';
import { lookupLimiter } from './settings.js';

/**
 * The public certificate pages, no token needed (the code is the capability):
 * `GET /certificates/<code>.pdf` (the PDF) and `GET /verify/<code>` (HTML, or JSON when asked
 * with `Accept: application/json`). Unknown and malformed codes get the same 404; every request
 * counts toward the client address's lookup limit (429 with Retry-After past it).
 */
export function certificateRoutes(services: AppServices): Route[] {
  const { config } = services;
  /** Counts the lookup; false when the address is over its limit (answered with 429). */
  const allowed = (req: IncomingMessage, res: ServerResponse): boolean => {
    const retryAfter = lookupLimiter(services).take(clientAddress(req, config.trustProxy));
    if (retryAfter === 0) return true;
    const { status, body } = errorResponse(tooManyRequests(retryAfter));
    res.setHeader('retry-after', String(retryAfter));
    json(res, status, body);
    return false;
  };
  const onlyGet = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    res.setHeader('allow', 'GET, HEAD');
    json(res, 405, { error: 'Use GET' });
    return false;
  };
  return [
    {
      path: '/certificates/',
      handle: async (req, res, url) => {
        if (!onlyGet(req, res) || !allowed(req, res)) return;
        const match = /^\/certificates\/([^/]+)\.pdf$/.exec(url.pathname);
        const code = match?.[1] ?? '';
        const certificate = match ? await lookupCertificate(services.prisma, code) : null;
        if (!certificate) return notFound(res, false);
        // services.config, not config: the app fills in the bound port after listening.
        const pdf = await certificatePdf(certificate, code, services.config.publicUrl + certificateVerifyPath(code));
        res.writeHead(200, {
          ...PRIVATE_HEADERS,
          'content-type': 'application/pdf',
          'content-length': String(pdf.length),
          'content-disposition': `inline; filename="certificate-${code}.pdf"`,
        });
        res.end(req.method === 'HEAD' ? undefined : pdf);
      },
    },
    {
      path: '/verify/',
      handle: async (req, res, url) => {
        if (!onlyGet(req, res) || !allowed(req, res)) return;
        const wantsJson = (req.headers.accept ?? '').includes('application/json');
        const match = /^\/verify\/([^/]+)$/.exec(url.pathname);
        const certificate = match ? await lookupCertificate(services.prisma, match[1]!) : null;
        if (!certificate) return notFound(res, wantsJson);
        if (wantsJson) {
          res.writeHead(200, { ...PRIVATE_HEADERS, 'content-type': 'application/json; charset=utf-8' });
          return void res.end(JSON.stringify(verification(certificate)));
        }
        res.writeHead(200, { ...PRIVATE_HEADERS, ...HTML_HEADERS });
        res.end(verifyPage(certificate));
      },
    },
  ];
}

/** The code is in the URL: keep it out of caches, Referer headers and search engines; status changes over time. */
const PRIVATE_HEADERS = {
  ...PAGE_HEADERS,
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex',
};
/** The pages' only style, inline; nothing else loads: no script, image, font, form or frame. */
const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}' +
  'dt{font-weight:600}dd{margin:0 0 .5rem}.valid{color:#11612b}.expired{color:#8a5300}.revoked{color:#a3121e}';
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    `default-src 'none'; style-src ${sha256Source(PAGE_STYLE)}; ` +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** The same answer for a malformed and an unknown code (and for any path under these prefixes). */
function notFound(res: ServerResponse, wantsJson: boolean): void {
  if (wantsJson) return json(res, 404, { error: 'Not found' });
  res.writeHead(404, { ...PRIVATE_HEADERS, ...HTML_HEADERS });
  res.end(page('Certificate not found', '<h1>Certificate not found</h1><p>No certificate has this code.</p>'));
}

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : null);

/** The JSON answer: the fields of GraphQL's CertificateVerification, in its spelling. */
export function verification(certificate: PublicCertificate) {
  return {
    status: certificate.status.toUpperCase(),
    holderName: certificate.holderName,
    courseTitle: certificate.courseTitle,
    issuedAt: certificate.issuedAt.toISOString(),
    expiresAt: day(certificate.expiresAt),
    evidence: certificate.evidence.map((evidence) => ({
      kind: evidence.kind.toUpperCase(),
      passed: evidence.passed,
      score: evidence.score,
      recordedAt: evidence.recordedAt.toISOString(),
      recordedByName: evidence.recordedByName,
    })),
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const HEADLINES: Record<PublicCertificate['status'], string> = {
  valid: 'Valid certificate',
  expired: 'Expired certificate',
  revoked: 'Revoked certificate',
};

function verifyPage(certificate: PublicCertificate): string {
  const rows: [string, string][] = [
    ['Status', certificate.status.toUpperCase()],
    ['Holder', certificate.holderName ?? '(name not on record)'],
    ['Course', certificate.courseTitle],
    ['Issued', day(certificate.issuedAt)!],
    ['Expires', day(certificate.expiresAt) ?? 'never'],
    ['Evidence', evidenceSummary(certificate.evidence) || 'none recorded'],
  ];
  const body =
    `<h1 class="${certificate.status}">${HEADLINES[certificate.status]}</h1><dl>` +
    rows.map(([term, value]) => `<dt>${term}</dt><dd>${escapeHtml(value)}</dd>`).join('') +
    '</dl>';
  return page(HEADLINES[certificate.status], body);
}

function page(title: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body>${body}</body></html>`
  );
}
